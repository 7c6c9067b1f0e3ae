import { createHash } from 'node:crypto';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_SHARD_SIZE, DEFAULT_SIGNATURE_NAME } from '../constants/values.js';
import { ModelsecError, toModelsecError } from '../errors/index.js';
import { type HashJob, hashFile, hashFiles } from './hash-file.js';

export { DEFAULT_SHARD_SIZE, DEFAULT_SIGNATURE_NAME };

export type SerializationMethod = 'files' | 'shards';

/** Ignored at the model root by default (`--no-ignore-git-paths` keeps them), as the reference does. */
export const DEFAULT_GIT_IGNORES = ['.git', '.gitattributes', '.github', '.gitignore'] as const;

/** Deepest directory nesting walked: a model tree deeper than this is hostile or a symlink loop. */
export const MAX_MODEL_DEPTH = 64;

/** Most files walked in one model: bounds memory for the resource list of an untrusted tree. */
export const MAX_SIGNED_MODEL_FILES = 1_000_000;

/** One hashed unit: a file (files method) or a byte range of a file (shards method). */
export interface ModelResource {
  /** `relative/posix/path` (files) or `relative/posix/path:start:end` (shards); `.` for a single-file model. */
  name: string;
  /** Lowercase hex digest. */
  digest: string;
  /** `sha256` (files) or `sha256-sharded-<shard size>` (shards, as the reference writes it). */
  algorithm: string;
}

export interface HashModelOptions {
  method?: SerializationMethod;
  shardSize?: number;
  /** Paths to leave out, relative to the model root (or absolute inside it). A directory drops its subtree. */
  ignorePaths?: readonly string[];
  /** Leave out `.git`, `.gitattributes`, `.github`, `.gitignore` at the root (default true). */
  ignoreGitPaths?: boolean;
  /** Follow symlinks (the target's bytes under the link's path). Default false: a symlink is an error. */
  allowSymlinks?: boolean;
  /** The signature file (always ignored); defaults to `<model>/model.sig`. */
  signaturePath?: string;
  /**
   * List the attestation files beside the signature (`model.<slug>.att.sig`) instead of leaving them out: for a
   * verifier that decides on them (check accepts only verified attestations of the version, never stray ones).
   */
  keepAttestationFiles?: boolean;
  /**
   * Incremental re-hashing (sign --reuse-from, verify --changed-since): digests of a VERIFIED earlier signature, reused
   * for every file whose modification and status-change times are both before `unchangedBeforeMs` (the earlier
   * signature file's modification time) and, for shards, whose shard list (its size) is the same. See reuse.ts.
   */
  reuse?: ReuseDigests;
  /** Worker threads; default one per core. */
  concurrency?: number;
  /** Progress: bytes hashed so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Incremental re-hashing reads at most this many bytes on the main thread instead of starting hash workers. */
export const INLINE_REHASH_BYTES = 16 * 1024 * 1024;

async function inlineDigests(jobs: readonly HashJob[], onBytes: (n: number) => void): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const job of jobs) {
    out.push(await hashFile(job.path, job.range ? { range: job.range } : {}));
    onBytes(job.range ? job.range.end - job.range.start : 0);
  }
  return out;
}

/** What an earlier, verified signature lets hashing skip (reuse.ts builds it). */
export interface ReuseDigests {
  method: SerializationMethod;
  shardSize?: number;
  resources: readonly ModelResource[];
  unchangedBeforeMs: number;
}

export interface ModelDigest {
  /** Name of the statement subject: the model directory or file base name. */
  subjectName: string;
  method: SerializationMethod;
  hashType: 'sha256';
  shardSize?: number;
  allowSymlinks: boolean;
  /** Ignored paths, relative to the model root, sorted (what `sign` records in the predicate). */
  ignorePaths: string[];
  resources: ModelResource[];
  /** Hex SHA-256 over the concatenated raw resource digests, in resource order. */
  rootDigest: string;
  totalBytes: number;
  /** With `reuse`: how many files and bytes were taken from the earlier signature instead of being read. */
  reused?: { files: number; bytes: number };
}

