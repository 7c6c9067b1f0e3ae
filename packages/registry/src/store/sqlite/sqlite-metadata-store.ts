import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import type Database from 'better-sqlite3';
import { requireDriver } from '../load-driver.js';
import type {
  AttachmentRecord,
  AuditEntry,
  AuditQuery,
  BlobGrantRecord,
  BlobRecord,
  CheckpointRecord,
  CosignatureRecord,
  LineageEdgeRecord,
  LogOpeningRecord,
  MetadataOps,
  MetadataStore,
  MetadataUsage,
  ModelRecord,
  NamespaceRecord,
  PolicyRecord,
  TokenRecord,
  UploadSessionRecord,
  VersionFileRecord,
  VersionKey,
  VersionQuery,
  VersionRecord,
} from '../metadata-store.js';
import { VERSION_SUMMARY_COLUMNS } from '../metadata-store.js';
import {
  attachmentFromRow,
  auditFromRow,
  blobFromRow,
  cosignatureFromRow,
  likeContaining,
  lineageEdgeFromRow,
  modelFromRow,
  namespaceFromRow,
  openingFromRow,
  policyFromRow,
  type Row,
  tokenFromRow,
  uploadFromRow,
  versionFileFromRow,
  versionFromRow,
  versionKeyFromRow,
} from '../row-mappers.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

/** Digests per `IN (...)` query (SQLite's bound-parameter limit is 32766; five lists of these per query). */
const SQLITE_DIGESTS_PER_QUERY = 500;
/** A blob no version references, with no claim since ?1 and no pin live at ?2 (bound in that order). */
const SQLITE_COLLECTIBLE = `NOT EXISTS (SELECT 1 FROM version_files f WHERE f.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM blob_claims c WHERE c.digest = b.digest AND c.claimed_ms >= ?)
  AND NOT EXISTS (SELECT 1 FROM blob_pins p WHERE p.digest = b.digest AND p.expires_ms > ?)`;

/** How long a writer waits for another process holding the database lock before failing (SQLITE_BUSY). */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')
  );
}

/** The synchronous operations over one better-sqlite3 connection; wrapped as async by the store. */
class SqliteOps implements MetadataOps {
  constructor(private readonly db: Database.Database) {}

