import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ModelsecError, toModelsecError } from '../errors/index.js';
import type { FileRange, HashAlgorithm } from './hash-types.js';
import { hashOnWorkers } from './worker-pool.js';

export type { FileRange, HashAlgorithm } from './hash-types.js';

/** Read size for streaming: large enough to amortise syscalls, small enough to keep memory flat. */
export const HASH_READ_CHUNK_BYTES = 4 * 1024 * 1024;

/** Streams one file (or a byte range of it) through a hash; memory stays at one read buffer. */
export async function hashFile(path: string, options: { algorithm?: HashAlgorithm; range?: FileRange } = {}): Promise<Buffer> {
  const hash = createHash(options.algorithm ?? 'sha256');
  const range = options.range;
  if (range && (range.start < 0 || range.end < range.start)) {
    throw new ModelsecError('INVALID_ARGUMENT', `bad byte range ${range.start}..${range.end}`, { details: { path } });
  }
  try {
    if (range && range.end === range.start) return hash.digest();
    const stream = createReadStream(path, {
      highWaterMark: HASH_READ_CHUNK_BYTES,
      ...(range ? { start: range.start, end: range.end - 1 } : {}),
    });
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch (error) {
    throw toModelsecError(error);
  }
  return hash.digest();
}

export interface HashJob {
  path: string;
  range?: FileRange;
}

/**
 * Hashes many files or byte ranges on a pool of worker threads (one per core unless `concurrency` says
 * otherwise), streaming each through one bounded read buffer, and returns the digests in job order.
 * `onBytes` reports bytes hashed as they go (for progress bars).
 */
export async function hashFiles(
  jobs: readonly HashJob[],
  options: {
    algorithm?: HashAlgorithm;
    concurrency?: number;
    /** Called once per finished job with the number of bytes it covered. */
    onBytes?: (bytes: number) => void;
    /** Called as bytes are hashed, several times per large job: drive a progress bar with it. */
    onProgress?: (bytes: number) => void;
  } = {},
): Promise<Buffer[]> {
  for (const job of jobs) {
    const range = job.range;
    if (range && (range.start < 0 || range.end < range.start)) {
      throw new ModelsecError('INVALID_ARGUMENT', `bad byte range ${range.start}..${range.end}`, { details: { path: job.path } });
    }
  }
  return hashOnWorkers(jobs, {
    algorithm: options.algorithm ?? 'sha256',
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.onBytes ? { onJobDone: options.onBytes } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