/** Names of attestation files kept beside a signature `NAME.sig`: `NAME.<slug>.att.sig`. */
export function attestationNamePattern(signatureName: string): RegExp {
  const base = signatureName.replace(/\.sig$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${base}\\.[A-Za-z0-9._-]+\\.att\\.sig$`);
}

/** Compares two relative POSIX paths as Python's PurePosixPath does: component by component, code-point order. */
export function comparePosixPaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(Buffer.from(pa[i]!, 'utf8'), Buffer.from(pb[i]!, 'utf8'));
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** Splits a shard resource name `path:start:end` (the path itself may contain colons). */
export function parseShardName(name: string): { path: string; start: number; end: number } | undefined {
  const m = /^(.*):(\d+):(\d+)$/s.exec(name);
  if (!m) return undefined;
  return { path: m[1]!, start: Number(m[2]), end: Number(m[3]) };
}

/** Orders resources as the reference implementation does (shards by path, then start offset). */
export function sortResources<T extends { name: string }>(resources: readonly T[], method: SerializationMethod): T[] {
  const key = (r: T) =>
    method === 'shards' ? (parseShardName(r.name) ?? { path: r.name, start: 0 }) : { path: r.name, start: 0 };
  return [...resources].sort((x, y) => {
    const kx = key(x);
    const ky = key(y);
    return comparePosixPaths(kx.path, ky.path) || kx.start - ky.start;
  });
}

/** Root digest: SHA-256 over the raw bytes of every resource digest, in the order given. */
export function computeRootDigest(resources: readonly { digest: string }[]): string {
  const h = createHash('sha256');
  for (const r of resources) h.update(Buffer.from(r.digest, 'hex'));
  return h.digest('hex');
}

/** Normalises user ignore paths to root-relative POSIX paths. */
export function normaliseIgnorePaths(root: string, paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const abs = isAbsolute(p) ? p : resolve(root, p);
    const rel = relative(root, abs).split(sep).join('/');
    if (rel === '' || rel.startsWith('../') || rel === '..') continue;
    out.add(rel);
  }
  return [...out].sort(comparePosixPaths);
}

function isIgnored(rel: string, ignores: readonly string[]): boolean {
  return ignores.some((p) => rel === p || rel.startsWith(`${p}/`));
}

interface ListedFile {
  rel: string;
  abs: string;
  size: number;
  /** The later of the modification and status-change times (ms): what incremental re-hashing compares. */
  changedMs: number;
}

/** Lists the regular files of a model directory, applying ignores and the symlink rule. */
export async function listModelFiles(root: string, ignores: readonly string[], allowSymlinks: boolean): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > MAX_MODEL_DEPTH) {
      throw new ModelsecError('LIMIT_EXCEEDED', `model tree deeper than ${MAX_MODEL_DEPTH} levels at ${dir}`, {
        details: { path: dir, limit: MAX_MODEL_DEPTH },
      });
    }
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (isIgnored(rel, ignores)) continue;
      if (entry.name.includes('\uFFFD')) {
        throw new ModelsecError('SIGNING_RESOURCE_NAME_INVALID', `file name is not valid UTF-8: ${rel}`, {
          details: { path: rel },
        });
      }
      const abs = join(dir, entry.name);
      let info = await lstat(abs);
      if (info.isSymbolicLink()) {
        if (!allowSymlinks) {
          throw new ModelsecError('SIGNING_SYMLINK_REFUSED', `${rel} is a symbolic link (pass --allow-symlinks to follow it)`, {
            details: { path: rel },
          });
        }
        info = await stat(abs);
      }
      if (info.isDirectory()) await walk(abs, rel, depth + 1);
      else if (info.isFile()) {
        files.push({ rel, abs, size: info.size, changedMs: Math.max(info.mtimeMs, info.ctimeMs) });
        if (files.length > MAX_SIGNED_MODEL_FILES) {
          throw new ModelsecError('LIMIT_EXCEEDED', `model has more than ${MAX_SIGNED_MODEL_FILES} files`, {
            details: { path: root, limit: MAX_SIGNED_MODEL_FILES },
          });
        }
      }
    }
  };
  await walk(root, '', 0);
  return files;
}

/**
 * Hashes a model (directory or single file) exactly as the OpenSSF Model Signing reference does:
 * regular files only, PurePosixPath order, default git ignores at the root, the signature file ignored,
 * symlinks refused unless allowed; files or shards method; root digest over the raw resource digests.
 * Work runs on the hashing worker pool.
 */
/**
 * The shards of one file as the `shards` serialization names them (`name:start:end`, end exclusive), each a hash
 * job over its byte range of `path`. The reference emits no shard for an empty file (upstream #653): neither do we.
 */
export function shardJobs(
  file: { name: string; path: string; size: number },
  shardSize: number,
): (HashJob & { name: string; range: { start: number; end: number } })[] {
  const jobs: (HashJob & { name: string; range: { start: number; end: number } })[] = [];
  for (let start = 0; start < file.size; start += shardSize) {
    const end = Math.min(file.size, start + shardSize);
    jobs.push({ path: file.path, name: `${file.name}:${start}:${end}`, range: { start, end } });
  }
  return jobs;
}

/** The shard digests of files, named as the `shards` serialization names them (for comparing with a signature). */
export async function hashShards(
  files: readonly { name: string; path: string; size: number }[],
  shardSize: number,
): Promise<{ name: string; digest: string }[]> {
  const jobs = files.flatMap((f) => shardJobs(f, shardSize));
  const digests = await hashFiles(jobs);
  return jobs.map((j, i) => ({ name: j.name, digest: (digests[i] as Buffer).toString('hex') }));
}

/** The files a model signature covers, listed as `hashModelDirectory` lists them (no hashing). */
export interface ListedModel {
  root: string;
  /** Resource names (POSIX, relative to the root; `.` for a single-file model), absolute paths, sizes, change times. */
  files: { name: string; path: string; size: number; changedMs: number }[];
  ignorePaths: string[];
  allowSymlinks: boolean;
}

/**
 * Lists a model (directory or single file) with the reference's rules: regular files only, default git ignores
 * at the root, the signature file and its attestations ignored, symlinks refused unless allowed.
 */
export async function listModel(modelPath: string, options: HashModelOptions = {}): Promise<ListedModel> {
  const root = resolve(modelPath);
  let info: import('node:fs').Stats;
  try {
    info = await lstat(root);
    if (info.isSymbolicLink()) info = await stat(root);
  } catch (error) {
    throw toModelsecError(error);
  }
  const allowSymlinks = options.allowSymlinks ?? false;
  let listed: ListedFile[];
  let ignorePaths: string[] = [];
  if (info.isDirectory()) {
    const signature = options.signaturePath ? resolve(options.signaturePath) : join(root, DEFAULT_SIGNATURE_NAME);
    const userIgnores = [...(options.ignorePaths ?? []), signature];
    if (options.ignoreGitPaths ?? true) userIgnores.push(...DEFAULT_GIT_IGNORES);
    ignorePaths = normaliseIgnorePaths(root, userIgnores);
    // Attestations accumulate beside the signature (`model.<type>.att.sig`, see attestationPathFor): never hashed.
    const attestationPattern = attestationNamePattern(basename(signature));
    const signatureDir = dirname(signature);
    // The log proof beside the signature (`model.tlog.json`, written by push and pull) is evidence, never a model file.
    const tlogName = `${basename(signature).replace(/\.sig$/, '')}.tlog.json`;
    listed = (await listModelFiles(root, ignorePaths, allowSymlinks)).filter((f) => {
      const beside = dirname(f.abs) === signatureDir;
      if (beside && basename(f.abs) === tlogName) return false;
      return options.keepAttestationFiles === true || !(beside && attestationPattern.test(basename(f.abs)));
    });
  } else if (info.isFile()) {
    listed = [{ rel: '.', abs: root, size: info.size, changedMs: Math.max(info.mtimeMs, info.ctimeMs) }];
  } else {
    throw new ModelsecError('FILE_UNREADABLE', `${modelPath} is neither a file nor a directory`, {
      details: { path: modelPath },
    });
  }
  return {
    root,
    files: listed.map((f) => ({ name: f.rel, path: f.abs, size: f.size, changedMs: f.changedMs })),
    ignorePaths,
    allowSymlinks,
  };
}

/**
 * Hashes a model (directory or single file) exactly as the OpenSSF Model Signing reference does:
 * regular files only, PurePosixPath order, default git ignores at the root, the signature file ignored,
 * symlinks refused unless allowed; files or shards method; root digest over the raw resource digests.
 * Work runs on the hashing worker pool.
 */
export async function hashModelDirectory(modelPath: string, options: HashModelOptions = {}): Promise<ModelDigest> {
  const method = options.method ?? 'files';
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0) {
    throw new ModelsecError('INVALID_ARGUMENT', `shard size must be a positive integer, got ${shardSize}`);
  }
  const { root, files, ignorePaths, allowSymlinks } = await listModel(modelPath, options);
  const listed = files.map((f) => ({ rel: f.name, abs: f.path, size: f.size, changedMs: f.changedMs }));
  const algorithm = method === 'files' ? 'sha256' : `sha256-sharded-${shardSize}`;
  const reuse = options.reuse;
  const reusable =
    reuse && reuse.method === method && (method === 'files' || reuse.shardSize === shardSize)
      ? new Map(reuse.resources.map((r) => [r.name, r.digest.toLowerCase()]))
      : undefined;
  const jobs: (HashJob & { name: string })[] = [];
  const kept: ModelResource[] = [];
  let reusedFiles = 0;
  let reusedBytes = 0;
  for (const f of listed) {
    const fileJobs =
      method === 'files'
        ? [{ path: f.abs, name: f.rel, range: { start: 0, end: f.size } }]
        : shardJobs({ name: f.rel, path: f.abs, size: f.size }, shardSize);
    const unchanged = reusable && reuse && f.changedMs < reuse.unchangedBeforeMs && fileJobs.every((j) => reusable.has(j.name));
    if (unchanged) {
      for (const j of fileJobs) kept.push({ name: j.name, digest: reusable.get(j.name) as string, algorithm });
      reusedFiles += 1;
      reusedBytes += f.size;
    } else jobs.push(...fileJobs);
  }
  const totalBytes = listed.reduce((s, f) => s + f.size, 0) - reusedBytes;
  let done = 0;
  const onProgress = options.onProgress;
  // An incremental re-hash of a few small files (a README edit) is read here: starting the worker pool costs more.
  const inline = reuse !== undefined && totalBytes <= INLINE_REHASH_BYTES;
  const digests = inline
    ? await inlineDigests(jobs, (n) => {
        done += n;
        onProgress?.(done, totalBytes);
      })
    : await hashFiles(jobs, {
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(onProgress
          ? {
              onProgress: (n: number) => {
                done += n;
                onProgress(done, totalBytes);
              },
            }
          : {}),
      });
  const resources = sortResources(
    [...kept, ...jobs.map((j, i) => ({ name: j.name, digest: digests[i]!.toString('hex'), algorithm }))],
    method,
  );
  return {
    subjectName: basename(root),
    method,
    hashType: 'sha256',
    ...(method === 'shards' ? { shardSize } : {}),
    allowSymlinks,
    ignorePaths,
    resources,
    rootDigest: computeRootDigest(resources),
    totalBytes: totalBytes + reusedBytes,
    ...(reuse ? { reused: { files: reusedFiles, bytes: reusedBytes } } : {}),
  };
}
