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

  /** Creates an upload session within the namespace's session count. */
  async startSession(session: UploadSessionRecord): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.lockNamespace(session.namespace);
      const usage = await tx.uploadUsage(session.namespace, this.activeSince());
      if (usage.sessions >= this.limits.maxUploadSessions)
        throw exceeded(session.namespace, 'upload sessions', this.limits.maxUploadSessions, usage.sessions, 1);
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
  async reservePut(namespace: string, length: number, by: string): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await this.store.transaction(async (tx) => {
      await tx.lockNamespace(namespace);
      const usage = await tx.uploadUsage(namespace, this.activeSince());
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
  async admitPush(tx: MetadataOps, namespace: string, digests: readonly string[]): Promise<void> {
    await tx.lockNamespace(namespace);
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

  /** Holds a push's blobs against collection until it ends (or PUSH_PIN_MS); returns the pin to release. */
  async pinPush(digests: readonly string[]): Promise<string> {
    const pin = randomBytes(12).toString('hex');
    await this.store.pinBlobs(pin, digests, this.nowMs() + PUSH_PIN_MS);
    return pin;
  }

  /** Records that `namespace` uploaded or used a blob now (it counts to its stored bytes for the grace period). */
  async claim(namespace: string, digest: string): Promise<void> {
    await this.store.claimBlob(namespace, digest, this.nowMs());
  }
}
