/**
 * The registry's metadata store: everything except blob bytes. Two implementations: SQLite (embedded default,
 * `store/sqlite/`) and PostgreSQL (`store/postgres/`, issue 7). Every method is async so that a networked
 * database fits the same interface; `transaction(fn)` runs `fn` atomically (all or nothing) and serialises
 * writers, so a publish and its transparency-log leaf commit together and the log has no gaps.
 *
 * Invariants every implementation enforces (the contract suite `metadata-store.contract.ts` checks them):
 * - (namespace, model, version) is unique: `insertVersion` of an existing one throws ModelsecError CONFLICT.
 * - Namespaces, tokens (by hash) are unique: duplicates throw CONFLICT.
 * - Policies are versioned: `setPolicy` appends version n+1, history is kept.
 * - Log leaves are numbered 0, 1, 2 ... with no gaps; `appendLogLeaf` returns the new leaf's index.
 * - Lists are returned in a deterministic order (documented per method).
 */

export type TokenScope = 'read' | 'push' | 'admin';
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'push', 'admin'];

export interface NamespaceRecord {
  name: string;
  public: boolean;
  createdAt: string;
  createdBy: string;
}

export interface TokenRecord {
  id: string;
  /** Hex SHA-256 of the secret token; the secret itself is never stored. */
  tokenHash: string;
  /** The namespace this token acts on; `null` = every namespace (the admin token). */
  namespace: string | null;
  scope: TokenScope;
  description: string;
  createdAt: string;
  createdBy: string;
  revoked: boolean;
  /** When and by whom it was revoked (absent for tokens revoked before these were recorded, and live ones). */
  revokedAt?: string | null;
  revokedBy?: string | null;
  /** When it stops working (ISO 8601); absent or null = never (tokens made before expiry existed, and the default). */
  expiresAt?: string | null;
}

export interface PolicyRecord {
  namespace: string;
  /** 1, 2, 3 ... per namespace. */
  version: number;
  /** The policy JSON document, canonical JSON text. */
  document: string;
  createdAt: string;
  createdBy: string;
}

export interface ModelRecord {
  namespace: string;
  name: string;
  createdAt: string;
}

export interface VersionRecord {
  namespace: string;
  model: string;
  version: string;
  /** OMS root digest (hex sha256 over the resources). */
  rootDigest: string;
  /** Digest (hex sha256) of the OMS signature bundle blob. */
  bundleDigest: string;
  /** The verified signer as JSON text (VerifiedSigner). */
  signer: string;
  /** Searchable signer facets. */
  signerIdentity: string | null;
  signerKeyFingerprint: string | null;
  signedAt: string | null;
  /** Scan verdict JSON text (highest severity, counts, per file findings summary). */
  scanVerdict: string;
  /** The full manifest as canonical JSON text. */
  manifest: string;
  publishedAt: string;
  publishedBy: string;
  yanked: boolean;
  yankedAt: string | null;
  yankReason: string | null;
}

export interface VersionFileRecord {
  namespace: string;
  model: string;
  version: string;
  /** OMS resource name (POSIX relative path). */
  path: string;
  digest: string;
  size: number;
}

/**
 * `scan-report` is a report the pusher named in its manifest; `registry-scan` is the registry's own scan report,
 * written at push, whose digest the publish log entry carries (`scan.reportDigest`).
 */
export type AttachmentKind = 'bundle' | 'mlbom' | 'scan-report' | 'attestation' | 'registry-scan';

export interface AttachmentRecord {
  namespace: string;
  model: string;
  version: string;
  kind: AttachmentKind;
  digest: string;
  mediaType: string;
  /** Attestations: their predicate type URI. */
  predicateType: string | null;
}

export interface BlobRecord {
  digest: string;
  size: number;
  createdAt: string;
}

/**
 * A namespace's claim on a blob: recorded when a push token of the namespace completed an upload of those bytes
 * (proof of possession: the registry hashed them). A manifest may name only blobs readable to the pushing
 * namespace (granted to it, referenced by one of its versions, or referenced by a public namespace's version).
 */
export interface BlobGrantRecord {
  namespace: string;
  digest: string;
  createdAt: string;
  /** Token id that completed the upload. */
  createdBy: string;
}

export interface UploadSessionRecord {
  id: string;
  namespace: string;
  /** Bytes received so far (the next append must start here). */
  offset: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  /** Last activity on the storage clock (epoch ms): session expiry counts from here. */
  touchedMs?: number;
}

