import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ModelsecError } from '../errors/index.js';
import { fetchModelMetadata, type HubClientOptions, hubClient, resolveUrl } from './client.js';
import { parseHubReference } from './reference.js';

export interface SnapshotOptions extends HubClientOptions {
  /** Default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Called with bytes downloaded so far and the total to download. */
  onProgress?: (done: number, total: number) => void;
}

export interface Snapshot {
  /** The snapshot directory: `<cache>/models--ORG--NAME/snapshots/<sha>`. */
  path: string;
  repo: string;
  commit: string;
  files: Array<{ path: string; size: number; sha256?: string }>;
}

/** The Hugging Face cache directory, as huggingface_hub resolves it. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface', 'hub');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Downloads every file of a Hub model revision into the standard HF cache layout (blobs named by LFS sha256 or git
 * oid, snapshot symlinks, refs/<revision>), verifying LFS files against their sha256 (HUB_HASH_MISMATCH on a
 * mismatch, and the blob is not kept). Files already in the cache are not downloaded again.
 */
export async function downloadSnapshot(target: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  const ref = parseHubReference(target);
  const client = hubClient(options);
  const meta = await fetchModelMetadata(ref, client);
  const repoDir = join(options.cacheDir ?? hubCacheDir(options.env), `models--${meta.repo.replace('/', '--')}`);
  const snapshotDir = join(repoDir, 'snapshots', meta.sha);
  const total = meta.files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  await mkdir(join(repoDir, 'blobs'), { recursive: true });
  for (const file of meta.files) {
    const blobName = file.lfsSha256 ?? file.oid ?? createHash('sha256').update(`${meta.sha}:${file.path}`).digest('hex');
    const blob = join(repoDir, 'blobs', blobName);
    if (!(await exists(blob))) {
      const partial = `${blob}.incomplete`;
      const url = resolveUrl(client, meta.repo, meta.sha, file.path);
      let response: Response;
      try {
        response = await client.fetch(url, { headers: client.token ? { authorization: `Bearer ${client.token}` } : {} });
      } catch (error) {
        throw new ModelsecError('NETWORK_ERROR', `hf://${meta.repo}/${file.path}: ${(error as Error).message}`, { cause: error });
      }
      if (!response.ok || !response.body) {
        throw new ModelsecError('HUB_ERROR', `hf://${meta.repo}/${file.path}: the Hub answered ${response.status}`, {
          details: { status: response.status },
        });
      }
      const hash = createHash('sha256');
      // A file stored in git (not LFS) is checked against its listed git blob id: sha1("blob <size>\0" + bytes).
      const gitHash = !file.lfsSha256 && file.oid?.length === 40 ? createHash('sha1').update(`blob ${file.size}\0`) : undefined;
      let received = 0;
      const mismatch = (what: string, details: Record<string, unknown>) =>
        new ModelsecError('HUB_HASH_MISMATCH', `hf://${meta.repo}/${file.path}: ${what}`, {
          details: { file: file.path, ...details },
        });
      const counter = new (await import('node:stream')).Transform({
        transform(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          // The listed size bounds the download: a Hub that streams without end cannot fill the disk.
          if (received > file.size)
            return cb(mismatch(`the Hub sent more than the ${file.size} bytes it listed`, { expectedSize: file.size }));
          hash.update(chunk);
          gitHash?.update(chunk);
          done += chunk.length;
          options.onProgress?.(done, total);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(
          Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
          counter,
          createWriteStream(partial),
        );
        const actual = hash.digest('hex');
        if (received !== file.size)
          throw mismatch(`the Hub sent ${received} bytes, it listed ${file.size}`, { expectedSize: file.size, size: received });
        if (file.lfsSha256 && actual !== file.lfsSha256)
          throw mismatch(`downloaded bytes hash to ${actual}, the Hub's LFS sha256 is ${file.lfsSha256}`, {
            expected: file.lfsSha256,
            actual,
          });
        const gitOid = gitHash?.digest('hex');
        if (gitOid !== undefined && gitOid !== file.oid)
          throw mismatch(`downloaded bytes have git blob id ${gitOid}, the Hub listed ${file.oid}`, {
            expected: file.oid,
            actual: gitOid,
          });
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      await rename(partial, blob);
    } else {
      done += file.size;
      options.onProgress?.(done, total);
    }
    const link = join(snapshotDir, file.path);
    await mkdir(dirname(link), { recursive: true });
    const targetPath = relative(dirname(link), blob);
    const current = await readlink(link).catch(() => undefined);
    if (current !== targetPath) {
      await rm(link, { force: true });
      await symlink(targetPath, link);
    }
  }
  // refs/<branch or tag> (a revision such as refs/pr/1 is a path below refs/, as huggingface_hub writes it).
  const refFile = join(repoDir, 'refs', ref.revision && !/^[0-9a-f]{40}$/.test(ref.revision) ? ref.revision : 'main');
  await mkdir(dirname(refFile), { recursive: true });
  await writeFile(refFile, meta.sha);
  return {
    path: snapshotDir,
    repo: meta.repo,
    commit: meta.sha,
    files: meta.files.map((f) => ({ path: f.path, size: f.size, ...(f.lfsSha256 ? { sha256: f.lfsSha256 } : {}) })),
  };
}
