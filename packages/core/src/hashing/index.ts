export { type FileRange, HASH_READ_CHUNK_BYTES, type HashAlgorithm, type HashJob, hashFile, hashFiles } from './hash-file.js';
export {
  DEFAULT_SIGNATURE_NAME,
  type HashModelOptions,
  hashModelDirectory,
  hashShards,
  type ListedModel,
  listModel,
  MAX_MODEL_DEPTH,
  MAX_SIGNED_MODEL_FILES,
  type ModelDigest,
  type ModelResource,
  parseShardName,
  type ReuseDigests,
  type SerializationMethod,
} from './model-hash.js';
export { defaultHashConcurrency, HASH_WORKER_BUFFER_BYTES } from './worker-pool.js';
