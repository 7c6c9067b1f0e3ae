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
} from './log-client.js';
export {
  fetchNamespaceOpenings,
  fetchOpening,
  MAX_OPENING_RESPONSE_BYTES,
  MAX_OPENINGS_PAGE_BYTES,
  mayCarryToken,
  openLogEntry,
} from './openings.js';
export { loggedSignerOf, publishEntry } from './publish-entry.js';
export { type LogRouteOptions, logRoutes, MAX_OPENINGS_PAGE } from './routes.js';
export { MAX_TILE_ENTRY_BYTES, parseTilePath, readTile, TILE_HEIGHT, TILE_WIDTH, type TilePath, tileIndexPath } from './tiles.js';
export {
  DEFAULT_LOG_ORIGIN,
  LOG_KEY_FILE,
  LOG_REBUILD_BATCH,
  loadOrCreateLogSigner,
  type PublishLocation,
  TransparencyLog,
  type TransparencyLogOptions,
} from './transparency-log.js';
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
} from './witness.js';
export {
  parseWitnessTarget,
  WITNESS_COSIGNATURE_REFRESH_MS,
  WITNESS_MAX_ATTEMPTS,
  WITNESS_MAX_RESPONSE_BYTES,
  WITNESS_PUBLISH_WAIT_MS,
  WITNESS_REQUEST_TIMEOUT_MS,
  WITNESS_RETRY_INTERVAL_MS,
  type WitnessEvent,
  Witnessing,
  type WitnessTarget,
} from './witnessing.js';
