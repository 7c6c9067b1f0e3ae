export * from './log-client.js';
export { logRoutes } from './routes.js';
export {
  DEFAULT_LOG_ORIGIN,
  LOG_KEY_FILE,
  LOG_REBUILD_BATCH,
  loadOrCreateLogSigner,
  TransparencyLog,
  type TransparencyLogOptions,
} from './transparency-log.js';
