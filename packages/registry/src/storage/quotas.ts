/**
 * Per-namespace storage quotas, checked in a transaction that holds the namespace's lock (PostgreSQL row lock;
 * SQLite transactions exclude every other writer), so concurrent requests in several processes cannot overshoot.
 */
import { randomBytes } from 'node:crypto';
import { ModelsecError } from '@modelsec/core/errors';
import type { Clock } from '@modelsec/core/util';
import type { MetadataOps, MetadataStore, UploadSessionRecord } from '../store/metadata-store.js';
import { PUSH_PIN_MS, type StorageLimits } from './limits.js';

function exceeded(namespace: string, quota: string, limit: number, used: number, requested: number): ModelsecError {
  return new ModelsecError(
    'REGISTRY_QUOTA_EXCEEDED',
    `namespace '${namespace}' would exceed its ${quota} quota (${limit}): ${used} used, ${requested} more requested`,
    { details: { namespace, quota, limit, used, requested } },
  );
}

export class StorageQuotas {
  constructor(
    private readonly store: MetadataStore,
    private readonly limits: StorageLimits,
    private readonly clock: Clock,
  ) {}

  private nowMs(): number {
    return this.clock.now().getTime();
  }
  private activeSince(): number {
    return this.nowMs() - this.limits.uploadSessionExpiryMs;
  }
  private claimedSince(): number {
    return this.nowMs() - this.limits.gcGraceMs;
  }

  /** Whether a session has been idle past the expiry. */
  expired(session: UploadSessionRecord): boolean {
    return (session.touchedMs ?? 0) < this.activeSince();
  }

  /**
   * Each upload in flight (a session or a single-request upload's reservation) may add a blob grant: with the grants
   * held they must stay within the namespace's blob count.
   */
  private async checkBlobCount(tx: MetadataOps, namespace: string, inFlight: number): Promise<void> {
    const { blobs } = await tx.metadataUsage(namespace);
    if (blobs + inFlight + 1 > this.limits.maxBlobs)
      throw exceeded(namespace, 'blobs', this.limits.maxBlobs, blobs + inFlight, 1);
  }

