import { ModelsecError } from '../errors/modelsec-error.js';

/** Node's codes for a specifier that resolves to nothing (ESM and CommonJS loaders). */
const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * Whether `error` is Node's answer for `packageName` itself not being installed: a not-found code and the name in
 * quotes, as both loaders print it (`Cannot find package 'x'`, `Cannot find module 'x'`), so a missing dependency
 * OF an installed package (whose name merely contains this one) is not mistaken for it.
 */
export function isMissingPackage(error: unknown, packageName: string): boolean {
  const e = error as NodeJS.ErrnoException | null;
  return NOT_FOUND_CODES.has(e?.code ?? '') && typeof e?.message === 'string' && e.message.includes(`'${packageName}'`);
}

/**
 * Runs `load` (a literal `import('pkg')`, so the package is evaluated only when a feature first needs it) and
 * turns the package's absence into DEPENDENCY_MISSING naming it and how to install it. Any other failure (a
 * package that is present but throws while loading) propagates unchanged.
 */
export async function importDependency<T>(packageName: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, packageName)) {
      throw new ModelsecError(
        'DEPENDENCY_MISSING',
        `${purpose} needs the npm package ${packageName}, which is not installed (npm install ${packageName})`,
        { details: { package: packageName }, cause: error },
      );
    }
    throw error;
  }
}
