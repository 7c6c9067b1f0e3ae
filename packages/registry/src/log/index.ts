export * from './log-client.js';
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
