/**
 * Storage limits of a registry (issue 12, storage exhaustion): per-namespace quotas, upload session expiry and the
 * garbage-collection grace period. Each is a named default here, configurable with `registry serve --config FILE`
 * keys or MODELSEC_REGISTRY_* environment variables (docs/architecture.md, "Storage").
 */
import { ModelsecError } from '@modelsec/core/errors';

const HOUR_MS = 60 * 60 * 1000;
const GIB = 1024 * 1024 * 1024;

/** Open upload sessions one namespace may hold: bounds rows, staging files and lock traffic per tenant. */
export const DEFAULT_MAX_UPLOAD_SESSIONS = 64;
/** Bytes one namespace may have in flight (staged in open sessions plus appends in progress): bounds staging disk. */
export const DEFAULT_MAX_BYTES_IN_FLIGHT = 64 * GIB;
/** Bytes one namespace may store (distinct blobs its versions reference or it uploaded within the grace period). */
export const DEFAULT_MAX_STORED_BYTES = 1024 * GIB;
/** An upload session idle this long expires: its staged bytes are removed and it answers REGISTRY_UPLOAD_EXPIRED. */
export const DEFAULT_UPLOAD_SESSION_EXPIRY_MS = 24 * HOUR_MS;
/**
 * A blob no version references is collected only after this long without an upload, a HEAD or a push naming it:
 * longer than a client takes between uploading a model's blobs and publishing it.
 */
export const DEFAULT_GC_GRACE_MS = 24 * HOUR_MS;
/** How often a registry process sweeps (expired sessions, unreferenced blobs, stale temp files); 0 = never. */
export const DEFAULT_GC_INTERVAL_MS = HOUR_MS;
/** Shortest grace period accepted: a shorter one could collect the blobs of a push being prepared. */
export const MIN_GC_GRACE_MS = 60 * 1000;
/** The longest a push holds its blobs against collection (its pins expire then even if the process died). */
export const PUSH_PIN_MS = 6 * HOUR_MS;

export interface StorageLimits {
  maxUploadSessions: number;
  maxBytesInFlight: number;
  maxStoredBytes: number;
  uploadSessionExpiryMs: number;
  gcGraceMs: number;
  gcIntervalMs: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = {
  maxUploadSessions: DEFAULT_MAX_UPLOAD_SESSIONS,
  maxBytesInFlight: DEFAULT_MAX_BYTES_IN_FLIGHT,
  maxStoredBytes: DEFAULT_MAX_STORED_BYTES,
  uploadSessionExpiryMs: DEFAULT_UPLOAD_SESSION_EXPIRY_MS,
  gcGraceMs: DEFAULT_GC_GRACE_MS,
  gcIntervalMs: DEFAULT_GC_INTERVAL_MS,
};

/** Config file keys and environment variables of each limit (the time limits in seconds). */
export const STORAGE_LIMIT_SETTINGS = [
  { key: 'maxUploadSessions', config: 'maxUploadSessions', env: 'MODELSEC_REGISTRY_MAX_UPLOAD_SESSIONS', scale: 1 },
  { key: 'maxBytesInFlight', config: 'maxBytesInFlight', env: 'MODELSEC_REGISTRY_MAX_BYTES_IN_FLIGHT', scale: 1 },
  { key: 'maxStoredBytes', config: 'maxStoredBytes', env: 'MODELSEC_REGISTRY_MAX_STORED_BYTES', scale: 1 },
  { key: 'uploadSessionExpiryMs', config: 'uploadExpirySeconds', env: 'MODELSEC_REGISTRY_UPLOAD_EXPIRY_SECONDS', scale: 1000 },
  { key: 'gcGraceMs', config: 'gcGraceSeconds', env: 'MODELSEC_REGISTRY_GC_GRACE_SECONDS', scale: 1000 },
  { key: 'gcIntervalMs', config: 'gcIntervalSeconds', env: 'MODELSEC_REGISTRY_GC_INTERVAL_SECONDS', scale: 1000 },
] as const;

/** Validates a full set of limits (INVALID_CONFIG naming the limit). */
export function checkStorageLimits(limits: StorageLimits): StorageLimits {
  for (const { key } of STORAGE_LIMIT_SETTINGS) {
    const value = limits[key];
    const zeroAllowed = key === 'gcIntervalMs';
    if (!Number.isSafeInteger(value) || value < (zeroAllowed ? 0 : 1))
      throw new ModelsecError(
        'INVALID_CONFIG',
        `storage limit ${key} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer`,
        {
          details: { limit: key, value },
        },
      );
  }
  if (limits.gcGraceMs < MIN_GC_GRACE_MS)
    throw new ModelsecError('INVALID_CONFIG', `storage limit gcGraceMs must be at least ${MIN_GC_GRACE_MS} ms`, {
      details: { limit: 'gcGraceMs', value: limits.gcGraceMs, minimum: MIN_GC_GRACE_MS },
    });
  return limits;
}

/**
 * Limits from a `registry serve --config` object and the environment (the environment wins); keys absent from both
 * keep their defaults. Values are integers (strings of digits accepted).
 */
export function storageLimitsFrom(config: Record<string, unknown>, env: NodeJS.ProcessEnv): Partial<StorageLimits> {
  const out: Partial<StorageLimits> = {};
  for (const s of STORAGE_LIMIT_SETTINGS) {
    const raw = env[s.env] ?? config[s.config];
    if (raw === undefined) continue;
    const text = String(raw);
    if (!/^\d{1,16}$/.test(text))
      throw new ModelsecError(
        'INVALID_CONFIG',
        `${env[s.env] !== undefined ? s.env : s.config} must be a whole number, got '${text}'`,
        {
          details: { limit: s.key },
        },
      );
    out[s.key] = Number(text) * s.scale;
  }
  return out;
}
