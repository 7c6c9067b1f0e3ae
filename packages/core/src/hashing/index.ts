export { type FileRange, HASH_READ_CHUNK_BYTES, type HashAlgorithm, type HashJob, hashFile, hashFiles } from './hash-file.js';
