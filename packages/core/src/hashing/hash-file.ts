import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ModelsecError, toModelsecError } from '../errors/index.js';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** Read size for streaming: large enough to amortise syscalls, small enough to keep memory flat. */
export const HASH_READ_CHUNK_BYTES = 4 * 1024 * 1024;

export interface FileRange {
  start: number;
  /** Exclusive end offset. */
  end: number;
}

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
 * Hashes many files or ranges with bounded concurrency and returns the digests in job order.
 * `onBytes` reports progress. (The signing capability may replace the internals with worker threads;
 * this signature stays.)
 */
export async function hashFiles(
  jobs: readonly HashJob[],
  options: { algorithm?: HashAlgorithm; concurrency?: number; onBytes?: (bytes: number) => void } = {},
): Promise<Buffer[]> {
  const results: Buffer[] = new Array(jobs.length);
  let next = 0;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index]!;
      results[index] = await hashFile(job.path, {
        algorithm: options.algorithm ?? 'sha256',
        ...(job.range ? { range: job.range } : {}),
      });
      options.onBytes?.(job.range ? job.range.end - job.range.start : 0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}