/** One lineage edge of a version, indexed at push (from its ML-BOM or an attestation). */
export interface LineageEdgeRecord {
  namespace: string;
  model: string;
  version: string;
  /** Order of the edge among the version's edges (0, 1, 2 ...). */
  seq: number;
  relation: string;
  source: string;
  /** The target node (core LineageNode) as canonical JSON text. */
  target: string;
  /** The target's digest (lowercase hex, no prefix) when it has one: what descendant queries look up. */
  targetDigest: string | null;
}

export interface VersionKey {
  namespace: string;
  model: string;
  version: string;
}

export interface AuditEntry {
  id?: number;
  at: string;
  /** Token id, 'admin', or 'anonymous'. */
  actor: string;
  action: string;
  target: string;
  outcome: 'ok' | 'refused' | 'error';
  /** Remote address. */
  from: string;
  /** JSON text (error code, reasons...). */
  details: string;
}

export interface AuditQuery {
  limit: number;
  /** Entries whose target is the namespace or inside it (`ns/...`). */
  namespace?: string;
  /** Entries with an id below this one (the id of the last entry of the previous page). */
  before?: number;
  outcome?: AuditEntry['outcome'];
  actor?: string;
}

export interface CheckpointRecord {
  size: number;
  /** The signed checkpoint text (C2SP signed note). */
  text: string;
  createdAt: string;
}

/** The opening of a sealed log leaf (an entry of a private namespace), readable to that namespace's readers only. */
export interface LogOpeningRecord {
  index: number;
  namespace: string;
  /** 32 random bytes, hex. */
  salt: string;
  /** The real entry's canonical JSON (its commitment is the sealed leaf). */
  entry: string;
}

/** A witness cosignature line collected for the registry's checkpoint of `size`. */
export interface CosignatureRecord {
  size: number;
  /** The witness verifier key the line verified under. */
  witness: string;
  /** The signature line, without its newline. */
  line: string;
  createdAt: string;
}

export interface VersionQuery {
  namespace?: string;
  model?: string;
  /** Versions having a file with this digest. */
  fileDigest?: string;
  /** Versions whose OMS root digest is this. */
  rootDigest?: string;
  signerIdentity?: string;
  signerKeyFingerprint?: string;
  includeYanked?: boolean;
  /** Only versions of these namespaces (a list view: the namespaces the caller can read). */
  namespaces?: readonly string[];
  /** At most this many rows, in the listed order. */
  limit?: number;
  /**
   * Rows without their manifest (`manifest` is `{}`): for list views and lookups, which never need it, since one
   * version's manifest may be megabytes (a list would otherwise load and parse one per row).
   */
  summary?: boolean;
}

/** The version columns a summary row carries (every column but the manifest, which reads as `{}`). */
export const VERSION_SUMMARY_COLUMNS =
  "v.namespace, v.model, v.version, v.root_digest, v.bundle_digest, v.signer, v.signer_identity, v.signer_key_fingerprint, v.signed_at, v.scan_verdict, '{}' AS manifest, v.published_at, v.published_by, v.yanked, v.yanked_at, v.yank_reason";

/** What metadata one namespace holds (the metadata quotas, storage/limits.ts). */
export interface MetadataUsage {
  models: number;
  versions: number;
  /** Versions of the model asked about (0 when none was). */
  modelVersions: number;
  /** Bytes of the manifests of its versions and of its policy documents (UTF-8). */
  metadataBytes: number;
  policyVersions: number;
  /** Tokens of the namespace, revoked ones included (their rows stay). */
  tokens: number;
  /** Distinct blobs granted to it (uploaded by it). */
  blobs: number;
}

/** Every read and write; inside `transaction(fn)` all of them happen atomically. */
export interface MetadataOps {
  createNamespace(ns: NamespaceRecord): Promise<void>;
  getNamespace(name: string): Promise<NamespaceRecord | undefined>;
  /** Sorted by name. */
  listNamespaces(): Promise<NamespaceRecord[]>;
  setNamespacePublic(name: string, isPublic: boolean): Promise<void>;

  createToken(token: TokenRecord): Promise<void>;
  findTokenByHash(tokenHash: string): Promise<TokenRecord | undefined>;
  /** Sorted by createdAt then id. */
  listTokens(namespace?: string): Promise<TokenRecord[]>;
  /** Marks the token revoked (idempotent: the first revocation's time and actor are kept). */
  revokeToken(id: string, at?: string, by?: string): Promise<void>;

