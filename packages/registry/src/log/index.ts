export * from './log-client.js';
export { logRoutes } from './routes.js';
export { MAX_TILE_ENTRY_BYTES, parseTilePath, readTile, TILE_HEIGHT, TILE_WIDTH, type TilePath, tileIndexPath } from './tiles.js';
export {
  DEFAULT_LOG_ORIGIN,
  LOG_KEY_FILE,
  LOG_REBUILD_BATCH,
  loadOrCreateLogSigner,
  TransparencyLog,
  type TransparencyLogOptions,
} from './transparency-log.js';
