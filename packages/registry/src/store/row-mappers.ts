/**
 * Rows of the metadata tables (the same columns in SQLite and PostgreSQL) to records. The one difference between
 * the two drivers is how a boolean comes back: SQLite stores 0/1, PostgreSQL returns true/false; `flag` reads both.
 */
import type {
  AttachmentRecord,
  AuditEntry,
  BlobRecord,
  CosignatureRecord,
  LineageEdgeRecord,
  LogOpeningRecord,
  ModelRecord,
  NamespaceRecord,
  PolicyRecord,
  TokenRecord,
  UploadSessionRecord,
  VersionFileRecord,
  VersionKey,
  VersionRecord,
} from './metadata-store.js';

export type Row = Record<string, unknown>;

/** A boolean column: true / 1 (PostgreSQL boolean, SQLite integer). */
export function flag(value: unknown): boolean {
  return value === true || Number(value) === 1;
}

const nullableText = (value: unknown): string | null => (value as string | null) ?? null;

export function namespaceFromRow(r: Row): NamespaceRecord {
  return { name: String(r.name), public: flag(r.public), createdAt: String(r.created_at), createdBy: String(r.created_by) };
}

export function tokenFromRow(r: Row): TokenRecord {
  return {
    id: String(r.id),
    tokenHash: String(r.token_hash),
    namespace: nullableText(r.namespace),
    scope: r.scope as TokenRecord['scope'],
    description: String(r.description),
    createdAt: String(r.created_at),
    createdBy: String(r.created_by),
    revoked: flag(r.revoked),
    revokedAt: nullableText(r.revoked_at),
    revokedBy: nullableText(r.revoked_by),
    expiresAt: nullableText(r.expires_at),
  };
}

export function policyFromRow(r: Row): PolicyRecord {
  return {
    namespace: String(r.namespace),
    version: Number(r.version),
    document: String(r.document),
    createdAt: String(r.created_at),
    createdBy: String(r.created_by),
  };
}

export function modelFromRow(r: Row): ModelRecord {
  return { namespace: String(r.namespace), name: String(r.name), createdAt: String(r.created_at) };
}

export function versionFromRow(r: Row): VersionRecord {
  return {
    namespace: String(r.namespace),
    model: String(r.model),
    version: String(r.version),
    rootDigest: String(r.root_digest),
    bundleDigest: String(r.bundle_digest),
    signer: String(r.signer),
    signerIdentity: nullableText(r.signer_identity),
    signerKeyFingerprint: nullableText(r.signer_key_fingerprint),
    signedAt: nullableText(r.signed_at),
    scanVerdict: String(r.scan_verdict),
    manifest: String(r.manifest),
    publishedAt: String(r.published_at),
    publishedBy: String(r.published_by),
    yanked: flag(r.yanked),
    yankedAt: nullableText(r.yanked_at),
    yankReason: nullableText(r.yank_reason),
  };
}

/** A row of version_files; the version key is the query's. */
export function versionFileFromRow(key: { namespace: string; model: string; version: string }, r: Row): VersionFileRecord {
  return { ...key, path: String(r.path), digest: String(r.digest), size: Number(r.size) };
}

/** A row of attachments; the version key is the query's. */
export function attachmentFromRow(key: { namespace: string; model: string; version: string }, r: Row): AttachmentRecord {
  return {
    ...key,
    kind: r.kind as AttachmentRecord['kind'],
    digest: String(r.digest),
    mediaType: String(r.media_type),
    predicateType: nullableText(r.predicate_type),
  };
}

export function auditFromRow(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    at: String(r.at),
    actor: String(r.actor),
    action: String(r.action),
    target: String(r.target),
    outcome: r.outcome as AuditEntry['outcome'],
    from: String(r.remote),
    details: String(r.details),
  };
}

export function openingFromRow(r: Row): LogOpeningRecord {
  return { index: Number(r.idx), namespace: String(r.namespace), salt: String(r.salt), entry: String(r.entry) };
}

export function cosignatureFromRow(r: Row): CosignatureRecord {
  return { size: Number(r.size), witness: String(r.witness), line: String(r.line), createdAt: String(r.created_at) };
}

export function lineageEdgeFromRow(r: Row): LineageEdgeRecord {
  return {
    namespace: String(r.namespace),
    model: String(r.model),
    version: String(r.version),
    seq: Number(r.seq),
    relation: String(r.relation),
    source: String(r.source),
    target: String(r.target),
    targetDigest: r.target_digest === null || r.target_digest === undefined ? null : String(r.target_digest),
  };
}

export function versionKeyFromRow(r: Row): VersionKey {
  return { namespace: String(r.namespace), model: String(r.model), version: String(r.version) };
}

export function blobFromRow(r: Row): BlobRecord {
  return { digest: String(r.digest), size: Number(r.size), createdAt: String(r.created_at) };
}

/** The staged offset column is `offset` in SQLite and `upload_offset` in PostgreSQL (a reserved word there). */
export function uploadFromRow(r: Row): UploadSessionRecord {
  return {
    id: String(r.id),
    namespace: String(r.namespace),
    offset: Number(r.upload_offset ?? r.offset),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    createdBy: String(r.created_by),
    touchedMs: Number(r.touched_ms ?? 0),
  };
}

/**
 * A LIKE pattern matching text that contains `fragment`, ASCII letters folded to lower case (as SQLite's lower()
 * folds them, so both drivers match the same rows); `\`, `%` and `_` are escaped (the query says ESCAPE '\').
 */
export function likeContaining(fragment: string): string {
  const folded = fragment.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return `%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
