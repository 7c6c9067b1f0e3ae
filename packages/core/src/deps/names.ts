/** Package names as each ecosystem compares them: PEP 503 for PyPI, lower case for npm (its names are lower case). */
import { normalizePypiName } from '../bom/deps/purl.js';
import type { OsvEcosystem } from './osv-types.js';

export function normalizeName(ecosystem: OsvEcosystem, name: string): string {
  return ecosystem === 'pypi' ? normalizePypiName(name) : name.toLowerCase();
}

/** The key a package is indexed under: `pypi:huggingface-hub`, `npm:@xenova/transformers`. */
export function packageKey(ecosystem: OsvEcosystem, name: string): string {
  return `${ecosystem}:${normalizeName(ecosystem, name)}`;
}

/** The ecosystem of an OSV `affected[].package.ecosystem`, when it is one modelsec matches. */
export function osvEcosystem(name: string): OsvEcosystem | undefined {
  if (name === 'PyPI') return 'pypi';
  if (name === 'npm') return 'npm';
  return undefined;
}
