/**
 * SHA-256 of a file that is being written, computed on a worker thread that reads behind the writer (from the page
 * cache). The thread receiving an upload then only copies bytes to disk: hashing on it cost as much as receiving
 * and writing together (bench/registry.ts). The writer reports how far the file is written contiguously with
 * `advance`; `digest` waits until the hasher has caught up with that point.
 */
import { Worker } from 'node:worker_threads';

/** Bytes the hashing thread reads at a time; its only buffer. */
export const TRAILING_HASH_READ_BYTES = 8 * 1024 * 1024;

// Plain JavaScript evaluated from a string so it runs the same from TypeScript sources (vitest, tsx) and dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(${TRAILING_HASH_READ_BYTES});
const hash = createHash('sha256');
let fd;
let position = workerData.start;
let failed = false;
parentPort.on('message', (message) => {
  if (failed) return;
  try {
    if (fd === undefined) fd = openSync(workerData.path, 'r');
    while (position < message.upTo) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, message.upTo - position), position);
      if (n === 0) throw new Error('the file is shorter than reported');
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      position += n;
    }
    if (message.digest) {
      parentPort.postMessage({ digest: hash.digest('hex'), length: position });
      closeSync(fd);
      fd = undefined;
    }
  } catch (error) {
    failed = true;
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
`;

export class TrailingFileHasher {
  private readonly worker: Worker;
  private failure: string | undefined;
  private waiting: ((result: { digest?: string; length?: number; error?: string }) => void) | undefined;
  private finished = false;

  /** Hashes `path` from offset 0. */
  constructor(path: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, start: 0 } });
    // An abandoned upload must not keep the process alive.
    this.worker.unref();
    this.worker.on('message', (message: { digest?: string; length?: number; error?: string }) => {
      if (message.error) this.failure = message.error;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(message);
    });
    const fail = (reason: string) => {
      this.failure ??= reason;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.({ error: reason });
    };
    this.worker.on('error', (error) => fail(error.message));
    this.worker.on('exit', () => fail('the hashing thread stopped'));
  }

  /** The file holds its final bytes up to `upTo` (exclusive): hash them. */
  advance(upTo: number): void {
    if (!this.finished && this.failure === undefined) this.worker.postMessage({ upTo });
  }

  /**
   * The digest of the first `length` bytes, once hashed; undefined when hashing failed (the caller then hashes
   * the file itself). Ends the hasher.
   */
  async digest(length: number): Promise<string | undefined> {
    if (this.finished || this.failure !== undefined) {
      this.close();
      return undefined;
    }
    this.finished = true;
    const result = await new Promise<{ digest?: string; length?: number; error?: string }>((resolve) => {
      this.waiting = resolve;
      this.worker.postMessage({ upTo: length, digest: true });
    });
    this.close();
    return result.digest !== undefined && result.length === length ? result.digest : undefined;
  }

  /** Stops the thread (idempotent). */
  close(): void {
    this.finished = true;
    void this.worker.terminate();
  }
}