  async createNamespace(ns: NamespaceRecord): Promise<void> {
    try {
      this.db
        .prepare('INSERT INTO namespaces (name, public, created_at, created_by) VALUES (?, ?, ?, ?)')
        .run(ns.name, ns.public ? 1 : 0, ns.createdAt, ns.createdBy);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ModelsecError('CONFLICT', `namespace '${ns.name}' exists already`, { details: { namespace: ns.name } });
      throw error;
    }
  }
  async getNamespace(name: string): Promise<NamespaceRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM namespaces WHERE name = ?').get(name) as Row | undefined;
    return r ? namespaceFromRow(r) : undefined;
  }
  async listNamespaces(): Promise<NamespaceRecord[]> {
    const rows = this.db.prepare('SELECT * FROM namespaces ORDER BY name').all() as Row[];
    return rows.map(namespaceFromRow);
  }
  async setNamespacePublic(name: string, isPublic: boolean): Promise<void> {
    this.db.prepare('UPDATE namespaces SET public = ? WHERE name = ?').run(isPublic ? 1 : 0, name);
  }

  async createToken(t: TokenRecord): Promise<void> {
    try {
      this.db
        .prepare(
          'INSERT INTO tokens (id, token_hash, namespace, scope, description, created_at, created_by, revoked, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          t.id,
          t.tokenHash,
          t.namespace,
          t.scope,
          t.description,
          t.createdAt,
          t.createdBy,
          t.revoked ? 1 : 0,
          t.expiresAt ?? null,
        );
    } catch (error) {
      if (isUniqueViolation(error)) throw new ModelsecError('CONFLICT', 'token exists already', { details: { id: t.id } });
      throw error;
    }
  }
  async findTokenByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM tokens WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    return r ? tokenFromRow(r) : undefined;
  }
  async listTokens(namespace?: string): Promise<TokenRecord[]> {
    const rows = (
      namespace === undefined
        ? this.db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all()
        : this.db.prepare('SELECT * FROM tokens WHERE namespace = ? ORDER BY created_at, id').all(namespace)
    ) as Row[];
    return rows.map(tokenFromRow);
  }
  async revokeToken(id: string, at?: string, by?: string): Promise<void> {
    this.db
      .prepare('UPDATE tokens SET revoked = 1, revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked = 0')
      .run(at ?? null, by ?? null, id);
  }

  async setPolicy(namespace: string, document: string, at: string, by: string): Promise<PolicyRecord> {
    const last = this.db.prepare('SELECT MAX(version) AS v FROM policies WHERE namespace = ?').get(namespace) as Row;
    const version = Number(last.v ?? 0) + 1;
    this.db
      .prepare('INSERT INTO policies (namespace, version, document, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
      .run(namespace, version, document, at, by);
    return { namespace, version, document, createdAt: at, createdBy: by };
  }
  async currentPolicy(namespace: string): Promise<PolicyRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM policies WHERE namespace = ? ORDER BY version DESC LIMIT 1').get(namespace) as
      | Row
      | undefined;
    return r ? policyFromRow(r) : undefined;
  }
  async policyHistory(namespace: string, page: { after?: number; limit?: number } = {}): Promise<PolicyRecord[]> {
    return (
      this.db
        .prepare('SELECT * FROM policies WHERE namespace = ? AND version > ? ORDER BY version LIMIT ?')
        .all(namespace, page.after ?? 0, page.limit ?? -1) as Row[]
    ).map(policyFromRow);
  }

  async ensureModel(m: ModelRecord): Promise<void> {
    this.db
      .prepare('INSERT OR IGNORE INTO models (namespace, name, created_at) VALUES (?, ?, ?)')
      .run(m.namespace, m.name, m.createdAt);
  }
  async listModels(namespace: string): Promise<ModelRecord[]> {
    const rows = this.db.prepare('SELECT * FROM models WHERE namespace = ? ORDER BY name').all(namespace) as Row[];
    return rows.map(modelFromRow);
  }

  async insertVersion(v: VersionRecord, files: VersionFileRecord[], attachments: AttachmentRecord[]): Promise<void> {
    const write = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO versions (namespace, model, version, root_digest, bundle_digest, signer, signer_identity,
          signer_key_fingerprint, signed_at, scan_verdict, manifest, published_at, published_by, yanked, yanked_at, yank_reason)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          v.namespace,
          v.model,
          v.version,
          v.rootDigest,
          v.bundleDigest,
          v.signer,
          v.signerIdentity,
          v.signerKeyFingerprint,
          v.signedAt,
          v.scanVerdict,
          v.manifest,
          v.publishedAt,
          v.publishedBy,
          v.yanked ? 1 : 0,
          v.yankedAt,
          v.yankReason,
        );
      const file = this.db.prepare(
        'INSERT INTO version_files (namespace, model, version, path, digest, size) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const f of files) file.run(f.namespace, f.model, f.version, f.path, f.digest, f.size);
      const att = this.db.prepare(
        'INSERT INTO attachments (namespace, model, version, kind, digest, media_type, predicate_type) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const a of attachments) att.run(a.namespace, a.model, a.version, a.kind, a.digest, a.mediaType, a.predicateType);
    });
    try {
      write();
    } catch (error) {
      if (
        isUniqueViolation(error) &&
        this.db
          .prepare('SELECT 1 FROM versions WHERE namespace = ? AND model = ? AND version = ?')
          .get(v.namespace, v.model, v.version)
      ) {
        throw new ModelsecError('CONFLICT', `${v.namespace}/${v.model}@${v.version} is published already and immutable`, {
          details: { namespace: v.namespace, model: v.model, version: v.version },
        });
      }
      throw error;
    }
  }
  async getVersion(namespace: string, model: string, version: string): Promise<VersionRecord | undefined> {
    const r = this.db
      .prepare('SELECT * FROM versions WHERE namespace = ? AND model = ? AND version = ?')
      .get(namespace, model, version) as Row | undefined;
    return r ? versionFromRow(r) : undefined;
  }
  async listVersions(q: VersionQuery): Promise<VersionRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      args.push(value);
    };
    if (q.namespace !== undefined) add('v.namespace = ?', q.namespace);
    if (q.model !== undefined) add('v.model = ?', q.model);
    if (q.rootDigest !== undefined) add('v.root_digest = ?', q.rootDigest);
    if (q.signerIdentity !== undefined) add('v.signer_identity = ?', q.signerIdentity);
    if (q.signerKeyFingerprint !== undefined) add('v.signer_key_fingerprint = ?', q.signerKeyFingerprint);
    if (q.fileDigest !== undefined) {
      where.push(
        'EXISTS (SELECT 1 FROM version_files f WHERE f.namespace = v.namespace AND f.model = v.model AND f.version = v.version AND f.digest = ?)',
      );
      args.push(q.fileDigest);
    }
    if (!q.includeYanked) where.push('v.yanked = 0');
    if (q.namespaces !== undefined) add('v.namespace IN (SELECT value FROM json_each(?))', JSON.stringify(q.namespaces));
    const columns = q.summary ? VERSION_SUMMARY_COLUMNS : 'v.*';
    const limit = q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
    const sql = `SELECT ${columns} FROM versions v ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY v.namespace, v.model, v.published_at, v.version${limit}`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(versionFromRow);
  }
  async versionFiles(namespace: string, model: string, version: string): Promise<VersionFileRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM version_files WHERE namespace = ? AND model = ? AND version = ? ORDER BY path')
      .all(namespace, model, version) as Row[];
    return rows.map((r) => versionFileFromRow({ namespace, model, version }, r));
  }
  async versionAttachments(namespace: string, model: string, version: string): Promise<AttachmentRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM attachments WHERE namespace = ? AND model = ? AND version = ? ORDER BY kind, digest')
      .all(namespace, model, version) as Row[];
    return rows.map((r) => attachmentFromRow({ namespace, model, version }, r));
  }
  async namespaceHasBlob(namespace: string, digest: string): Promise<boolean> {
    const r = this.db
      .prepare(
        'SELECT 1 FROM version_files WHERE namespace = ? AND digest = ? UNION ALL SELECT 1 FROM attachments WHERE namespace = ? AND digest = ? LIMIT 1',
      )
      .get(namespace, digest, namespace, digest);
    return r !== undefined;
  }
  async yankVersion(namespace: string, model: string, version: string, at: string, reason: string): Promise<void> {
    const info = this.db
      .prepare('UPDATE versions SET yanked = 1, yanked_at = ?, yank_reason = ? WHERE namespace = ? AND model = ? AND version = ?')
      .run(at, reason, namespace, model, version);
    if (info.changes === 0) throw new ModelsecError('NOT_FOUND', `${namespace}/${model}@${version} does not exist`);
  }

  async putBlobRecord(b: BlobRecord): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO blobs (digest, size, created_at) VALUES (?, ?, ?)').run(b.digest, b.size, b.createdAt);
  }
  async grantBlob(g: BlobGrantRecord): Promise<void> {
    this.db
      .prepare('INSERT OR IGNORE INTO blob_grants (namespace, digest, created_at, created_by) VALUES (?, ?, ?, ?)')
      .run(g.namespace, g.digest, g.createdAt, g.createdBy);
  }
  async blobsReadableTo(namespace: string, digests: readonly string[]): Promise<string[]> {
    const found = new Set<string>();
    const unique = [...new Set(digests)];
    for (let i = 0; i < unique.length; i += SQLITE_DIGESTS_PER_QUERY) {
      const chunk = unique.slice(i, i + SQLITE_DIGESTS_PER_QUERY);
      const list = chunk.map(() => '?').join(', ');
      const rows = this.db
        .prepare(
          `SELECT digest FROM blob_grants WHERE namespace = ? AND digest IN (${list})
           UNION SELECT digest FROM version_files WHERE namespace = ? AND digest IN (${list})
           UNION SELECT digest FROM attachments WHERE namespace = ? AND digest IN (${list})
           UNION SELECT f.digest FROM version_files f JOIN namespaces n ON n.name = f.namespace WHERE n.public = 1 AND f.digest IN (${list})
           UNION SELECT a.digest FROM attachments a JOIN namespaces n ON n.name = a.namespace WHERE n.public = 1 AND a.digest IN (${list})`,
        )
        .all(namespace, ...chunk, namespace, ...chunk, namespace, ...chunk, ...chunk, ...chunk) as Row[];
      for (const r of rows) found.add(String(r.digest));
    }
    return [...found].sort();
  }
  async namespaceOwnsBlob(namespace: string, digest: string): Promise<boolean> {
    const granted = this.db.prepare('SELECT 1 FROM blob_grants WHERE namespace = ? AND digest = ?').get(namespace, digest);
    return granted !== undefined || (await this.namespaceHasBlob(namespace, digest));
  }
  async getBlobRecord(digest: string): Promise<BlobRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM blobs WHERE digest = ?').get(digest) as Row | undefined;
    return r ? blobFromRow(r) : undefined;
  }

  async createUpload(s: UploadSessionRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO uploads (id, namespace, offset, created_at, updated_at, created_by, touched_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(s.id, s.namespace, s.offset, s.createdAt, s.updatedAt, s.createdBy, s.touchedMs ?? 0);
  }
  async getUpload(id: string): Promise<UploadSessionRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM uploads WHERE id = ?').get(id) as Row | undefined;
    return r ? uploadFromRow(r) : undefined;
  }
  async advanceUpload(id: string, expectedOffset: number, newOffset: number, at: string): Promise<boolean> {
    const info = this.db
      .prepare('UPDATE uploads SET offset = ?, updated_at = ? WHERE id = ? AND offset = ?')
      .run(newOffset, at, id, expectedOffset);
    return info.changes === 1;
  }
  async deleteUpload(id: string): Promise<void> {
    this.db.prepare('DELETE FROM uploads WHERE id = ?').run(id);
  }
  async lockUpload(
    id: string,
    owner: string,
    nowMs: number,
    untilMs: number,
    staleOwner?: string,
  ): Promise<{ acquired: boolean; owner?: string }> {
    const info = this.db
      .prepare(
        'UPDATE uploads SET lock_owner = ?, lock_expires = ? WHERE id = ? AND (lock_owner IS NULL OR lock_expires <= ? OR lock_owner = ?)',
      )
      .run(owner, untilMs, id, nowMs, staleOwner ?? null);
    if (info.changes === 1) return { acquired: true, owner };
    const r = this.db.prepare('SELECT lock_owner FROM uploads WHERE id = ?').get(id) as Row | undefined;
    return r ? { acquired: false, owner: String(r.lock_owner ?? '') } : { acquired: false };
  }
  async renewUploadLock(id: string, owner: string, untilMs: number): Promise<boolean> {
    return (
      this.db.prepare('UPDATE uploads SET lock_expires = ? WHERE id = ? AND lock_owner = ?').run(untilMs, id, owner).changes === 1
    );
  }
  async unlockUpload(id: string, owner: string): Promise<void> {
    this.db.prepare('UPDATE uploads SET lock_owner = NULL, lock_expires = NULL WHERE id = ? AND lock_owner = ?').run(id, owner);
  }

  async insertLineage(v: VersionKey, edges: LineageEdgeRecord[]): Promise<void> {
    this.db.transaction(() => {
      const marked = this.db
        .prepare('INSERT OR IGNORE INTO lineage_indexed (namespace, model, version) VALUES (?, ?, ?)')
        .run(v.namespace, v.model, v.version);
      if (marked.changes === 0) return;
      const insert = this.db.prepare(
        'INSERT INTO lineage_edges (namespace, model, version, seq, relation, source, target, target_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const e of edges) insert.run(v.namespace, v.model, v.version, e.seq, e.relation, e.source, e.target, e.targetDigest);
    })();
  }
  async lineageEdges(namespace: string, model: string, version: string): Promise<LineageEdgeRecord[] | undefined> {
    const marked = this.db
      .prepare('SELECT 1 FROM lineage_indexed WHERE namespace = ? AND model = ? AND version = ?')
      .get(namespace, model, version);
    if (!marked) return undefined;
    const rows = this.db
      .prepare('SELECT * FROM lineage_edges WHERE namespace = ? AND model = ? AND version = ? ORDER BY seq')
      .all(namespace, model, version) as Row[];
    return rows.map(lineageEdgeFromRow);
  }
  async versionsDerivedFrom(digests: readonly string[]): Promise<VersionKey[]> {
    if (digests.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT DISTINCT namespace, model, version FROM lineage_edges WHERE target_digest IN (${digests.map(() => '?').join(', ')})
         ORDER BY namespace, model, version`,
      )
      .all(...digests) as Row[];
    return rows.map(versionKeyFromRow);
  }
  async lineageEdgesNamed(fragment: string, namespaces: readonly string[], limit: number): Promise<LineageEdgeRecord[]> {
    if (namespaces.length === 0 || limit <= 0) return [];
    const rows = this.db
      .prepare(
        `SELECT * FROM lineage_edges WHERE namespace IN (${namespaces.map(() => '?').join(', ')})
         AND lower(json_extract(target, '$.name')) LIKE ? ESCAPE '\\'
         ORDER BY namespace, model, version, seq LIMIT ?`,
      )
      .all(...namespaces, likeContaining(fragment), limit) as Row[];
    return rows.map(lineageEdgeFromRow);
  }
  async unindexedVersions(limit: number): Promise<VersionKey[]> {
    const rows = this.db
      .prepare(
        `SELECT v.namespace, v.model, v.version FROM versions v WHERE NOT EXISTS (SELECT 1 FROM lineage_indexed l
         WHERE l.namespace = v.namespace AND l.model = v.model AND l.version = v.version) ORDER BY v.namespace, v.model, v.version LIMIT ?`,
      )
      .all(limit) as Row[];
    return rows.map(versionKeyFromRow);
  }

  async lockNamespace(_name: string): Promise<void> {
    // A SQLite transaction (BEGIN IMMEDIATE) already excludes every other writer, in any process.
  }
  async uploadUsage(namespace: string, activeSinceMs: number): Promise<{ sessions: number; bytes: number }> {
    const r = this.db
      .prepare(
        'SELECT COUNT(*) AS n, COALESCE(SUM(offset + reserved_bytes), 0) AS bytes FROM uploads WHERE namespace = ? AND touched_ms >= ?',
      )
      .get(namespace, activeSinceMs) as Row;
    return { sessions: Number(r.n), bytes: Number(r.bytes) };
  }
  async metadataUsage(namespace: string, model?: string): Promise<MetadataUsage> {
    const r = this.db
      .prepare(
        `SELECT (SELECT COUNT(*) FROM models WHERE namespace = $ns) AS models,
           (SELECT COUNT(*) FROM versions WHERE namespace = $ns) AS versions,
           (SELECT COUNT(*) FROM versions WHERE namespace = $ns AND model = $model) AS model_versions,
           (SELECT COALESCE(SUM(octet_length(manifest)), 0) FROM versions WHERE namespace = $ns)
             + (SELECT COALESCE(SUM(octet_length(document)), 0) FROM policies WHERE namespace = $ns) AS metadata_bytes,
           (SELECT COUNT(*) FROM policies WHERE namespace = $ns) AS policy_versions,
           (SELECT COUNT(*) FROM tokens WHERE namespace = $ns) AS tokens,
           (SELECT COUNT(*) FROM blob_grants WHERE namespace = $ns) AS blobs`,
      )
      .get({ ns: namespace, model: model ?? null }) as Row;
    return {
      models: Number(r.models),
      versions: Number(r.versions),
      modelVersions: Number(r.model_versions),
      metadataBytes: Number(r.metadata_bytes),
      policyVersions: Number(r.policy_versions),
      tokens: Number(r.tokens),
      blobs: Number(r.blobs),
    };
  }
  async reserveUpload(id: string, bytes: number, touchedMs: number): Promise<void> {
    this.db.prepare('UPDATE uploads SET reserved_bytes = ?, touched_ms = ? WHERE id = ?').run(bytes, touchedMs, id);
  }
  async expiredUploads(idleBeforeMs: number, nowMs: number, limit: number): Promise<UploadSessionRecord[]> {
    const rows = this.db
      .prepare(
        'SELECT * FROM uploads WHERE touched_ms < ? AND (lock_owner IS NULL OR lock_expires <= ?) ORDER BY touched_ms, id LIMIT ?',
      )
      .all(idleBeforeMs, nowMs, limit) as Row[];
    return rows.map(uploadFromRow);
  }
  async claimBlob(namespace: string, digest: string, atMs: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO blob_claims (namespace, digest, claimed_ms) VALUES (?, ?, ?)
         ON CONFLICT (namespace, digest) DO UPDATE SET claimed_ms = MAX(claimed_ms, excluded.claimed_ms)`,
      )
      .run(namespace, digest, atMs);
  }
  async storedBytes(namespace: string, extraDigests: readonly string[], claimedSinceMs: number): Promise<number> {
    const r = this.db
      .prepare(
        `SELECT COALESCE(SUM(b.size), 0) AS bytes FROM blobs b WHERE b.digest IN (
           SELECT digest FROM version_files WHERE namespace = ?
           UNION SELECT digest FROM attachments WHERE namespace = ?
           UNION SELECT digest FROM blob_claims WHERE namespace = ? AND claimed_ms >= ?
           UNION SELECT value FROM json_each(?))`,
      )
      .get(namespace, namespace, namespace, claimedSinceMs, JSON.stringify(extraDigests)) as Row;
    return Number(r.bytes);
  }
  async pinBlobs(pin: string, digests: readonly string[], untilMs: number): Promise<void> {
    const insert = this.db.prepare('INSERT OR REPLACE INTO blob_pins (pin, digest, expires_ms) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const d of new Set(digests)) insert.run(pin, d, untilMs);
    })();
  }
  async unpinBlobs(pin: string): Promise<void> {
    this.db.prepare('DELETE FROM blob_pins WHERE pin = ?').run(pin);
  }
  async missingBlobRecords(digests: readonly string[]): Promise<string[]> {
    const found = new Set(
      (
        this.db
          .prepare('SELECT digest FROM blobs WHERE digest IN (SELECT value FROM json_each(?))')
          .all(JSON.stringify(digests)) as Row[]
      ).map((r) => String(r.digest)),
    );
    return [...new Set(digests)].filter((d) => !found.has(d)).sort();
  }
  async dropStaleClaims(beforeMs: number): Promise<number> {
    return this.db.prepare('DELETE FROM blob_claims WHERE claimed_ms < ?').run(beforeMs).changes;
  }
  async collectibleBlobs(claimedSinceMs: number, nowMs: number, limit: number): Promise<BlobRecord[]> {
    const rows = this.db
      .prepare(`SELECT b.* FROM blobs b WHERE ${SQLITE_COLLECTIBLE} ORDER BY b.digest LIMIT ?`)
      .all(claimedSinceMs, nowMs, limit) as Row[];
    return rows.map(blobFromRow);
  }
  async deleteBlobIfCollectible(digest: string, claimedSinceMs: number, nowMs: number): Promise<boolean> {
    return this.db.transaction(() => {
      const r = this.db
        .prepare(`SELECT 1 FROM blobs b WHERE b.digest = ? AND ${SQLITE_COLLECTIBLE}`)
        .get(digest, claimedSinceMs, nowMs);
      if (!r) return false;
      this.db.prepare('DELETE FROM blob_claims WHERE digest = ?').run(digest);
      this.db.prepare('DELETE FROM blob_grants WHERE digest = ?').run(digest);
      this.db.prepare('DELETE FROM blobs WHERE digest = ?').run(digest);
      return true;
    })();
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, target, outcome, remote, details) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.at, e.actor, e.action, e.target, e.outcome, e.from, e.details);
  }
  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.namespace !== undefined) {
      where.push('(target = ? OR substr(target, 1, ?) = ?)');
      args.push(q.namespace, q.namespace.length + 1, `${q.namespace}/`);
    }
    if (q.before !== undefined) {
      where.push('id < ?');
      args.push(q.before);
    }
    if (q.outcome !== undefined) {
      where.push('outcome = ?');
      args.push(q.outcome);
    }
    if (q.actor !== undefined) {
      where.push('actor = ?');
      args.push(q.actor);
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(auditFromRow);
  }

  async appendLogLeaf(leaf: Uint8Array): Promise<number> {
    const r = this.db.prepare('SELECT COUNT(*) AS n FROM log_leaves').get() as Row;
    const index = Number(r.n);
    this.db.prepare('INSERT INTO log_leaves (idx, leaf) VALUES (?, ?)').run(index, Buffer.from(leaf));
    return index;
  }
  async readLogLeaves(start: number, end: number): Promise<Uint8Array[]> {
    const rows = this.db.prepare('SELECT leaf FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx').all(start, end) as Row[];
    return rows.map((r) => new Uint8Array(r.leaf as Buffer));
  }
  async logSize(): Promise<number> {
    return Number((this.db.prepare('SELECT COUNT(*) AS n FROM log_leaves').get() as Row).n);
  }
  async saveCheckpoint(c: CheckpointRecord): Promise<void> {
    this.db.prepare('INSERT INTO checkpoints (size, text, created_at) VALUES (?, ?, ?)').run(c.size, c.text, c.createdAt);
  }
  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM checkpoints ORDER BY rowid DESC LIMIT 1').get() as Row | undefined;
    return r ? { size: Number(r.size), text: String(r.text), createdAt: String(r.created_at) } : undefined;
  }
  async putLogOpening(o: LogOpeningRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO log_openings (idx, namespace, salt, entry) VALUES (?, ?, ?, ?)')
      .run(o.index, o.namespace, o.salt, o.entry);
  }
  async getLogOpening(index: number): Promise<LogOpeningRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM log_openings WHERE idx = ?').get(index) as Row | undefined;
    return r ? openingFromRow(r) : undefined;
  }
  async listLogOpenings(q: { namespace?: string; from: number; to?: number; limit: number }): Promise<LogOpeningRecord[]> {
    const to = q.to ?? Number.MAX_SAFE_INTEGER;
    const rows = (
      q.namespace === undefined
        ? this.db.prepare('SELECT * FROM log_openings WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?').all(q.from, to, q.limit)
        : this.db
            .prepare('SELECT * FROM log_openings WHERE namespace = ? AND idx >= ? AND idx < ? ORDER BY idx LIMIT ?')
            .all(q.namespace, q.from, to, q.limit)
    ) as Row[];
    return rows.map(openingFromRow);
  }
  async saveCosignature(c: CosignatureRecord): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO log_cosignatures (size, witness, line, created_at) VALUES (?, ?, ?, ?)')
      .run(c.size, c.witness, c.line, c.createdAt);
  }
  async cosignaturesFor(size: number): Promise<CosignatureRecord[]> {
    const rows = this.db.prepare('SELECT * FROM log_cosignatures WHERE size = ? ORDER BY witness').all(size) as Row[];
    return rows.map(cosignatureFromRow);
  }
}