  /** Appends the next version of the namespace policy and returns it. */
  setPolicy(namespace: string, document: string, at: string, by: string): Promise<PolicyRecord>;
  currentPolicy(namespace: string): Promise<PolicyRecord | undefined>;
  /** Oldest first; `page`: only versions above `after`, at most `limit` of them. */
  policyHistory(namespace: string, page?: { after?: number; limit?: number }): Promise<PolicyRecord[]>;

  /** Creates the model if absent (idempotent). */
  ensureModel(model: ModelRecord): Promise<void>;
  /** Sorted by name. */
  listModels(namespace: string): Promise<ModelRecord[]>;

  /** Throws ModelsecError CONFLICT when (namespace, model, version) exists. */
  insertVersion(version: VersionRecord, files: VersionFileRecord[], attachments: AttachmentRecord[]): Promise<void>;
  getVersion(namespace: string, model: string, version: string): Promise<VersionRecord | undefined>;
  /** Sorted by namespace, model, publishedAt, version. */
  listVersions(query: VersionQuery): Promise<VersionRecord[]>;
  /** Sorted by path. */
  versionFiles(namespace: string, model: string, version: string): Promise<VersionFileRecord[]>;
  /** Sorted by kind, digest. */
  versionAttachments(namespace: string, model: string, version: string): Promise<AttachmentRecord[]>;
  /** Whether a version of `namespace` references `digest` (as a file or an attachment). */
  namespaceHasBlob(namespace: string, digest: string): Promise<boolean>;
  yankVersion(namespace: string, model: string, version: string, at: string, reason: string): Promise<void>;

  /** Records a blob (idempotent). */
  putBlobRecord(blob: BlobRecord): Promise<void>;
  /** Records that `namespace` uploaded the blob (idempotent: the first grant is kept). */
  grantBlob(grant: BlobGrantRecord): Promise<void>;
  /**
   * Which of `digests` are readable to `namespace`: granted to it, referenced (file or attachment) by one of its
   * versions, or referenced by a version of a public namespace. Sorted, without duplicates.
   */
  blobsReadableTo(namespace: string, digests: readonly string[]): Promise<string[]>;
  /** Whether the blob is granted to `namespace` or referenced by one of its versions (what a reader of it may GET). */
  namespaceOwnsBlob(namespace: string, digest: string): Promise<boolean>;
  getBlobRecord(digest: string): Promise<BlobRecord | undefined>;

  createUpload(session: UploadSessionRecord): Promise<void>;
  getUpload(id: string): Promise<UploadSessionRecord | undefined>;
  /** Compare-and-set: moves the offset only if it is still `expectedOffset`; returns whether it did. */
  advanceUpload(id: string, expectedOffset: number, newOffset: number, at: string): Promise<boolean>;
  deleteUpload(id: string): Promise<void>;
  /**
   * Takes the lock of upload `id` for `owner` until `untilMs` (epoch ms) when it is free, expired (at `nowMs`) or
   * held by `staleOwner`; otherwise returns the holder (`owner` undefined: no such session). Atomic across processes.
   */
  lockUpload(
    id: string,
    owner: string,
    nowMs: number,
    untilMs: number,
    staleOwner?: string,
  ): Promise<{ acquired: boolean; owner?: string }>;
  /** Extends the lock while `owner` still holds it; false when it does not. */
  renewUploadLock(id: string, owner: string, untilMs: number): Promise<boolean>;
  /** Releases the lock if `owner` holds it. */
  unlockUpload(id: string, owner: string): Promise<void>;

  /** Records a version's lineage edges (and that it is indexed, even with none). Idempotent per version. */
  insertLineage(version: VersionKey, edges: LineageEdgeRecord[]): Promise<void>;
  /** A version's lineage edges by seq; undefined when the version was never indexed. */
  lineageEdges(namespace: string, model: string, version: string): Promise<LineageEdgeRecord[] | undefined>;
  /** Versions with an edge to any of `digests`, sorted by namespace, model, version (distinct). */
  versionsDerivedFrom(digests: readonly string[]): Promise<VersionKey[]>;
  /**
   * Edges of versions in `namespaces` whose target's name contains `fragment` (ASCII case-insensitive; `%`, `_` and
   * `\\` in it match themselves), sorted by namespace, model, version, seq; at most `limit`.
   */
  lineageEdgesNamed(fragment: string, namespaces: readonly string[], limit: number): Promise<LineageEdgeRecord[]>;
  /** Versions without a lineage index (published before it existed), sorted, at most `limit`. */
  unindexedVersions(limit: number): Promise<VersionKey[]>;

