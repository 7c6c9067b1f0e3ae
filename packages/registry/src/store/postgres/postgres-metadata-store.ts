/**
 * PostgreSQL metadata store: the same MetadataStore contract as SQLite, for several stateless registry processes
 * over one database. Version uniqueness is the primary key; log leaves are sequenced through the `log_state` row
 * lock inside the caller's transaction; policy versions through the namespace row lock.
 */
import { ModelsecError } from '@modelsec/core/errors';
import type pg from 'pg';
import { importDriver } from '../load-driver.js';
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
import { POSTGRES_MIGRATIONS } from './migrations.js';

/** Connections per registry process (each request needs at most one; transactions hold theirs until commit). */
export const POSTGRES_POOL_SIZE = 10;
/** Arbitrary fixed key of the advisory lock that serialises migrations across processes. */
export const MIGRATION_LOCK_KEY = 0x6d6f64656c;

type Queryable = pg.Pool | pg.PoolClient;

/** A blob no version references, with no claim since $1 and no pin live at $2. */
const POSTGRES_COLLECTIBLE = `NOT EXISTS (SELECT 1 FROM version_files f WHERE f.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM blob_claims c WHERE c.digest = b.digest AND c.claimed_ms >= $1)
  AND NOT EXISTS (SELECT 1 FROM blob_pins p WHERE p.digest = b.digest AND p.expires_ms > $2)`;

const UNIQUE_VIOLATION = '23505';

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? ((error as { code?: string }).code ?? undefined) : undefined;
}

class PostgresOps implements MetadataOps {
  /** `db` is the pool (autocommit; multi-statement writes open their own transaction) or a transaction's client. */
  constructor(
    readonly db: Queryable,
    private readonly pool: pg.Pool,
    private readonly inTransaction: boolean,
  ) {}

  private async q(sql: string, args: unknown[] = []): Promise<Row[]> {
    return (await this.db.query(sql, args)).rows as Row[];
  }

  /** Runs several statements atomically: a savepoint inside a transaction, else a transaction of its own. */
  private async atomic<T>(fn: (ops: PostgresOps) => Promise<T>): Promise<T> {
    if (this.inTransaction) {
      await this.q('SAVEPOINT ms_atomic');
      try {
        const result = await fn(this);
        await this.q('RELEASE SAVEPOINT ms_atomic');
        return result;
      } catch (error) {
        await this.q('ROLLBACK TO SAVEPOINT ms_atomic');
        throw error;
      }
    }
    return runTransaction(this.pool, fn);
  }

  async createNamespace(ns: NamespaceRecord): Promise<void> {
    try {
      await this.atomic((o) =>
        o.q('INSERT INTO namespaces (name, public, created_at, created_by) VALUES ($1, $2, $3, $4)', [
          ns.name,
          ns.public,
          ns.createdAt,
          ns.createdBy,
        ]),
      );
    } catch (error) {
      if (pgCode(error) === UNIQUE_VIOLATION)
        throw new ModelsecError('CONFLICT', `namespace '${ns.name}' exists already`, { details: { namespace: ns.name } });
      throw error;
    }
  }
  async getNamespace(name: string): Promise<NamespaceRecord | undefined> {
    const [r] = await this.q('SELECT * FROM namespaces WHERE name = $1', [name]);
    return r ? namespaceFromRow(r) : undefined;
  }
  async listNamespaces(): Promise<NamespaceRecord[]> {
    return (await this.q('SELECT * FROM namespaces ORDER BY name COLLATE "C"')).map(namespaceFromRow);
  }
  async setNamespacePublic(name: string, isPublic: boolean): Promise<void> {
    await this.q('UPDATE namespaces SET public = $1 WHERE name = $2', [isPublic, name]);
  }