/** Applies pending migrations; returns the schema version. */
function migrate(db: Database.Database): number {
  const current = Number(db.pragma('user_version', { simple: true }));
  for (let i = current; i < SQLITE_MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[i] as string);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return SQLITE_MIGRATIONS.length;
}

/** The method names of MetadataOps, each routed through the store's queue outside transactions. */
const OP_NAMES = Object.getOwnPropertyNames(SqliteOps.prototype).filter(
  (name) => name !== 'constructor',
) as (keyof MetadataOps)[];

// Declaration merging: the constructor installs every MetadataOps method on the instance.
export interface SqliteMetadataStore extends MetadataOps {}

/**
 * SQLite metadata store (WAL). One connection per process; every call and every `transaction` runs through
 * one promise queue (an async transaction never interleaves with other work on the connection), and
 * BEGIN IMMEDIATE with a busy timeout serialises writers across processes.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: methods are installed in the constructor
export class SqliteMetadataStore implements MetadataStore {
  readonly kind = 'sqlite' as const;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inner: SqliteOps;

  private constructor(private readonly database: Database.Database) {
    this.inner = new SqliteOps(database);
    for (const name of OP_NAMES) {
      const method = (this.inner[name] as (...args: unknown[]) => Promise<unknown>).bind(this.inner);
      (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => this.serial(() => method(...args));
    }
  }

  /** Opens (creating) `file`, or an in-memory database for ':memory:'. */
  static open(file: string): SqliteMetadataStore {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const Driver = requireDriver<typeof Database>('better-sqlite3');
    const db = new Driver(file);
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    migrate(db);
    return new SqliteMetadataStore(db);
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  transaction<T>(fn: (tx: MetadataOps) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      this.database.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.inner);
        this.database.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.database.inTransaction) this.database.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.database.close();
  }
}
