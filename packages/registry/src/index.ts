/** @modelsec/registry: the signed model registry service and its client. */
export {
  createRegistry,
  MAX_JSON_BODY_BYTES,
  MAX_SINGLE_PUT_BYTES,
  MAX_UPLOAD_CHUNK_BYTES,
  type Registry,
  type RegistryOptions,
} from './app.js';
export { hashToken, TOKEN_PREFIX } from './auth.js';
export { type CheckResult, checkModel, pullModel, pushModel, resolveVersion, type VersionInfo } from './client/operations.js';
export {
  CLIENT_SINGLE_PUT_MAX_BYTES,
  CLIENT_UPLOAD_CHUNK_BYTES,
  type ModelRef,
  parseModelRef,
  RegistryClient,
} from './client/registry-client.js';
export * from './lineage/index.js';
export * from './log/index.js';
export { type LogEvent, type LogHook, NO_LOG } from './log-hook.js';
export { DEFAULT_POLICY, type Policy, type PolicySigner } from './policy/policy.js';
export type { BlobStore } from './store/blob-store.js';
export { FsBlobStore } from './store/fs-blob-store.js';
export type * from './store/metadata-store.js';
export { PostgresMetadataStore } from './store/postgres/postgres-metadata-store.js';
export { SqliteMetadataStore } from './store/sqlite/sqlite-metadata-store.js';
export type { PushManifest } from './verification/manifest.js';
export type { RegistryScanner } from './verification/scan-adapter.js';
export type { FailedRule, ScanVerdict } from './verification/types.js';
export { REGISTRY_API_VERSION } from './version.js';