  /** Creates an upload session within the namespace's session count. */
  async startSession(session: UploadSessionRecord): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.lockNamespace(session.namespace);
      const usage = await tx.uploadUsage(session.namespace, this.activeSince());
      if (usage.sessions >= this.limits.maxUploadSessions)
        throw exceeded(session.namespace, 'upload sessions', this.limits.maxUploadSessions, usage.sessions, 1);
      await this.checkBlobCount(tx, session.namespace, usage.sessions);
      await tx.createUpload({ ...session, touchedMs: this.nowMs() });
    });
  }

  private async checkBytes(tx: MetadataOps, namespace: string, inFlight: number, length: number): Promise<void> {
    if (inFlight + length > this.limits.maxBytesInFlight)
      throw exceeded(namespace, 'bytes in flight', this.limits.maxBytesInFlight, inFlight, length);
    const stored = await tx.storedBytes(namespace, [], this.claimedSince());
    if (stored + inFlight + length > this.limits.maxStoredBytes)
      throw exceeded(namespace, 'stored bytes', this.limits.maxStoredBytes, stored + inFlight, length);
  }

  /** Reserves `length` bytes for an append to session `id` (held by the caller's upload lock). */
  async reserveAppend(namespace: string, id: string, length: number): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.lockNamespace(namespace);
      await tx.reserveUpload(id, 0, this.nowMs()); // a reservation left by a crashed append no longer counts
      const usage = await tx.uploadUsage(namespace, this.activeSince());
      await this.checkBytes(tx, namespace, usage.bytes, length);
      await tx.reserveUpload(id, length, this.nowMs());
    });
  }

  /** Ends an append's reservation (its bytes are staged now, or were cut back). */
  async releaseAppend(id: string): Promise<void> {
    await this.store.reserveUpload(id, 0, this.nowMs());
  }

  /**
   * A single-request upload of `length` bytes (at most MAX_SINGLE_PUT_BYTES, not staged in a session): it counts to
   * the stored bytes once written, so it must fit beside what the namespace stores and has in flight, and it holds
   * its bytes from this check until `releasePut` (a reservation row, as an append holds its bytes on its session):
   * concurrent uploads each see the others, so together they cannot overshoot. Returns the reservation to release
   * once the blob is claimed (or failed); a crashed process's reservation expires as an idle session.
   */
  async reservePut(namespace: string, length: number, by: string, held = false): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await this.store.transaction(async (tx) => {
      await tx.lockNamespace(namespace);
      const usage = await tx.uploadUsage(namespace, this.activeSince());
      // Bytes the namespace holds already add no grant row.
      if (!held) await this.checkBlobCount(tx, namespace, usage.sessions);
      const stored = await tx.storedBytes(namespace, [], this.claimedSince());
      if (stored + usage.bytes + length > this.limits.maxStoredBytes)
        throw exceeded(namespace, 'stored bytes', this.limits.maxStoredBytes, stored + usage.bytes, length);
      const at = new Date(this.nowMs()).toISOString();
      await tx.createUpload({ id, namespace, offset: 0, createdAt: at, updatedAt: at, createdBy: by, touchedMs: this.nowMs() });
      await tx.reserveUpload(id, length, this.nowMs());
    });
    return id;
  }

  /** Ends a single-request upload's reservation (its blob is claimed now, or it failed). */
  async releasePut(reservation: string): Promise<void> {
    await this.store.deleteUpload(reservation);
  }

  /**
   * Inside the push's transaction: every blob the version names still has its record (locked against collection
   * until the commit: REGISTRY_BLOB_MISSING otherwise), and the namespace's stored bytes stay within the quota.
   */
  async admitPush(
    tx: MetadataOps,
    namespace: string,
    digests: readonly string[],
    version: { model: string; manifestBytes: number; lineageEdges: number },
  ): Promise<void> {
    await tx.lockNamespace(namespace);
    if (version.lineageEdges > this.limits.maxLineageEdges)
      throw exceeded(namespace, 'lineage edges per version', this.limits.maxLineageEdges, 0, version.lineageEdges);
    const usage = await tx.metadataUsage(namespace, version.model);
    if (usage.modelVersions === 0 && usage.models + 1 > this.limits.maxModels)
      throw exceeded(namespace, 'models', this.limits.maxModels, usage.models, 1);
    if (usage.modelVersions + 1 > this.limits.maxVersionsPerModel)
      throw exceeded(namespace, `versions of model '${version.model}'`, this.limits.maxVersionsPerModel, usage.modelVersions, 1);
    if (usage.versions + 1 > this.limits.maxVersions)
      throw exceeded(namespace, 'versions', this.limits.maxVersions, usage.versions, 1);
    if (usage.metadataBytes + version.manifestBytes > this.limits.maxMetadataBytes)
      throw exceeded(namespace, 'metadata bytes', this.limits.maxMetadataBytes, usage.metadataBytes, version.manifestBytes);
    const missing = await tx.missingBlobRecords(digests);
    if (missing.length > 0)
      throw new ModelsecError('REGISTRY_BLOB_MISSING', `blob ${missing[0]} is no longer stored (collected): upload it again`, {
        details: { missing },
      });
    const before = await tx.storedBytes(namespace, [], this.claimedSince());
    const after = await tx.storedBytes(namespace, digests, this.claimedSince());
    if (after > this.limits.maxStoredBytes)
      throw exceeded(namespace, 'stored bytes', this.limits.maxStoredBytes, before, after - before);
  }

  /** Inside the policy write's transaction: the namespace keeps its policy history and metadata bytes in bounds. */
  async admitPolicy(tx: MetadataOps, namespace: string, documentBytes: number): Promise<void> {
    await tx.lockNamespace(namespace);
    const usage = await tx.metadataUsage(namespace);
    if (usage.policyVersions + 1 > this.limits.maxPolicyVersions)
      throw exceeded(namespace, 'policy versions', this.limits.maxPolicyVersions, usage.policyVersions, 1);
    if (usage.metadataBytes + documentBytes > this.limits.maxMetadataBytes)
      throw exceeded(namespace, 'metadata bytes', this.limits.maxMetadataBytes, usage.metadataBytes, documentBytes);
  }

  /** Inside the token write's transaction: the namespace's token rows stay in bounds. */
  async admitToken(tx: MetadataOps, namespace: string): Promise<void> {
    await tx.lockNamespace(namespace);
    const usage = await tx.metadataUsage(namespace);
    if (usage.tokens + 1 > this.limits.maxTokens) throw exceeded(namespace, 'tokens', this.limits.maxTokens, usage.tokens, 1);
  }

  /** Holds a push's blobs against collection until it ends (or PUSH_PIN_MS); returns the pin to release. */
  async pinPush(digests: readonly string[]): Promise<string> {
    const pin = randomBytes(12).toString('hex');
    await this.store.pinBlobs(pin, digests, this.nowMs() + PUSH_PIN_MS);
    return pin;
  }

  /**
   * Holds the digest an upload is about to store against collection until it is claimed (release the pin after the
   * claim). Without it a sweep could take the stored copy an upload had just found and kept as its own (dedupe):
   * the upload answered success and its record came back with no bytes behind it.
   */
  async pinUpload(digest: string): Promise<string> {
    return this.pinPush([digest]);
  }

  async unpin(pin: string): Promise<void> {
    await this.store.unpinBlobs(pin);
  }

  /** Records that `namespace` uploaded or used a blob now (it counts to its stored bytes for the grace period). */
  async claim(namespace: string, digest: string): Promise<void> {
    await this.store.claimBlob(namespace, digest, this.nowMs());
  }
}