  async createToken(t: TokenRecord): Promise<void> {
    try {
      await this.atomic((o) =>
        o.q(
          'INSERT INTO tokens (id, token_hash, namespace, scope, description, created_at, created_by, revoked, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
          [t.id, t.tokenHash, t.namespace, t.scope, t.description, t.createdAt, t.createdBy, t.revoked, t.expiresAt ?? null],
        ),
      );
    } catch (error) {
      if (pgCode(error) === UNIQUE_VIOLATION)
        throw new ModelsecError('CONFLICT', 'token exists already', { details: { id: t.id } });
      throw error;
    }
  }
  async findTokenByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const [r] = await this.q('SELECT * FROM tokens WHERE token_hash = $1', [tokenHash]);
    return r ? tokenFromRow(r) : undefined;
  }
  async listTokens(namespace?: string): Promise<TokenRecord[]> {
    const rows =
      namespace === undefined
        ? await this.q('SELECT * FROM tokens ORDER BY created_at COLLATE "C", id COLLATE "C"')
        : await this.q('SELECT * FROM tokens WHERE namespace = $1 ORDER BY created_at COLLATE "C", id COLLATE "C"', [namespace]);
    return rows.map(tokenFromRow);
  }
  async revokeToken(id: string, at?: string, by?: string): Promise<void> {
    await this.q('UPDATE tokens SET revoked = TRUE, revoked_at = $2, revoked_by = $3 WHERE id = $1 AND NOT revoked', [
      id,
      at ?? null,
      by ?? null,
    ]);
  }

  async setPolicy(namespace: string, document: string, at: string, by: string): Promise<PolicyRecord> {
    return this.atomic(async (o) => {
      // The namespace row lock serialises policy versions across processes.
      await o.q('SELECT 1 FROM namespaces WHERE name = $1 FOR UPDATE', [namespace]);
      const [last] = await o.q('SELECT MAX(version) AS v FROM policies WHERE namespace = $1', [namespace]);
      const version = Number(last?.v ?? 0) + 1;
      await o.q('INSERT INTO policies (namespace, version, document, created_at, created_by) VALUES ($1, $2, $3, $4, $5)', [
        namespace,
        version,
        document,
        at,
        by,
      ]);
      return { namespace, version, document, createdAt: at, createdBy: by };
    });
  }
  async currentPolicy(namespace: string): Promise<PolicyRecord | undefined> {
    const [r] = await this.q('SELECT * FROM policies WHERE namespace = $1 ORDER BY version DESC LIMIT 1', [namespace]);
    return r ? policyFromRow(r) : undefined;
  }
  async policyHistory(namespace: string, page: { after?: number; limit?: number } = {}): Promise<PolicyRecord[]> {
    return (
      await this.q('SELECT * FROM policies WHERE namespace = $1 AND version > $2 ORDER BY version LIMIT $3', [
        namespace,
        page.after ?? 0,
        page.limit ?? null,
      ])
    ).map(policyFromRow);
  }

  async ensureModel(m: ModelRecord): Promise<void> {
    await this.q('INSERT INTO models (namespace, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      m.namespace,
      m.name,
      m.createdAt,
    ]);
  }
  async listModels(namespace: string): Promise<ModelRecord[]> {
    const rows = await this.q('SELECT * FROM models WHERE namespace = $1 ORDER BY name COLLATE "C"', [namespace]);
    return rows.map(modelFromRow);
  }

  async insertVersion(v: VersionRecord, files: VersionFileRecord[], attachments: AttachmentRecord[]): Promise<void> {
    try {
      await this.atomic(async (o) => {
        await o.q(
          `INSERT INTO versions (namespace, model, version, root_digest, bundle_digest, signer, signer_identity,
          signer_key_fingerprint, signed_at, scan_verdict, manifest, published_at, published_by, yanked, yanked_at, yank_reason)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
          [
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
            v.yanked,
            v.yankedAt,
            v.yankReason,
          ],
        );
        for (const f of files)
          await o.q('INSERT INTO version_files (namespace, model, version, path, digest, size) VALUES ($1, $2, $3, $4, $5, $6)', [
            f.namespace,
            f.model,
            f.version,
            f.path,
            f.digest,
            f.size,
          ]);
        for (const a of attachments)
          await o.q(
            'INSERT INTO attachments (namespace, model, version, kind, digest, media_type, predicate_type) VALUES ($1, $2, $3, $4, $5, $6, $7)',
            [a.namespace, a.model, a.version, a.kind, a.digest, a.mediaType, a.predicateType],
          );
      });
    } catch (error) {
      if (pgCode(error) === UNIQUE_VIOLATION && (error as { constraint?: string }).constraint === 'versions_unique')
        throw new ModelsecError('CONFLICT', `${v.namespace}/${v.model}@${v.version} is published already and immutable`, {
          details: { namespace: v.namespace, model: v.model, version: v.version },
        });
      throw error;
    }
  }
  async getVersion(namespace: string, model: string, version: string): Promise<VersionRecord | undefined> {
    const [r] = await this.q('SELECT * FROM versions WHERE namespace = $1 AND model = $2 AND version = $3', [
      namespace,
      model,
      version,
    ]);
    return r ? versionFromRow(r) : undefined;
  }
  async listVersions(q: VersionQuery): Promise<VersionRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (column: string, value: unknown): void => {
      args.push(value);
      where.push(`${column} = $${args.length}`);
    };
    if (q.namespace !== undefined) add('v.namespace', q.namespace);
    if (q.model !== undefined) add('v.model', q.model);
    if (q.rootDigest !== undefined) add('v.root_digest', q.rootDigest);
    if (q.signerIdentity !== undefined) add('v.signer_identity', q.signerIdentity);
    if (q.signerKeyFingerprint !== undefined) add('v.signer_key_fingerprint', q.signerKeyFingerprint);
    if (q.fileDigest !== undefined) {
      args.push(q.fileDigest);
      where.push(
        `EXISTS (SELECT 1 FROM version_files f WHERE f.namespace = v.namespace AND f.model = v.model AND f.version = v.version AND f.digest = $${args.length})`,
      );
    }
    if (!q.includeYanked) where.push('v.yanked = FALSE');
    if (q.namespaces !== undefined) {
      args.push([...q.namespaces]);
      where.push(`v.namespace = ANY($${args.length}::text[])`);
    }
    const columns = q.summary ? VERSION_SUMMARY_COLUMNS : 'v.*';
    const limit = q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
    const sql = `SELECT ${columns} FROM versions v ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY v.namespace COLLATE "C", v.model COLLATE "C", v.published_at COLLATE "C", v.version COLLATE "C"${limit}`;
    return (await this.q(sql, args)).map(versionFromRow);
  }
  async versionFiles(namespace: string, model: string, version: string): Promise<VersionFileRecord[]> {
    const rows = await this.q(
      'SELECT * FROM version_files WHERE namespace = $1 AND model = $2 AND version = $3 ORDER BY path COLLATE "C"',
      [namespace, model, version],
    );
    return rows.map((r) => versionFileFromRow({ namespace, model, version }, r));
  }
  async versionAttachments(namespace: string, model: string, version: string): Promise<AttachmentRecord[]> {
    const rows = await this.q(
      'SELECT * FROM attachments WHERE namespace = $1 AND model = $2 AND version = $3 ORDER BY kind COLLATE "C", digest COLLATE "C"',
      [namespace, model, version],
    );
    return rows.map((r) => attachmentFromRow({ namespace, model, version }, r));
  }
  async namespaceHasBlob(namespace: string, digest: string): Promise<boolean> {
    const rows = await this.q(
      'SELECT 1 FROM version_files WHERE namespace = $1 AND digest = $2 UNION ALL SELECT 1 FROM attachments WHERE namespace = $1 AND digest = $2 LIMIT 1',
      [namespace, digest],
    );
    return rows.length > 0;
  }
  async yankVersion(namespace: string, model: string, version: string, at: string, reason: string): Promise<void> {
    const result = await this.db.query(
      'UPDATE versions SET yanked = TRUE, yanked_at = $1, yank_reason = $2 WHERE namespace = $3 AND model = $4 AND version = $5',
      [at, reason, namespace, model, version],
    );
    if (result.rowCount === 0) throw new ModelsecError('NOT_FOUND', `${namespace}/${model}@${version} does not exist`);
  }

  async putBlobRecord(b: BlobRecord): Promise<void> {
    await this.q('INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      b.digest,
      b.size,
      b.createdAt,
    ]);
  }
  async grantBlob(g: BlobGrantRecord): Promise<void> {
    await this.q(
      'INSERT INTO blob_grants (namespace, digest, created_at, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [g.namespace, g.digest, g.createdAt, g.createdBy],
    );
  }
  async blobsReadableTo(namespace: string, digests: readonly string[]): Promise<string[]> {
    const unique = [...new Set(digests)];
    if (unique.length === 0) return [];
    const rows = await this.q(
      `SELECT digest FROM blob_grants WHERE namespace = $1 AND digest = ANY($2)
       UNION SELECT digest FROM version_files WHERE namespace = $1 AND digest = ANY($2)
       UNION SELECT digest FROM attachments WHERE namespace = $1 AND digest = ANY($2)
       UNION SELECT f.digest FROM version_files f JOIN namespaces n ON n.name = f.namespace WHERE n.public AND f.digest = ANY($2)
       UNION SELECT a.digest FROM attachments a JOIN namespaces n ON n.name = a.namespace WHERE n.public AND a.digest = ANY($2)`,
      [namespace, unique],
    );
    return rows.map((r) => String(r.digest)).sort();
  }
  async namespaceOwnsBlob(namespace: string, digest: string): Promise<boolean> {
    const granted = await this.q('SELECT 1 FROM blob_grants WHERE namespace = $1 AND digest = $2', [namespace, digest]);
    return granted.length > 0 || (await this.namespaceHasBlob(namespace, digest));
  }
  async getBlobRecord(digest: string): Promise<BlobRecord | undefined> {
    const [r] = await this.q('SELECT * FROM blobs WHERE digest = $1', [digest]);
    return r ? blobFromRow(r) : undefined;
  }

  async createUpload(s: UploadSessionRecord): Promise<void> {
    await this.q(
      'INSERT INTO uploads (id, namespace, upload_offset, created_at, updated_at, created_by, touched_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [s.id, s.namespace, s.offset, s.createdAt, s.updatedAt, s.createdBy, s.touchedMs ?? 0],
    );
  }
  async getUpload(id: string): Promise<UploadSessionRecord | undefined> {
    const [r] = await this.q('SELECT * FROM uploads WHERE id = $1', [id]);
    return r ? uploadFromRow(r) : undefined;
  }
  async advanceUpload(id: string, expectedOffset: number, newOffset: number, at: string): Promise<boolean> {
    const result = await this.db.query(
      'UPDATE uploads SET upload_offset = $1, updated_at = $2 WHERE id = $3 AND upload_offset = $4',
      [newOffset, at, id, expectedOffset],
    );
    return result.rowCount === 1;
  }
  async deleteUpload(id: string): Promise<void> {
    await this.q('DELETE FROM uploads WHERE id = $1', [id]);
  }
  async lockUpload(
    id: string,
    owner: string,
    nowMs: number,
    untilMs: number,
    staleOwner?: string,
  ): Promise<{ acquired: boolean; owner?: string }> {
    // One UPDATE: its row lock makes the test-and-set atomic across processes.
    const result = await this.db.query(
      'UPDATE uploads SET lock_owner = $1, lock_expires = $2 WHERE id = $3 AND (lock_owner IS NULL OR lock_expires <= $4 OR lock_owner = $5)',
      [owner, untilMs, id, nowMs, staleOwner ?? null],
    );
    if (result.rowCount === 1) return { acquired: true, owner };
    const [r] = await this.q('SELECT lock_owner FROM uploads WHERE id = $1', [id]);
    return r ? { acquired: false, owner: String(r.lock_owner ?? '') } : { acquired: false };
  }
  async renewUploadLock(id: string, owner: string, untilMs: number): Promise<boolean> {
    const result = await this.db.query('UPDATE uploads SET lock_expires = $1 WHERE id = $2 AND lock_owner = $3', [
      untilMs,
      id,
      owner,
    ]);
    return result.rowCount === 1;
  }
  async unlockUpload(id: string, owner: string): Promise<void> {
    await this.q('UPDATE uploads SET lock_owner = NULL, lock_expires = NULL WHERE id = $1 AND lock_owner = $2', [id, owner]);
  }

  async insertLineage(v: VersionKey, edges: LineageEdgeRecord[]): Promise<void> {
    await this.atomic(async (o) => {
      const marked = await o.db.query(
        'INSERT INTO lineage_indexed (namespace, model, version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [v.namespace, v.model, v.version],
      );
      if (marked.rowCount === 0) return;
      for (const e of edges)
        await o.q(
          'INSERT INTO lineage_edges (namespace, model, version, seq, relation, source, target, target_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [v.namespace, v.model, v.version, e.seq, e.relation, e.source, e.target, e.targetDigest],
        );
    });
  }
  async lineageEdges(namespace: string, model: string, version: string): Promise<LineageEdgeRecord[] | undefined> {
    const marked = await this.q('SELECT 1 FROM lineage_indexed WHERE namespace = $1 AND model = $2 AND version = $3', [
      namespace,
      model,
      version,
    ]);
    if (marked.length === 0) return undefined;
    const rows = await this.q('SELECT * FROM lineage_edges WHERE namespace = $1 AND model = $2 AND version = $3 ORDER BY seq', [
      namespace,
      model,
      version,
    ]);
    return rows.map(lineageEdgeFromRow);
  }
  async versionsDerivedFrom(digests: readonly string[]): Promise<VersionKey[]> {
    if (digests.length === 0) return [];
    const rows = await this.q(
      `SELECT namespace, model, version FROM lineage_edges WHERE target_digest = ANY($1::text[])
       GROUP BY namespace, model, version ORDER BY namespace COLLATE "C", model COLLATE "C", version COLLATE "C"`,
      [digests],
    );
    return rows.map(versionKeyFromRow);
  }
  async lineageEdgesNamed(fragment: string, namespaces: readonly string[], limit: number): Promise<LineageEdgeRecord[]> {
    if (namespaces.length === 0 || limit <= 0) return [];
    // lower() of text here, as SQLite's: ASCII letters only, so both drivers match the same names.
    const rows = await this.q(
      `SELECT * FROM lineage_edges WHERE namespace = ANY($1::text[])
       AND translate(target::jsonb->>'name', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE $2 ESCAPE '\\'
       ORDER BY namespace COLLATE "C", model COLLATE "C", version COLLATE "C", seq LIMIT $3`,
      [namespaces, likeContaining(fragment), limit],
    );
    return rows.map(lineageEdgeFromRow);
  }
  async unindexedVersions(limit: number): Promise<VersionKey[]> {
    const rows = await this.q(
      `SELECT v.namespace, v.model, v.version FROM versions v WHERE NOT EXISTS (SELECT 1 FROM lineage_indexed l
       WHERE l.namespace = v.namespace AND l.model = v.model AND l.version = v.version)
       ORDER BY v.namespace COLLATE "C", v.model COLLATE "C", v.version COLLATE "C" LIMIT $1`,
      [limit],
    );
    return rows.map(versionKeyFromRow);
  }

  async lockNamespace(name: string): Promise<void> {
    // The namespace row lock, held until the transaction ends: quota checks of one namespace serialise across processes.
    if (this.inTransaction) await this.q('SELECT 1 FROM namespaces WHERE name = $1 FOR UPDATE', [name]);
  }
  async metadataUsage(namespace: string, model?: string): Promise<MetadataUsage> {
    const [r] = await this.q(
      `SELECT (SELECT COUNT(*) FROM models WHERE namespace = $1) AS models,
         (SELECT COUNT(*) FROM versions WHERE namespace = $1) AS versions,
         (SELECT COUNT(*) FROM versions WHERE namespace = $1 AND model = $2) AS model_versions,
         (SELECT COALESCE(SUM(octet_length(manifest)), 0) FROM versions WHERE namespace = $1)
           + (SELECT COALESCE(SUM(octet_length(document)), 0) FROM policies WHERE namespace = $1) AS metadata_bytes,
         (SELECT COUNT(*) FROM policies WHERE namespace = $1) AS policy_versions,
         (SELECT COUNT(*) FROM tokens WHERE namespace = $1) AS tokens,
         (SELECT COUNT(*) FROM blob_grants WHERE namespace = $1) AS blobs`,
      [namespace, model ?? null],
    );
    return {
      models: Number(r?.models ?? 0),
      versions: Number(r?.versions ?? 0),
      modelVersions: Number(r?.model_versions ?? 0),
      metadataBytes: Number(r?.metadata_bytes ?? 0),
      policyVersions: Number(r?.policy_versions ?? 0),
      tokens: Number(r?.tokens ?? 0),
      blobs: Number(r?.blobs ?? 0),
    };
  }
  async uploadUsage(namespace: string, activeSinceMs: number): Promise<{ sessions: number; bytes: number }> {
    const [r] = await this.q(
      'SELECT COUNT(*) AS n, COALESCE(SUM(upload_offset + reserved_bytes), 0) AS bytes FROM uploads WHERE namespace = $1 AND touched_ms >= $2',
      [namespace, activeSinceMs],
    );
    return { sessions: Number(r?.n ?? 0), bytes: Number(r?.bytes ?? 0) };
  }
  async reserveUpload(id: string, bytes: number, touchedMs: number): Promise<void> {
    await this.q('UPDATE uploads SET reserved_bytes = $1, touched_ms = $2 WHERE id = $3', [bytes, touchedMs, id]);
  }
  async expiredUploads(idleBeforeMs: number, nowMs: number, limit: number): Promise<UploadSessionRecord[]> {
    const rows = await this.q(
      'SELECT * FROM uploads WHERE touched_ms < $1 AND (lock_owner IS NULL OR lock_expires <= $2) ORDER BY touched_ms, id COLLATE "C" LIMIT $3',
      [idleBeforeMs, nowMs, limit],
    );
    return rows.map(uploadFromRow);
  }
  async claimBlob(namespace: string, digest: string, atMs: number): Promise<void> {
    await this.q(
      `INSERT INTO blob_claims (namespace, digest, claimed_ms) VALUES ($1, $2, $3)
       ON CONFLICT (namespace, digest) DO UPDATE SET claimed_ms = GREATEST(blob_claims.claimed_ms, EXCLUDED.claimed_ms)`,
      [namespace, digest, atMs],
    );
  }
  async storedBytes(namespace: string, extraDigests: readonly string[], claimedSinceMs: number): Promise<number> {
    const [r] = await this.q(
      `SELECT COALESCE(SUM(b.size), 0) AS bytes FROM blobs b WHERE b.digest IN (
         SELECT digest FROM version_files WHERE namespace = $1
         UNION SELECT digest FROM attachments WHERE namespace = $1
         UNION SELECT digest FROM blob_claims WHERE namespace = $1 AND claimed_ms >= $2
         UNION SELECT unnest($3::text[]))`,
      [namespace, claimedSinceMs, [...extraDigests]],
    );
    return Number(r?.bytes ?? 0);
  }
  async pinBlobs(pin: string, digests: readonly string[], untilMs: number): Promise<void> {
    await this.q(
      `INSERT INTO blob_pins (pin, digest, expires_ms) SELECT $1, d, $2 FROM unnest($3::text[]) AS d
       ON CONFLICT (pin, digest) DO UPDATE SET expires_ms = EXCLUDED.expires_ms`,
      [pin, untilMs, [...new Set(digests)]],
    );
  }
  async unpinBlobs(pin: string): Promise<void> {
    await this.q('DELETE FROM blob_pins WHERE pin = $1', [pin]);
  }
  async missingBlobRecords(digests: readonly string[]): Promise<string[]> {
    // FOR SHARE inside a transaction: a collector deleting one of these waits for this transaction, then sees it
    // referenced (or this one sees it gone).
    const rows = await this.q(
      `SELECT digest FROM blobs WHERE digest = ANY($1::text[])${this.inTransaction ? ' FOR SHARE' : ''}`,
      [[...new Set(digests)]],
    );
    const found = new Set(rows.map((r) => String(r.digest)));
    return [...new Set(digests)].filter((d) => !found.has(d)).sort();
  }
  async dropStaleClaims(beforeMs: number): Promise<number> {
    const result = await this.db.query('DELETE FROM blob_claims WHERE claimed_ms < $1', [beforeMs]);
    return result.rowCount ?? 0;
  }
  async collectibleBlobs(claimedSinceMs: number, nowMs: number, limit: number): Promise<BlobRecord[]> {
    const rows = await this.q(`SELECT b.* FROM blobs b WHERE ${POSTGRES_COLLECTIBLE} ORDER BY b.digest COLLATE "C" LIMIT $3`, [
      claimedSinceMs,
      nowMs,
      limit,
    ]);
    return rows.map(blobFromRow);
  }
  async deleteBlobIfCollectible(digest: string, claimedSinceMs: number, nowMs: number): Promise<boolean> {
    return this.atomic(async (o) => {
      // Lock the record first (a push referencing it holds FOR SHARE until it commits), then check with fresh reads.
      const locked = await o.q('SELECT 1 FROM blobs WHERE digest = $1 FOR UPDATE', [digest]);
      if (locked.length === 0) return false;
      const still = await o.q(`SELECT 1 FROM blobs b WHERE b.digest = $3 AND ${POSTGRES_COLLECTIBLE}`, [
        claimedSinceMs,
        nowMs,
        digest,
      ]);
      if (still.length === 0) return false;
      await o.q('DELETE FROM blob_claims WHERE digest = $1', [digest]);
      await o.q('DELETE FROM blob_grants WHERE digest = $1', [digest]);
      await o.q('DELETE FROM blobs WHERE digest = $1', [digest]);
      return true;
    });
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.q('INSERT INTO audit (at, actor, action, target, outcome, remote, details) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      e.at,
      e.actor,
      e.action,
      e.target,
      e.outcome,
      e.from,
      e.details,
    ]);
  }
  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.namespace !== undefined) {
      args.push(q.namespace, q.namespace.length + 1, `${q.namespace}/`);
      where.push(`(target = $${args.length - 2} OR left(target, $${args.length - 1}) = $${args.length})`);
    }
    if (q.before !== undefined) {
      args.push(q.before);
      where.push(`id < $${args.length}`);
    }
    if (q.outcome !== undefined) {
      args.push(q.outcome);
      where.push(`outcome = $${args.length}`);
    }
    if (q.actor !== undefined) {
      args.push(q.actor);
      where.push(`actor = $${args.length}`);
    }
    args.push(q.limit);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`;
    return (await this.q(sql, args)).map(auditFromRow);
  }

  async appendLogLeaf(leaf: Uint8Array): Promise<number> {
    return this.atomic(async (o) => {
      // The row lock on log_state is held until commit: concurrent appenders (any process) queue here, so indexes
      // are assigned in commit order with no gaps; a rolled-back transaction gives its index back.
      const [r] = await o.q('UPDATE log_state SET size = size + 1 WHERE id = 1 RETURNING size - 1 AS idx');
      const index = Number(r?.idx);
      await o.q('INSERT INTO log_leaves (idx, leaf) VALUES ($1, $2)', [index, Buffer.from(leaf)]);
      return index;
    });
  }
  async readLogLeaves(start: number, end: number): Promise<Uint8Array[]> {
    const rows = await this.q('SELECT leaf FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx', [start, end]);
    return rows.map((r) => new Uint8Array(r.leaf as Buffer));
  }
  async logSize(): Promise<number> {
    const [r] = await this.q('SELECT size FROM log_state WHERE id = 1');
    return Number(r?.size ?? 0);
  }
  async saveCheckpoint(c: CheckpointRecord): Promise<void> {
    await this.q('INSERT INTO checkpoints (size, text, created_at) VALUES ($1, $2, $3)', [c.size, c.text, c.createdAt]);
  }
  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    const [r] = await this.q('SELECT * FROM checkpoints ORDER BY size DESC, id DESC LIMIT 1');
    return r ? { size: Number(r.size), text: String(r.text), createdAt: String(r.created_at) } : undefined;
  }
  async putLogOpening(o: LogOpeningRecord): Promise<void> {
    await this.q('INSERT INTO log_openings (idx, namespace, salt, entry) VALUES ($1, $2, $3, $4)', [
      o.index,
      o.namespace,
      o.salt,
      o.entry,
    ]);
  }
  async getLogOpening(index: number): Promise<LogOpeningRecord | undefined> {
    const [r] = await this.q('SELECT * FROM log_openings WHERE idx = $1', [index]);
    return r ? openingFromRow(r) : undefined;
  }
  async listLogOpenings(q: { namespace?: string; from: number; to?: number; limit: number }): Promise<LogOpeningRecord[]> {
    const to = q.to ?? Number.MAX_SAFE_INTEGER;
    const rows =
      q.namespace === undefined
        ? await this.q('SELECT * FROM log_openings WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3', [q.from, to, q.limit])
        : await this.q('SELECT * FROM log_openings WHERE namespace = $1 AND idx >= $2 AND idx < $3 ORDER BY idx LIMIT $4', [
            q.namespace,
            q.from,
            to,
            q.limit,
          ]);
    return rows.map(openingFromRow);
  }
  async saveCosignature(c: CosignatureRecord): Promise<void> {
    await this.q(
      `INSERT INTO log_cosignatures (size, witness, line, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (size, witness) DO UPDATE SET line = EXCLUDED.line, created_at = EXCLUDED.created_at`,
      [c.size, c.witness, c.line, c.createdAt],
    );
  }
  async cosignaturesFor(size: number): Promise<CosignatureRecord[]> {
    const rows = await this.q('SELECT * FROM log_cosignatures WHERE size = $1 ORDER BY witness COLLATE "C"', [size]);
    return rows.map(cosignatureFromRow);
  }
}

async function runTransaction<T>(pool: pg.Pool, fn: (ops: PostgresOps) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const result = await fn(new PostgresOps(client, pool, true));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}

async function migrate(pool: pg.Pool, schema: string | undefined): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const { rows } = await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations');
    for (let i = Number(rows[0]?.v ?? 0); i < POSTGRES_MIGRATIONS.length; i++) {
      await client.query(POSTGRES_MIGRATIONS[i] as string);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        i + 1,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface PostgresStoreOptions {
  /** A schema to create and use (tests isolate themselves this way); default: the connection's search_path. */
  schema?: string;
  poolSize?: number;
}

const OP_NAMES = Object.getOwnPropertyNames(PostgresOps.prototype).filter(
  (name) => name !== 'constructor' && name !== 'q' && name !== 'atomic',
) as (keyof MetadataOps)[];

export interface PostgresMetadataStore extends MetadataOps {}

/** PostgreSQL metadata store over a connection pool (`postgres://user@host:port/db`). */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: methods are installed in the constructor
export class PostgresMetadataStore implements MetadataStore {
  readonly kind = 'postgres' as const;

  private constructor(private readonly pool: pg.Pool) {
    const ops = new PostgresOps(pool, pool, false);
    for (const name of OP_NAMES) {
      (this as unknown as Record<string, unknown>)[name] = (ops[name] as (...args: unknown[]) => Promise<unknown>).bind(ops);
    }
  }

  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresMetadataStore> {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema))
      throw new ModelsecError('INVALID_CONFIG', `invalid PostgreSQL schema name '${options.schema}'`);
    const { Pool } = await importDriver<typeof pg>('pg');
    const pool = new Pool({
      connectionString: url,
      max: options.poolSize ?? POSTGRES_POOL_SIZE,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    pool.on('error', () => undefined); // an idle client's lost connection is reported on its next use
    try {
      await migrate(pool, options.schema);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new ModelsecError(
        'INVALID_CONFIG',
        `cannot open the PostgreSQL database ${redact(url)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return new PostgresMetadataStore(pool);
  }

  transaction<T>(fn: (tx: MetadataOps) => Promise<T>): Promise<T> {
    return runTransaction(this.pool, fn);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
