/**
 * `@modelsec/registry/client`: everything a registry client needs (push, pull, online and offline check, the log
 * client and mirror, local policy, the policy and manifest types) and nothing of the server: this entry loads neither
 * fastify nor a database driver (entries.test.ts checks it in a child process).
 */

export type { LineageTreeNode, VersionRef } from '../lineage/lineage.js';
export {
  fetchCheckpointText,
  fetchLogEntry,
  fetchLogKey,
  keyChanged,
  type LogState,
  type LogTrustOptions,
  type LogVerification,
  logStateFile,
  MAX_LOG_RESPONSE_BYTES,
  modelsecConfigDir,
  type ReplayProblem,
  readLogState,
  replayLog,
  trustedLogVerifier,
  verifiedCheckpoint,
  verifyLogInclusion,
  verifyVersionInLog,
  writeLogState,
} from '../log/log-client.js';
export {
  fetchNamespaceOpenings,
  fetchOpening,
  MAX_OPENING_RESPONSE_BYTES,
  MAX_OPENINGS_PAGE_BYTES,
  mayCarryToken,
  openLogEntry,
} from '../log/openings.js';
export { MAX_TILE_ENTRY_BYTES, parseTilePath, TILE_HEIGHT, TILE_WIDTH, type TilePath, tileIndexPath } from '../log/tiles.js';
export { DEFAULT_POLICY, type Policy, type PolicySigner } from '../policy/policy.js';
export { assertSafeNames, MAX_NAME_COMPONENT_BYTES, MAX_NAME_PATH_BYTES, unsafeNameReason } from '../resource-names.js';
export type { PushManifest } from '../verification/manifest.js';
export type { FailedRule, ScanVerdict } from '../verification/types.js';
export { REGISTRY_API_VERSION } from '../version.js';
export type {
  Evidence,
  EvidenceBlob,
  Expectation,
  GateOptions,
  LocalModelEvidence,
  LogEvidence,
  LoggedLeaf,
  TrustAnchors,
} from './evidence.js';
export {
  type ClientTrustOptions,
  MAX_EVIDENCE_ATTESTATIONS,
  MAX_EVIDENCE_BLOB_BYTES,
  MAX_EVIDENCE_TOTAL_BYTES,
  openVerifiedLog,
} from './gather.js';
export {
  type LocalPolicy,
  MAX_POLICY_MODELS,
  MAX_POLICY_WITNESSES,
  parseExpectation,
  parseLocalPolicy,
  versionMatches,
} from './local-policy.js';
export {
  DEFAULT_MAX_CHECKPOINT_AGE_SECONDS,
  LogMirror,
  type LogTransport,
  MAX_MIRROR_ENTRIES,
  MAX_MIRROR_FETCH_BYTES,
  MIRROR_SYNC_DEADLINE_MS,
  type MirroredEntry,
  type MirrorSyncOptions,
  mirrorDir,
  verifyCheckpointNote,
} from './log-mirror.js';
export { checkOffline, type OfflineCheckOptions, type OfflineReport } from './offline.js';
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
} from './operations.js';
export {
  CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND,
  CLIENT_MAX_ERROR_BYTES,
  CLIENT_MAX_JSON_BYTES,
  CLIENT_READ_DEADLINE_MS,
  CLIENT_READ_IDLE_TIMEOUT_MS,
  CLIENT_SINGLE_PUT_MAX_BYTES,
  CLIENT_UPLOAD_CHUNK_BYTES,
  checkTransport,
  isLoopbackHost,
  type ModelRef,
  parseModelRef,
  RegistryClient,
} from './registry-client.js';
export {
  buildTlogProof,
  MAX_INCLUSION_PROOF_HASHES,
  MAX_TLOG_PROOF_BYTES,
  parseTlogProof,
  TLOG_PROOF_MEDIA_TYPE,
  type TlogProofFile,
  tlogPathFor,
} from './tlog-file.js';
export { type FailedCheck, type GateReport, type GateRule, verifyEvidence } from './verifier.js';
