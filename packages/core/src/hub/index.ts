export {
  downloadBytes,
  downloadRange,
  fetchModelMetadata,
  type HubClient,
  type HubClientOptions,
  type HubFile,
  type HubModelMetadata,
  hubClient,
  MAX_HUB_DOWNLOAD_BYTES,
  MAX_HUB_FILES,
  MAX_HUB_HASHED_BYTES,
  resolveUrl,
} from './client.js';
export { type HubReference, hubEndpoint, isHubReference, parseHubReference } from './reference.js';
export { downloadSnapshot, hubCacheDir, type Snapshot, type SnapshotOptions } from './snapshot.js';
