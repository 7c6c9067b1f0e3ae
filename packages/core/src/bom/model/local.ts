import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ModelsecError, toModelsecError } from '../../errors/index.js';
import { fileSource } from '../../formats/byte-source.js';
import { hashFiles } from '../../hashing/index.js';
import type { DependencyParseResult } from '../dependency-types.js';
import { findDependencyFiles, parseDependencyFile } from '../deps/index.js';
import { type GatherOptions, gatherModelFacts, type ListedFile, type ModelFileAccess, mergeDependencyResults } from './gather.js';
import { readGitHead } from './git.js';
import { MAX_MODEL_DIR_DEPTH, MAX_MODEL_FILES } from './limits.js';
import type { BomWarning, ModelFacts } from './types.js';

export interface LocalModelOptions extends GatherOptions {
  /** 'auto' finds lockfiles and manifests in the model directory; 'none' (default) skips them. */
  deps?: 'auto' | 'none';
  /** Extra dependency files (absolute or relative to the working directory). */
  depsFiles?: string[];
  /** Parallel hashing jobs. */
  concurrency?: number;
}

/** Folders never part of a model's file list (VCS data, caches). */
const SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', '__pycache__', '.cache']);

async function listDirectory(root: string, warnings: BomWarning[]): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw toModelsecError(error);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name)) continue;
        if (depth >= MAX_MODEL_DIR_DEPTH) {
          warnings.push({ code: 'LIMIT_EXCEEDED', file: rel, message: `${rel}: deeper than MAX_MODEL_DIR_DEPTH; not listed` });
          continue;
        }
        await walk(path, depth + 1);
      } else if (entry.isFile()) {
        if (out.length >= MAX_MODEL_FILES) {
          throw new ModelsecError('LIMIT_EXCEEDED', `${root} has more than MAX_MODEL_FILES (${MAX_MODEL_FILES}) files`, {
            details: { path: root, limit: 'MAX_MODEL_FILES', max: MAX_MODEL_FILES },
          });
        }
        out.push({ path: rel, size: (await lstat(path)).size });
      } else if (entry.isSymbolicLink()) {
        warnings.push({ code: 'SYMLINK_SKIPPED', file: rel, message: `${rel}: symbolic link not followed; not in the BOM` });
      }
    }
  };
  await walk(root, 0);
  return out;
}

/** Access to a model directory (or a single model file) on disk. */
export async function localModelAccess(
  path: string,
  options: LocalModelOptions = {},
): Promise<{ access: ModelFileAccess; warnings: BomWarning[] }> {
  const absolute = resolve(path);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(absolute);
  } catch (error) {
    throw toModelsecError(error);
  }
  const isDir = info.isDirectory();
  if (!isDir && !info.isFile()) {
    throw new ModelsecError('FILE_UNREADABLE', `${path} is neither a regular file nor a directory`, { details: { path } });
  }
  const root = isDir ? absolute : dirname(absolute);
  const warnings: BomWarning[] = [];
  const commit = isDir ? await readGitHead(root) : undefined;
  const localName = basename(isDir ? await realpath(absolute) : absolute);
  const access: ModelFileAccess = {
    origin: { kind: isDir ? 'directory' : 'file', localName, ...(commit ? { commit } : {}) },
    list: async () => (isDir ? listDirectory(root, warnings) : [{ path: basename(absolute), size: info.size }]),
    readText: async (rel) => readFile(join(root, rel), 'utf8'),
    open: async (rel) => fileSource(join(root, rel)),
    hash: async (files, onFileHashed) => {
      const digests = await hashFiles(
        files.map((f) => ({ path: join(root, f.path) })),
        // hashFiles reports whole-file jobs as they finish (0 bytes each); count them as files done.
        { concurrency: options.concurrency ?? 4, ...(onFileHashed ? { onBytes: () => onFileHashed(1) } : {}) },
      );
      return digests.map((d) => d.toString('hex'));
    },
    dependencies: async () => {
      const paths = new Set<string>();
      if (options.deps === 'auto' && isDir) for (const p of await findDependencyFiles(root)) paths.add(p);
      for (const p of options.depsFiles ?? []) paths.add(resolve(p));
      if (paths.size === 0) return undefined;
      const results: DependencyParseResult[] = [];
      for (const p of [...paths].sort()) {
        const inside = !relative(root, p).startsWith('..');
        results.push(await parseDependencyFile(p, inside ? { baseDir: root } : {}));
      }
      return mergeDependencyResults(results);
    },
  };
  return { access, warnings };
}

/** Gathers the facts of a local model directory or file. */
export async function gatherLocalModel(path: string, options: LocalModelOptions = {}): Promise<ModelFacts> {
  const { access, warnings } = await localModelAccess(path, options);
  const facts = await gatherModelFacts(access, options);
  facts.warnings.push(...warnings);
  return facts;
}