  /** Serialises quota checks of one namespace across processes until the transaction ends (a no-op outside one). */
  lockNamespace(name: string): Promise<void>;
  /** Open sessions of `namespace` active since `activeSinceMs`, and their bytes (staged plus reserved by appends). */
  uploadUsage(namespace: string, activeSinceMs: number): Promise<{ sessions: number; bytes: number }>;
  /** The metadata `namespace` holds (with the versions of `model` when given). */
  metadataUsage(namespace: string, model?: string): Promise<MetadataUsage>;
  /** Sets the bytes an append in progress reserves on session `id`, and its last activity. */
  reserveUpload(id: string, bytes: number, touchedMs: number): Promise<void>;
  /** Sessions idle since before `idleBeforeMs` and not locked at `nowMs`, oldest first, at most `limit`. */
  expiredUploads(idleBeforeMs: number, nowMs: number, limit: number): Promise<UploadSessionRecord[]>;
  /** Records that `namespace` uploaded or used blob `digest` at `atMs` (keeps the latest). */
  claimBlob(namespace: string, digest: string, atMs: number): Promise<void>;
  /**
   * Bytes `namespace` stores: distinct blobs its versions reference, it claimed since `claimedSinceMs`, or listed in
   * `extraDigests` (a push about to reference them).
   */
  storedBytes(namespace: string, extraDigests: readonly string[], claimedSinceMs: number): Promise<number>;
  /** Holds `digests` against garbage collection until `untilMs` (a push in flight), under the name `pin`. */
  pinBlobs(pin: string, digests: readonly string[], untilMs: number): Promise<void>;
  unpinBlobs(pin: string): Promise<void>;
  /** Which of `digests` have no blob record; inside a transaction the found records are locked against deletion. */
  missingBlobRecords(digests: readonly string[]): Promise<string[]>;
  /** Drops claims older than `beforeMs`; returns how many. */
  dropStaleClaims(beforeMs: number): Promise<number>;
  /** Blobs no version references, without a claim since `claimedSinceMs` or a pin live at `nowMs`; at most `limit`. */
  collectibleBlobs(claimedSinceMs: number, nowMs: number, limit: number): Promise<BlobRecord[]>;
  /** Deletes the record of blob `digest` if it is still collectible (checked under a lock); returns whether it did. */
  deleteBlobIfCollectible(digest: string, claimedSinceMs: number, nowMs: number): Promise<boolean>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first (by id), at most `limit`; `before`: only entries with a smaller id (the paging cursor). */
  listAudit(options: AuditQuery): Promise<AuditEntry[]>;

  /** Appends one transparency-log leaf (the exact entry bytes); returns its index (0-based, no gaps). */
  appendLogLeaf(leaf: Uint8Array): Promise<number>;
  /** Leaves [start, end) in index order. */
  readLogLeaves(start: number, end: number): Promise<Uint8Array[]>;
  logSize(): Promise<number>;
  saveCheckpoint(checkpoint: CheckpointRecord): Promise<void>;
  latestCheckpoint(): Promise<CheckpointRecord | undefined>;
  /** Records the opening of a sealed leaf (in the transaction that appends the leaf). */
  putLogOpening(opening: LogOpeningRecord): Promise<void>;
  getLogOpening(index: number): Promise<LogOpeningRecord | undefined>;
  /** Openings with index in [from, to), of one namespace when given; sorted by index, at most `limit`. */
  listLogOpenings(query: { namespace?: string; from: number; to?: number; limit: number }): Promise<LogOpeningRecord[]>;
  /** Records (or replaces) a witness's cosignature of the checkpoint of `size`. */
  saveCosignature(cosignature: CosignatureRecord): Promise<void>;
  /** Cosignatures of the checkpoint of `size`, sorted by witness. */
  cosignaturesFor(size: number): Promise<CosignatureRecord[]>;
}

export interface MetadataStore extends MetadataOps {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Writers serialise. */
  transaction<T>(fn: (tx: MetadataOps) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
