export { HOUSEKEEPING_BATCH, StorageHousekeeping, type SweepReport } from './housekeeping.js';
export * from './limits.js';
export { StorageQuotas } from './quotas.js';
export { UPLOAD_LOCK_LEASE_MS, type UploadLease, UploadLocks } from './upload-locks.js';
