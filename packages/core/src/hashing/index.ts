export { type FileRange, HASH_READ_CHUNK_BYTES, type HashAlgorithm, type HashJob, hashFile, hashFiles } from './hash-file.js';
export { defaultHashConcurrency, HASH_WORKER_BUFFER_BYTES } from './worker-pool.js';
