/**
 * Upload session locks held in the metadata database, so they hold across every registry process on one store
 * (SQLite file or PostgreSQL database): a lease row (owner, expiry) on the session, renewed while the request
 * runs, released when it ends. An append and the completion of one session never overlap, in any process.
 */
import { randomBytes } from 'node:crypto';
import { ModelsecError } from '@modelsec/core/errors';
import type { Clock } from '@modelsec/core/util';
import type { MetadataStore } from '../store/metadata-store.js';
import { holderIsGone, PROCESS_ID } from './process-identity.js';

/**
 * How long a lock lasts without renewal. A holder renews it every third of this; a process that stopped (crash on
 * another host, a hung event loop) loses it after this long. Same-host crashed holders are freed at once.
 */
export const UPLOAD_LOCK_LEASE_MS = 30_000;

export interface UploadLease {
  /** True once a renewal failed: the holder must stop writing. */
  readonly lost: boolean;
}

export class UploadLocks {
  constructor(
    private readonly store: MetadataStore,
    private readonly clock: Clock,
    private readonly leaseMs = UPLOAD_LOCK_LEASE_MS,
  ) {}

  /** Runs `fn` holding the lock of upload `id`; REGISTRY_UPLOAD_LOCKED when another request holds it. */
  async hold<T>(id: string, fn: (lease: UploadLease) => Promise<T>): Promise<T> {
    const owner = `${PROCESS_ID}:${randomBytes(6).toString('hex')}`;
    const nowMs = () => this.clock.now().getTime();
    let result = await this.store.lockUpload(id, owner, nowMs(), nowMs() + this.leaseMs);
    if (!result.acquired && result.owner !== undefined && holderIsGone(result.owner))
      result = await this.store.lockUpload(id, owner, nowMs(), nowMs() + this.leaseMs, result.owner);
    if (!result.acquired) {
      if (result.owner === undefined) throw new ModelsecError('NOT_FOUND', 'no such upload session', { details: { upload: id } });
      throw new ModelsecError(
        'REGISTRY_UPLOAD_LOCKED',
        'another request (in this or another registry process) is appending to or finishing this upload; retry when it ends',
        { details: { upload: id, retryAfterSeconds: Math.ceil(this.leaseMs / 1000) } },
      );
    }
    const lease = { lost: false };
    const timer = setInterval(
      () => {
        this.store.renewUploadLock(id, owner, nowMs() + this.leaseMs).then(
          (renewed) => {
            if (!renewed) lease.lost = true;
          },
          () => {
            lease.lost = true;
          },
        );
      },
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    try {
      return await fn(lease);
    } finally {
      clearInterval(timer);
      await this.store.unlockUpload(id, owner).catch(() => undefined);
    }
  }
}
