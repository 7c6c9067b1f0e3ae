import { ModelsecError } from '../errors/modelsec-error.js';

/** Node's codes for a specifier that resolves to nothing (ESM and CommonJS loaders). */
const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * Runs `load` (a literal `import('pkg')`, so the package is evaluated only when a feature first needs it) and
 * turns the package's absence into DEPENDENCY_MISSING naming it and how to install it. Any other failure (a
 * package that is present but throws while loading) propagates unchanged.
 */
export async function importDependency<T>(packageName: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (NOT_FOUND_CODES.has(e?.code ?? '') && typeof e.message === 'string' && e.message.includes(packageName)) {
      throw new ModelsecError(
        'DEPENDENCY_MISSING',
        `${purpose} needs the npm package ${packageName}, which is not installed (npm install ${packageName})`,
        { details: { package: packageName }, cause: error },
      );
    }
    throw error;
  }
}
