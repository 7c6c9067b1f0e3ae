/**
 * PostgreSQL schema migrations, applied in order under an advisory lock (several registry processes may start at
 * once); `schema_migrations` records how many ran. Never edit a shipped one.
 * `log_state` is the single sequencing row: appending a leaf takes its row lock (UPDATE ... RETURNING) inside the
 * change's transaction, so leaf indexes are gap-free and ordered across processes, as Tessera coordinates them.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE namespaces (name TEXT PRIMARY KEY, public BOOLEAN NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL);
  CREATE TABLE tokens (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, namespace TEXT, scope TEXT NOT NULL,
    description TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT FALSE);
  CREATE TABLE policies (namespace TEXT NOT NULL, version INTEGER NOT NULL, document TEXT NOT NULL,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (namespace, version));
  CREATE TABLE models (namespace TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (namespace, name));
  CREATE TABLE versions (namespace TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, root_digest TEXT NOT NULL,
    bundle_digest TEXT NOT NULL, signer TEXT NOT NULL, signer_identity TEXT, signer_key_fingerprint TEXT, signed_at TEXT,
    scan_verdict TEXT NOT NULL, manifest TEXT NOT NULL, published_at TEXT NOT NULL, published_by TEXT NOT NULL,
    yanked BOOLEAN NOT NULL DEFAULT FALSE, yanked_at TEXT, yank_reason TEXT,
    CONSTRAINT versions_unique PRIMARY KEY (namespace, model, version));
  CREATE INDEX versions_root ON versions (root_digest);
  CREATE INDEX versions_identity ON versions (signer_identity);
  CREATE INDEX versions_key ON versions (signer_key_fingerprint);
  CREATE TABLE version_files (namespace TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, path TEXT NOT NULL,
    digest TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (namespace, model, version, path));
  CREATE INDEX version_files_digest ON version_files (digest);
  CREATE TABLE attachments (namespace TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL,
    digest TEXT NOT NULL, media_type TEXT NOT NULL, predicate_type TEXT, PRIMARY KEY (namespace, model, version, kind, digest));
  CREATE TABLE blobs (digest TEXT PRIMARY KEY, size BIGINT NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE uploads (id TEXT PRIMARY KEY, namespace TEXT NOT NULL, upload_offset BIGINT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, created_by TEXT NOT NULL);
  CREATE TABLE audit (id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, outcome TEXT NOT NULL, remote TEXT NOT NULL, details TEXT NOT NULL);
  CREATE TABLE log_state (id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL);
  INSERT INTO log_state (id, size) VALUES (1, 0);
  CREATE TABLE log_leaves (idx BIGINT PRIMARY KEY, leaf BYTEA NOT NULL);
  CREATE TABLE checkpoints (id BIGSERIAL PRIMARY KEY, size BIGINT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL);
  `,
  // Transparency log: openings of sealed leaves (private namespaces) and witness cosignatures of checkpoints.
  `
  CREATE TABLE log_openings (idx BIGINT PRIMARY KEY, namespace TEXT NOT NULL, salt TEXT NOT NULL, entry TEXT NOT NULL);
  CREATE INDEX log_openings_namespace ON log_openings (namespace, idx);
  CREATE TABLE log_cosignatures (size BIGINT NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (size, witness));
  `,
  // Tenant isolation: which namespace uploaded which blob (a manifest may name only blobs readable to the pusher);
  // when and by whom a token was revoked (the registry-wide token list shows it).
  `
  CREATE TABLE blob_grants (namespace TEXT NOT NULL, digest TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
    PRIMARY KEY (namespace, digest));
  CREATE INDEX attachments_digest ON attachments (digest);
  ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
  ALTER TABLE tokens ADD COLUMN revoked_by TEXT;
  `,
  // Storage (issue 12): upload session locks held in the database (lease: owner + expiry, epoch ms); the lineage
  // index written at push (edges of each version's ML-BOM and attestations; `lineage_indexed` marks indexed versions);
  // quotas and garbage collection: bytes reserved by an append, last activity of a session (storage clock, epoch ms),
  // blobs a namespace uploaded or used recently (claims), blobs a push in flight holds (pins).
  `
  ALTER TABLE uploads ADD COLUMN lock_owner TEXT;
  ALTER TABLE uploads ADD COLUMN lock_expires BIGINT;
  CREATE TABLE lineage_indexed (namespace TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
    PRIMARY KEY (namespace, model, version));
  CREATE TABLE lineage_edges (namespace TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, seq INTEGER NOT NULL,
    relation TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, target_digest TEXT,
    PRIMARY KEY (namespace, model, version, seq));
  CREATE INDEX lineage_edges_target ON lineage_edges (target_digest);
  ALTER TABLE uploads ADD COLUMN reserved_bytes BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE uploads ADD COLUMN touched_ms BIGINT NOT NULL DEFAULT 0;
  CREATE INDEX uploads_namespace ON uploads (namespace);
  CREATE TABLE blob_claims (namespace TEXT NOT NULL, digest TEXT NOT NULL, claimed_ms BIGINT NOT NULL,
    PRIMARY KEY (namespace, digest));
  CREATE INDEX blob_claims_digest ON blob_claims (digest);
  CREATE TABLE blob_pins (pin TEXT NOT NULL, digest TEXT NOT NULL, expires_ms BIGINT NOT NULL, PRIMARY KEY (pin, digest));
  CREATE INDEX blob_pins_digest ON blob_pins (digest);
  `,
  // Token expiry (issue 12): a token may be made with an end of life; null = never expires.
  `
  ALTER TABLE tokens ADD COLUMN expires_at TEXT;
  `,
];
