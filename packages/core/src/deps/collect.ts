/**
 * Finds and reads the dependency files of the PATHs given to `modelsec deps` with the ML-BOM's parsers
 * (bom/deps), keeping each file's text for the rules that read what the parsers leave out (indexes, URLs, hashes)
 * and for line numbers. A file that is garbage (nothing readable, only parse errors) is a DEPS_INPUT_INVALID error
 * naming it: never an empty result that would read as "no findings".
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { DeclaredPackage, DependencyWarning } from '../bom/dependency-types.js';
import { type DependencyFileKind, dependencyFileKind, findDependencyFiles, parseDependencyFile } from '../bom/deps/files.js';
import { MAX_DEPENDENCY_FILE_BYTES } from '../bom/deps/limits.js';
import { DEPENDENCY_WARNING_CODES } from '../bom/deps/warnings.js';
import { ModelsecError, toModelsecError } from '../errors/index.js';

/** One dependency file read for the audit. */
export interface DependencyFileContext {
  /** Absolute path. */
  path: string;
  /** The path reported in findings: relative to the working directory when below it, '/'-separated. */
  source: string;
  kind: DependencyFileKind;
  text: string;
  packages: DeclaredPackage[];
}

/** How a path is shown in reports: relative to `cwd` when below it, else absolute; always '/'-separated. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const shown = rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  return shown.split(sep).join('/');
}

/** A file that yields no package and has one of these is not judged as empty: it could not be read. */
const GARBAGE_CODES = new Set<string>([
  DEPENDENCY_WARNING_CODES.PARSE_ERROR,
  DEPENDENCY_WARNING_CODES.FIELD_INVALID,
  DEPENDENCY_WARNING_CODES.LIMIT_EXCEEDED,
]);

/** Whether a warning says the file (not one line of it) could not be read. */
function unreadable(w: DependencyWarning, source: string): boolean {
  if (w.file !== source) return false;
  // An unsupported line (`-e .`, a bare URL) leaves a real file; an unsupported file format does not.
  return GARBAGE_CODES.has(w.code) || (w.code === DEPENDENCY_WARNING_CODES.UNSUPPORTED && w.line === undefined);
}

/** Reads one dependency file. */
export async function readDependencyFile(
  path: string,
  cwd: string,
): Promise<{ file: DependencyFileContext; warnings: DependencyWarning[] }> {
  const source = displayPath(path, cwd);
  const kind = dependencyFileKind(path);
  if (!kind)
    throw new ModelsecError(
      'USAGE',
      `${source}: not a dependency file modelsec reads (requirements*.txt, pyproject.toml, poetry.lock, uv.lock, Pipfile.lock, environment.yml, package-lock.json)`,
      { details: { path: source } },
    );
  // Sources are named relative to the working directory; a file outside it is named by its absolute path.
  const below = !isAbsolute(source);
  const result = await parseDependencyFile(path, { baseDir: below ? cwd : dirname(path) });
  const rename = (s: string): string => (below ? s : join(dirname(path), s).split(sep).join('/'));
  const packages = result.packages.map((p) => ({ ...p, source: rename(p.source) }));
  const warnings = result.warnings.map((w) => ({ ...w, file: rename(w.file) }));
  if (packages.length === 0 && warnings.some((w) => unreadable(w, source))) {
    const first = warnings.find((w) => unreadable(w, source));
    throw new ModelsecError(
      'DEPS_INPUT_INVALID',
      `${source}: not a readable ${kind} file: ${first?.message ?? 'nothing could be read'}${first?.line ? ` (line ${first.line})` : ''}`,
      { details: { file: source, kind, warnings: warnings.slice(0, 5) } },
    );
  }
  let text = '';
  const info = await stat(path);
  if (info.size <= MAX_DEPENDENCY_FILE_BYTES) text = await readFile(path, 'utf8');
  return { file: { path, source, kind, text, packages }, warnings };
}

/** The dependency files under each PATH (a directory is searched as the ML-BOM searches it; a file is read as given). */
export async function collectDependencyFiles(
  paths: readonly string[],
  cwd: string,
): Promise<{ files: DependencyFileContext[]; warnings: DependencyWarning[] }> {
  const seen = new Set<string>();
  const files: DependencyFileContext[] = [];
  const warnings: DependencyWarning[] = [];
  for (const given of paths) {
    const path = resolve(cwd, given);
    let info: import('node:fs').Stats;
    try {
      info = await stat(path);
    } catch (error) {
      throw toModelsecError(error);
    }
    const found = info.isDirectory() ? await findDependencyFiles(path) : [path];
    if (found.length === 0)
      warnings.push({
        code: 'DEPS_NOTHING_FOUND',
        message: 'no lockfile or manifest found here (nor up to two levels below): no package was judged',
        file: displayPath(path, cwd),
      });
    for (const file of found) {
      if (seen.has(file)) continue;
      seen.add(file);
      const read = await readDependencyFile(file, cwd);
      files.push(read.file);
      warnings.push(...read.warnings);
    }
  }
  files.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { files, warnings };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A name pattern that matches any spelling PEP 503 folds together (`huggingface_hub`, `HuggingFace-Hub`). */
function namePattern(name: string, pypi: boolean): string {
  if (!pypi) return escapeRegex(name);
  return name
    .split(/[-_.]+/)
    .map(escapeRegex)
    .join('[-_.]+');
}

/**
 * The 1-based line of a package's declaration in its file's text: the line that names it as a package (TOML
 * `name = "x"`, JSON `"node_modules/x"` or `"x": {`, a requirement line), else the first line naming it.
 */
export function lineOf(text: string, kind: DependencyFileKind, name: string): number | undefined {
  if (text === '') return undefined;
  const pypi = kind !== 'package-lock';
  const n = namePattern(name, pypi);
  const boundary = '(?<![A-Za-z0-9._/@-])';
  const after = '(?![A-Za-z0-9._-])';
  const patterns: RegExp[] =
    kind === 'package-lock'
      ? [new RegExp(`"node_modules/${n}"`), new RegExp(`"${n}"\\s*:`)]
      : kind === 'poetry-lock' || kind === 'uv-lock'
        ? [new RegExp(`^name\\s*=\\s*"${n}"`, 'im')]
        : kind === 'pipfile-lock'
          ? [new RegExp(`"${n}"\\s*:\\s*\\{`, 'i')]
          : [new RegExp(`^\\s*(?:-\\s*)?(?:pip:\\s*)?["']?${n}${after}`, 'im')];
  patterns.push(new RegExp(`${boundary}${n}${after}`, pypi ? 'i' : ''));
  for (const pattern of patterns) {
    const m = pattern.exec(text);
    if (m) return text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
  }
  return undefined;
}
