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
export type {
  Evidence,
  EvidenceBlob,
  Expectation,
  GateOptions,
  LocalModelEvidence,
  LogEvidence,
  LoggedLeaf,
  TrustAnchors,
} from './client/evidence.js';
export { type ClientTrustOptions, MAX_EVIDENCE_ATTESTATIONS, MAX_EVIDENCE_BLOB_BYTES, openVerifiedLog } from './client/gather.js';
export {
  type LocalPolicy,
  MAX_POLICY_MODELS,
  MAX_POLICY_WITNESSES,
  parseExpectation,
  parseLocalPolicy,
  versionMatches,
} from './client/local-policy.js';
export {
  LogMirror,
  type LogTransport,
  MAX_MIRROR_ENTRIES,
  type MirroredEntry,
  type MirrorSyncOptions,
  mirrorDir,
  verifyCheckpointNote,
} from './client/log-mirror.js';
export { assertSafeNames, MAX_NAME_COMPONENT_BYTES, MAX_NAME_PATH_BYTES, unsafeNameReason } from './client/names.js';
export { checkOffline, type OfflineCheckOptions, type OfflineReport } from './client/offline.js';
export {
  type CheckOptions,
  type ClientGateOptions,
  type ClientReport,
  checkModel,
  confirmPushInLog,
  PULL_DOWNLOAD_CONCURRENCY,
  type PullReport,
  type PushLogConfirmation,
  pullModel,
  pushModel,
  type VersionInfo,
} from './client/operations.js';
export {
  CLIENT_MAX_JSON_BYTES,
  CLIENT_SINGLE_PUT_MAX_BYTES,
  CLIENT_UPLOAD_CHUNK_BYTES,
  checkTransport,
  isLoopbackHost,
  type ModelRef,
  parseModelRef,
  RegistryClient,
} from './client/registry-client.js';
export {
  buildTlogProof,
  MAX_INCLUSION_PROOF_HASHES,
  MAX_TLOG_PROOF_BYTES,
  parseTlogProof,
  TLOG_PROOF_MEDIA_TYPE,
  type TlogProofFile,
  tlogPathFor,
} from './client/tlog-file.js';
export { type FailedCheck, type GateReport, type GateRule, verifyEvidence } from './client/verifier.js';
export * from './lineage/index.js';
export * from './log/index.js';
export { type LogEvent, type LogHook, NO_LOG } from './log-hook.js';
export { DEFAULT_POLICY, type Policy, type PolicySigner } from './policy/policy.js';
export * from './storage/index.js';
export type { BlobStore } from './store/blob-store.js';
export { FsBlobStore, MAX_TRAILING_HASHERS, STALE_TEMP_MS } from './store/fs-blob-store.js';
export type * from './store/metadata-store.js';
export { PostgresMetadataStore } from './store/postgres/postgres-metadata-store.js';
export { SqliteMetadataStore } from './store/sqlite/sqlite-metadata-store.js';
export type { PushManifest } from './verification/manifest.js';
export type { RegistryScanner } from './verification/scan-adapter.js';
export type { FailedRule, ScanVerdict } from './verification/types.js';
export { REGISTRY_API_VERSION } from './version.js';
