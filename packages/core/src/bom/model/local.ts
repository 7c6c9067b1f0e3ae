import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ModelsecError, toModelsecError } from '../../errors/index.js';
import { fileSource } from '../../formats/byte-source.js';
import { hashFiles } from '../../hashing/index.js';
import type { DependencyParseResult } from '../dependency-types.js';
import { dependencyFileKind, MAX_DEPENDENCY_FILES_FOUND, parseDependencyFile } from '../deps/index.js';
import { type GatherOptions, gatherModelFacts, type ListedFile, type ModelFileAccess, mergeDependencyResults } from './gather.js';
import { readGitHead } from './git.js';
import { MAX_BOM_MODEL_DIR_DEPTH, MAX_BOM_MODEL_FILES } from './limits.js';
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

/** A Hugging Face cache snapshot: `.../models--ORG--NAME/snapshots/<sha>`. */
const HF_CACHE_SNAPSHOT =
  /(?:^|[\\/])models--([A-Za-z0-9][A-Za-z0-9._-]*?)--([A-Za-z0-9][A-Za-z0-9._-]*)[\\/]snapshots[\\/]([0-9a-f]{40})$/;

/** The Hub repo a local directory is a copy of: an HF cache snapshot, or a git clone whose origin is the Hub. */
async function hubIdentity(root: string): Promise<{ repoId: string; commit?: string; cacheRepoDir?: string } | undefined> {
  const cache = HF_CACHE_SNAPSHOT.exec(root);
  if (cache) return { repoId: `${cache[1]}/${cache[2]}`, commit: cache[3]!, cacheRepoDir: resolve(root, '..', '..') };
  const config = await readFile(join(root, '.git', 'config'), 'utf8').catch(() => undefined);
  const url =
    config &&
    /^\s*url\s*=\s*https:\/\/(?:huggingface\.co|hf\.co)\/([A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*?)(?:\.git)?\/?\s*$/m.exec(
      config,
    );
  if (url && !url[1]!.startsWith('datasets/') && !url[1]!.startsWith('spaces/')) return { repoId: url[1]! };
  return undefined;
}

/** `model.sig`, `model.<slug>.att.sig`, `model.tlog.json` at the model root: never listed as model files. */
const EVIDENCE_FILE = /^model\.(sig|[A-Za-z0-9._-]+\.att\.sig|tlog\.json)$/;

async function listDirectory(root: string, warnings: BomWarning[], linkBase?: string): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  const baseReal = await realpath(linkBase ?? root);
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
        if (depth >= MAX_BOM_MODEL_DIR_DEPTH) {
          warnings.push({
            code: 'LIMIT_EXCEEDED',
            file: rel,
            message: `${rel}: deeper than MAX_BOM_MODEL_DIR_DEPTH; not listed`,
          });
          continue;
        }
        await walk(path, depth + 1);
      } else if (entry.isFile()) {
        // The signature and the evidence beside it (attestations, the log proof) are about the model, not part of it.
        if (depth === 0 && EVIDENCE_FILE.test(entry.name)) continue;
        if (out.length >= MAX_BOM_MODEL_FILES) {
          throw new ModelsecError('LIMIT_EXCEEDED', `${root} has more than MAX_BOM_MODEL_FILES (${MAX_BOM_MODEL_FILES}) files`, {
            details: { path: root, limit: 'MAX_BOM_MODEL_FILES', max: MAX_BOM_MODEL_FILES },
          });
        }
        out.push({ path: rel, size: (await lstat(path)).size });
      } else if (entry.isSymbolicLink()) {
        // Followed only when it stays inside the model (or, for an HF cache snapshot, inside the repo's blobs).
        const target = await realpath(path).catch(() => undefined);
        const info = target ? await stat(target).catch(() => undefined) : undefined;
        const fromBase = target === undefined ? '..' : relative(baseReal, target);
        const inside = !fromBase.startsWith('..') && !isAbsolute(fromBase);
        if (info?.isFile() && inside) out.push({ path: rel, size: info.size });
        else
          warnings.push({
            code: 'SYMLINK_SKIPPED',
            file: rel,
            message: `${rel}: symbolic link leaving the model directory not followed; not in the BOM`,
          });
      }
    }
  };
  await walk(root, 0);
  return out;
}

/** A dependency file by name, outside hidden folders, node_modules and virtualenvs (as the deps finder skips). */
export function isDependencyCandidate(path: string): boolean {
  const parts = path.split('/');
  const dirs = parts.slice(0, -1);
  if (dirs.some((d) => d.startsWith('.') || d === 'node_modules' || d === 'venv' || d === 'site-packages' || d === '__pycache__'))
    return false;
  return dependencyFileKind(parts[parts.length - 1]!) !== undefined;
}

/** The dependency files among the listed ones, at most MAX_DEPENDENCY_FILES_FOUND (a warning names the rest). */
export function dependencyCandidates<T extends { path: string }>(files: T[], warnings: BomWarning[]): T[] {
  const found = files.filter((f) => isDependencyCandidate(f.path));
  for (const f of found.slice(MAX_DEPENDENCY_FILES_FOUND)) {
    warnings.push({
      code: 'LIMIT_EXCEEDED',
      file: f.path,
      message: `${f.path}: more than MAX_DEPENDENCY_FILES_FOUND (${MAX_DEPENDENCY_FILES_FOUND}) dependency files; not read`,
    });
  }
  return found.slice(0, MAX_DEPENDENCY_FILES_FOUND);
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
  const hub = isDir ? await hubIdentity(root) : undefined;
  const commit = hub?.commit ?? (isDir ? await readGitHead(root) : undefined);
  const localName = basename(isDir ? await realpath(absolute) : absolute);
  const access: ModelFileAccess = {
    origin: {
      kind: isDir ? 'directory' : 'file',
      localName,
      ...(commit ? { commit } : {}),
      ...(hub ? { repoId: hub.repoId } : {}),
    },
    list: async () =>
      isDir ? listDirectory(root, warnings, hub?.cacheRepoDir) : [{ path: basename(absolute), size: info.size }],
    readText: async (rel) => readFile(join(root, rel), 'utf8'),
    open: async (rel) => fileSource(join(root, rel)),
    hash: async (files, onHashed) => {
      const digests = await hashFiles(
        files.map((f) => ({ path: join(root, f.path) })),
        // hashFiles reports bytes as they are hashed; its default concurrency is the hashing pool's.
        {
          ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
          ...(onHashed ? { onProgress: onHashed } : {}),
        },
      );
      return digests.map((d) => d.toString('hex'));
    },
    dependencies: async (files) => {
      const paths = new Set<string>();
      // The listed files (symlinks into an HF cache included), as for the Hub: same files, same packages.
      if (options.deps === 'auto' && isDir) {
        for (const f of dependencyCandidates(files, warnings)) paths.add(join(root, f.path));
      }
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
