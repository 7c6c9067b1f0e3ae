/**
 * `@modelsec/registry/server`: the registry service (`createRegistry`), its stores, auth, transparency log, lineage
 * index and witness. Database drivers load on first use: a SQLite registry never loads pg, a PostgreSQL one never
 * loads better-sqlite3.
 */
export {
  createRegistry,
  MAX_JSON_BODY_BYTES,
  MAX_SINGLE_PUT_BYTES,
  MAX_UPLOAD_CHUNK_BYTES,
  type Registry,
  type RegistryOptions,
} from '../app.js';
export { hashToken, TOKEN_PREFIX } from '../auth.js';
export {
  backfillLineageIndex,
  LineageIndex,
  type LineageTreeNode,
  lineageOfAttachments,
  lineageRecords,
  MAX_LINEAGE_DEPTH,
  MAX_LINEAGE_DOCUMENT_BYTES,
  type VersionRef,
} from '../lineage/lineage.js';
export { lineageRoutes } from '../lineage/routes.js';
export { loggedSignerOf, publishEntry } from '../log/publish-entry.js';
export { type LogRouteOptions, logRoutes, MAX_OPENINGS_PAGE } from '../log/routes.js';
export { readTile } from '../log/tiles.js';
export {
  DEFAULT_LOG_ORIGIN,
  LOG_KEY_FILE,
  LOG_REBUILD_BATCH,
  loadOrCreateLogSigner,
  type PublishLocation,
  TransparencyLog,
  type TransparencyLogOptions,
} from '../log/transparency-log.js';
export {
  createWitnessServer,
  MAX_ADD_CHECKPOINT_BYTES,
  MAX_CONSISTENCY_PROOF_LINES,
  TLOG_SIZE_CONTENT_TYPE,
  WITNESS_SERVER_REQUEST_TIMEOUT_MS,
  Witness,
  type WitnessAnswer,
  type WitnessOptions,
  type WitnessState,
} from '../log/witness.js';
export {
  parseWitnessTarget,
  WITNESS_MAX_ATTEMPTS,
  WITNESS_MAX_RESPONSE_BYTES,
  WITNESS_PUBLISH_WAIT_MS,
  WITNESS_REQUEST_TIMEOUT_MS,
  WITNESS_RETRY_INTERVAL_MS,
  type WitnessEvent,
  Witnessing,
  type WitnessTarget,
} from '../log/witnessing.js';
export { type LogEvent, type LogHook, NO_LOG } from '../log-hook.js';
export { DEFAULT_POLICY, type Policy, type PolicySigner } from '../policy/policy.js';
export { HOUSEKEEPING_BATCH, StorageHousekeeping, type SweepReport } from '../storage/housekeeping.js';
export {
  checkStorageLimits,
  DEFAULT_GC_GRACE_MS,
  DEFAULT_GC_INTERVAL_MS,
  DEFAULT_MAX_BYTES_IN_FLIGHT,
  DEFAULT_MAX_STORED_BYTES,
  DEFAULT_MAX_UPLOAD_SESSIONS,
  DEFAULT_STORAGE_LIMITS,
  DEFAULT_UPLOAD_SESSION_EXPIRY_MS,
  MIN_GC_GRACE_MS,
  PUSH_PIN_MS,
  STORAGE_LIMIT_SETTINGS,
  type StorageLimits,
  storageLimitsFrom,
} from '../storage/limits.js';
export { StorageQuotas } from '../storage/quotas.js';
export { UPLOAD_LOCK_LEASE_MS, type UploadLease, UploadLocks } from '../storage/upload-locks.js';
export type { BlobStore } from '../store/blob-store.js';
export { FsBlobStore, MAX_TRAILING_HASHERS, STALE_TEMP_MS } from '../store/fs-blob-store.js';
export type {
  AttachmentKind,
  AttachmentRecord,
  AuditEntry,
  AuditQuery,
  BlobGrantRecord,
  BlobRecord,
  CheckpointRecord,
  CosignatureRecord,
  LineageEdgeRecord,
  LogOpeningRecord,
  MetadataOps,
  MetadataStore,
  ModelRecord,
  NamespaceRecord,
  PolicyRecord,
  TokenRecord,
  TokenScope,
  UploadSessionRecord,
  VersionFileRecord,
  VersionKey,
  VersionQuery,
  VersionRecord,
} from '../store/metadata-store.js';
export { PostgresMetadataStore } from '../store/postgres/postgres-metadata-store.js';
export { SqliteMetadataStore } from '../store/sqlite/sqlite-metadata-store.js';
export type { PushManifest } from '../verification/manifest.js';
export type { RegistryScanner } from '../verification/scan-adapter.js';
export type { FailedRule, ScanVerdict } from '../verification/types.js';
export { REGISTRY_API_VERSION } from '../version.js';
