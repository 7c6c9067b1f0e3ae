import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ModelsecError, toModelsecError } from '../../errors/index.js';
import type { DependencyParseResult } from '../dependency-types.js';
import { parseCondaEnvironmentText } from './conda-env.js';
import {
  MAX_DEPENDENCY_FILE_BYTES,
  MAX_DEPENDENCY_FILES_FOUND,
  MAX_DEPENDENCY_SEARCH_DEPTH,
  MAX_DEPENDENCY_SEARCH_ENTRIES,
} from './limits.js';
import { parsePackageLockText } from './package-lock.js';
import { normalizePypiName } from './purl.js';
import { parsePyprojectText } from './pyproject.js';
import { parsePipfileLockText, parsePoetryLockText, parseUvLockText } from './python-locks.js';
import { type IncludeResolver, parseRequirementsText } from './requirements.js';
import { isRecord } from './shape.js';
import { DEPENDENCY_WARNING_CODES as W } from './warnings.js';

/** The dependency file formats modelsec reads. */
export type DependencyFileKind =
  | 'requirements'
  | 'pyproject'
  | 'poetry-lock'
  | 'uv-lock'
  | 'pipfile-lock'
  | 'conda-environment'
  | 'package-lock';

export const DEPENDENCY_FILE_KINDS: readonly DependencyFileKind[] = [
  'requirements',
  'pyproject',
  'poetry-lock',
  'uv-lock',
  'pipfile-lock',
  'conda-environment',
  'package-lock',
];

/** The kind of dependency file a file name designates, or undefined. */
export function dependencyFileKind(fileName: string): DependencyFileKind | undefined {
  const name = basename(fileName);
  const lower = name.toLowerCase();
  if (/(^|[-_.])requirements([-_.][\w.-]*)?\.(txt|in)$/i.test(name)) return 'requirements';
  if (lower === 'pyproject.toml') return 'pyproject';
  if (lower === 'poetry.lock') return 'poetry-lock';
  if (lower === 'uv.lock') return 'uv-lock';
  if (lower === 'pipfile.lock') return 'pipfile-lock';
  if (/^(.*[-_.])?(environment|conda)\.ya?ml$/.test(lower)) return 'conda-environment';
  if (lower === 'package-lock.json' || lower === 'npm-shrinkwrap.json') return 'package-lock';
  return undefined;
}

function empty(source: string, code: string, message: string): DependencyParseResult {
  return { packages: [], direct: [], warnings: [{ code, message, file: source }] };
}

/** Parses dependency-file text of a known kind. Never throws on bad content: problems become warnings. */
export function parseDependencyText(
  text: string,
  kind: DependencyFileKind,
  source: string,
  resolveInclude?: IncludeResolver,
): DependencyParseResult {
  if (text.includes('\u0000')) {
    return empty(source, W.PARSE_ERROR, 'binary content (NUL bytes), not a text dependency file; not read');
  }
  try {
    switch (kind) {
      case 'requirements':
        return parseRequirementsText(text, { source, ...(resolveInclude ? { resolveInclude } : {}) });
      case 'pyproject':
        return parsePyprojectText(text, source);
      case 'poetry-lock':
        return parsePoetryLockText(text, source);
      case 'uv-lock':
        return parseUvLockText(text, source);
      case 'pipfile-lock':
        return parsePipfileLockText(text, source);
      case 'conda-environment':
        return parseCondaEnvironmentText(text, source, resolveInclude);
      case 'package-lock':
        return parsePackageLockText(text, source);
    }
  } catch (error) {
    // A parser bug must not take the BOM down: report it against the file, fail closed (no packages).
    return empty(source, W.PARSE_ERROR, `could not be parsed: ${(error as Error).message ?? String(error)}`);
  }
}

/** Reads a small file synchronously with a size cap (for `-r` includes). */
function readCapped(path: string): string | { error: string } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const info = fstatSync(fd);
    if (!info.isFile()) return { error: 'not a regular file' };
    if (info.size > MAX_DEPENDENCY_FILE_BYTES)
      return { error: `over ${MAX_DEPENDENCY_FILE_BYTES} bytes (MAX_DEPENDENCY_FILE_BYTES)` };
    const buffer = Buffer.alloc(info.size);
    readSync(fd, buffer, 0, info.size, 0);
    return buffer.toString('utf8');
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `-r` includes may only name files in the same directory as the including file (no paths, no URLs). */
function sameDirectoryResolver(dir: string, baseDir: string): IncludeResolver {
  return (reference) => {
    const ref = reference.trim();
    if (ref === '' || /[\\/]/.test(ref) || ref === '.' || ref === '..' || /^[a-z][a-z0-9+.-]*:/i.test(ref)) {
      return { error: 'only files in the same directory are read (no paths or URLs)' };
    }
    const path = join(dir, ref);
    const text = readCapped(path);
    if (typeof text !== 'string') return text;
    return { text, source: relative(baseDir, path).split(sep).join('/') };
  };
}

