/** Types shared by the streaming hasher (hash-file.ts) and the worker pool (worker-pool.ts); imports nothing. */
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface FileRange {
  start: number;
  /** Exclusive end offset. */
  end: number;
}
