/**
 * Storage limits of a registry (issue 12, storage exhaustion): per-namespace quotas, upload session expiry and the
 * garbage-collection grace period. Each is a named default here, configurable with `registry serve --config FILE`
 * keys or MODELSEC_REGISTRY_* environment variables (docs/architecture.md, "Storage").
 */
import { ModelsecError } from '@modelsec/core/errors';
import { MAX_LIST_ROWS } from '../routes/version-view.js';

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

/*
 * Metadata quotas (issue 12: metadata counted in no quota, so a push token could grow the database without bound).
 * Each bounds rows or bytes one namespace adds to the metadata database; past it the write is refused with
 * REGISTRY_QUOTA_EXCEEDED naming the quota. Audit rows are bounded by rate instead: every audited success is one of
 * the writes below, and refusals are rate-limited per address and per token (refusal-limiter.ts).
 */
/** Models one namespace may hold (GET .../models lists them all). */
export const DEFAULT_MAX_MODELS = 10_000;
/**
 * Versions one model may hold: the version list (and so range resolution by a client) answers at most MAX_LIST_ROWS
 * rows oldest first, so a model with more would hide its newest versions; this may not exceed it.
 */
export const DEFAULT_MAX_VERSIONS_PER_MODEL = MAX_LIST_ROWS;
/** Versions one namespace may hold across its models (each carries file, attachment and lineage rows). */
export const DEFAULT_MAX_VERSIONS = 100_000;
/**
 * Bytes of metadata documents one namespace may hold: its versions' manifests (up to 4 MiB each, as many file rows)
 * and its policy documents. Ordinary manifests are a few KiB.
 */
export const DEFAULT_MAX_METADATA_BYTES = GIB;
/** Policy versions one namespace may hold (every `PUT .../policy` keeps the previous ones as history). */
export const DEFAULT_MAX_POLICY_VERSIONS = 10_000;
/** Tokens one namespace may hold, revoked ones included (their rows stay to name past actors). */
export const DEFAULT_MAX_TOKENS = 10_000;
/** Distinct blobs one namespace may have uploaded (a grant row each; one-byte blobs would dodge the byte quota). */
export const DEFAULT_MAX_BLOBS = 1_000_000;
/** Lineage edges one version may index (parsed from its ML-BOM and attestations at push; a tree answers fewer). */
export const DEFAULT_MAX_LINEAGE_EDGES = 10_000;

export interface StorageLimits {
  maxUploadSessions: number;
  maxBytesInFlight: number;
  maxStoredBytes: number;
  uploadSessionExpiryMs: number;
  gcGraceMs: number;
  gcIntervalMs: number;
  maxModels: number;
  maxVersionsPerModel: number;
  maxVersions: number;
  maxMetadataBytes: number;
  maxPolicyVersions: number;
  maxTokens: number;
  maxBlobs: number;
  maxLineageEdges: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = {
  maxUploadSessions: DEFAULT_MAX_UPLOAD_SESSIONS,
  maxBytesInFlight: DEFAULT_MAX_BYTES_IN_FLIGHT,
  maxStoredBytes: DEFAULT_MAX_STORED_BYTES,
  uploadSessionExpiryMs: DEFAULT_UPLOAD_SESSION_EXPIRY_MS,
  gcGraceMs: DEFAULT_GC_GRACE_MS,
  gcIntervalMs: DEFAULT_GC_INTERVAL_MS,
  maxModels: DEFAULT_MAX_MODELS,
  maxVersionsPerModel: DEFAULT_MAX_VERSIONS_PER_MODEL,
  maxVersions: DEFAULT_MAX_VERSIONS,
  maxMetadataBytes: DEFAULT_MAX_METADATA_BYTES,
  maxPolicyVersions: DEFAULT_MAX_POLICY_VERSIONS,
  maxTokens: DEFAULT_MAX_TOKENS,
  maxBlobs: DEFAULT_MAX_BLOBS,
  maxLineageEdges: DEFAULT_MAX_LINEAGE_EDGES,
};

/** Config file keys and environment variables of each limit (the time limits in seconds). */
export const STORAGE_LIMIT_SETTINGS = [
  { key: 'maxUploadSessions', config: 'maxUploadSessions', env: 'MODELSEC_REGISTRY_MAX_UPLOAD_SESSIONS', scale: 1 },
  { key: 'maxBytesInFlight', config: 'maxBytesInFlight', env: 'MODELSEC_REGISTRY_MAX_BYTES_IN_FLIGHT', scale: 1 },
  { key: 'maxStoredBytes', config: 'maxStoredBytes', env: 'MODELSEC_REGISTRY_MAX_STORED_BYTES', scale: 1 },
  { key: 'uploadSessionExpiryMs', config: 'uploadExpirySeconds', env: 'MODELSEC_REGISTRY_UPLOAD_EXPIRY_SECONDS', scale: 1000 },
  { key: 'gcGraceMs', config: 'gcGraceSeconds', env: 'MODELSEC_REGISTRY_GC_GRACE_SECONDS', scale: 1000 },
  { key: 'gcIntervalMs', config: 'gcIntervalSeconds', env: 'MODELSEC_REGISTRY_GC_INTERVAL_SECONDS', scale: 1000 },
  { key: 'maxModels', config: 'maxModels', env: 'MODELSEC_REGISTRY_MAX_MODELS', scale: 1 },
  { key: 'maxVersionsPerModel', config: 'maxVersionsPerModel', env: 'MODELSEC_REGISTRY_MAX_VERSIONS_PER_MODEL', scale: 1 },
  { key: 'maxVersions', config: 'maxVersions', env: 'MODELSEC_REGISTRY_MAX_VERSIONS', scale: 1 },
  { key: 'maxMetadataBytes', config: 'maxMetadataBytes', env: 'MODELSEC_REGISTRY_MAX_METADATA_BYTES', scale: 1 },
  { key: 'maxPolicyVersions', config: 'maxPolicyVersions', env: 'MODELSEC_REGISTRY_MAX_POLICY_VERSIONS', scale: 1 },
  { key: 'maxTokens', config: 'maxTokens', env: 'MODELSEC_REGISTRY_MAX_TOKENS', scale: 1 },
  { key: 'maxBlobs', config: 'maxBlobs', env: 'MODELSEC_REGISTRY_MAX_BLOBS', scale: 1 },
  { key: 'maxLineageEdges', config: 'maxLineageEdges', env: 'MODELSEC_REGISTRY_MAX_LINEAGE_EDGES', scale: 1 },
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
  if (limits.maxVersionsPerModel > MAX_LIST_ROWS)
    throw new ModelsecError(
      'INVALID_CONFIG',
      `storage limit maxVersionsPerModel may be at most ${MAX_LIST_ROWS} (the version list answers that many rows)`,
      { details: { limit: 'maxVersionsPerModel', value: limits.maxVersionsPerModel, maximum: MAX_LIST_ROWS } },
    );
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