export interface ParseDependencyFileOptions {
  /** Directory `source` names are relative to (the model directory). Default: the file's own directory. */
  baseDir?: string;
  /** Force the kind instead of detecting it from the file name. */
  kind?: DependencyFileKind;
}

/**
 * Reads and parses one lockfile or manifest, its kind detected from its name. Throws only for a missing or
 * unreadable path or an unrecognised name (BOM_INPUT_INVALID); bad content, oversized files and wrong types come
 * back as warnings naming the file and field.
 */
export async function parseDependencyFile(
  path: string,
  options: ParseDependencyFileOptions = {},
): Promise<DependencyParseResult> {
  const kind = options.kind ?? dependencyFileKind(path);
  if (kind === undefined) {
    throw new ModelsecError(
      'BOM_INPUT_INVALID',
      `${path}: not a recognised dependency file name (requirements*.txt, pyproject.toml, poetry.lock, uv.lock, Pipfile.lock, environment.yml, package-lock.json)`,
      { details: { file: path } },
    );
  }
  const baseDir = options.baseDir ?? dirname(path);
  const source = (isAbsolute(path) || options.baseDir ? relative(baseDir, path) : path).split(sep).join('/');
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ModelsecError('FILE_UNREADABLE', `${path} is not a regular file`, { details: { path } });
    if (info.size > MAX_DEPENDENCY_FILE_BYTES) {
      return empty(
        source,
        W.LIMIT_EXCEEDED,
        `${info.size} bytes, over the ${MAX_DEPENDENCY_FILE_BYTES}-byte limit (MAX_DEPENDENCY_FILE_BYTES); not read`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw toModelsecError(error);
  }
  const result = parseDependencyText(text, kind, source, sameDirectoryResolver(dirname(path), baseDir));
  if ((kind === 'poetry-lock' || kind === 'pipfile-lock') && result.direct.length === 0) {
    markDirectFromManifest(result, kind, dirname(path));
  }
  return result;
}

/**
 * poetry.lock and Pipfile.lock are flat: the project's own (direct) dependencies are in the manifest beside them
 * (pyproject.toml, Pipfile). When that manifest is there and readable, the locked packages it names are direct.
 */
function markDirectFromManifest(result: DependencyParseResult, kind: DependencyFileKind, dir: string): void {
  const manifest = join(dir, kind === 'poetry-lock' ? 'pyproject.toml' : 'Pipfile');
  const text = readCapped(manifest);
  if (typeof text !== 'string') return;
  let names: Set<string>;
  if (kind === 'poetry-lock') {
    names = new Set(parsePyprojectText(text, 'pyproject.toml').packages.map((p) => p.name));
  } else {
    names = new Set();
    try {
      const doc = parseToml(text) as Record<string, unknown>;
      for (const section of ['packages', 'dev-packages']) {
        const table = doc[section];
        if (isRecord(table)) for (const name of Object.keys(table)) names.add(normalizePypiName(name));
      }
    } catch {
      return;
    }
  }
  result.direct = result.packages
    .filter((p) => names.has(p.name))
    .map((p) => p.purl)
    .sort();
}

/** Folders never searched for dependency files: installed packages, VCS data, caches, virtualenvs. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', 'site-packages', '.cache']);

/**
 * The dependency files in a directory and up to MAX_DEPENDENCY_SEARCH_DEPTH levels below it (skipping
 * node_modules, VCS and virtualenv folders, hidden folders and symlinks), as absolute paths sorted by their path
 * relative to `dir`. At most MAX_DEPENDENCY_FILES_FOUND files.
 */
export async function findDependencyFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  let seen = 0;
  const walk = async (current: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      if (current === dir) throw toModelsecError(error);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++seen > MAX_DEPENDENCY_SEARCH_ENTRIES || found.length >= MAX_DEPENDENCY_FILES_FOUND) return;
      const path = join(current, entry.name);
      if (entry.isFile() && dependencyFileKind(entry.name)) found.push(path);
      else if (
        entry.isDirectory() &&
        depth < MAX_DEPENDENCY_SEARCH_DEPTH &&
        !SKIPPED_DIRS.has(entry.name) &&
        !entry.name.startsWith('.')
      )
        await walk(path, depth + 1);
    }
  };
  await walk(dir, 0);
  return found.sort((a, b) => {
    const ra = relative(dir, a);
    const rb = relative(dir, b);
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  });
}
