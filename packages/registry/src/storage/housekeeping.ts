/**
 * Storage housekeeping, run by every registry process on an interval (and on demand): expired upload sessions are
 * removed, claims older than the grace period dropped, unreferenced blobs collected, blob files without a record
 * adopted (so they go through the same locked path), and stale temp files swept.
 *
 * Collecting a blob is safe against a push in flight: a push pins every digest it names before verifying and
 * checks (with the records locked) that every record still exists when it commits; the collector takes the file out
 * of the store first, deletes the record only if it is still unreferenced, unclaimed and unpinned (checked under the
 * record's lock), and puts the file back otherwise. So no version ever commits naming a collected blob.
 */
import { isModelsecError } from '@modelsec/core/errors';
import type { Clock } from '@modelsec/core/util';
import type { FsBlobStore } from '../store/fs-blob-store.js';
import type { MetadataStore } from '../store/metadata-store.js';
import type { StorageLimits } from './limits.js';
import type { UploadLocks } from './upload-locks.js';

/** Rows handled per query of a sweep (a sweep loops until none is left). */
export const HOUSEKEEPING_BATCH = 500;

export interface SweepReport {
  expiredUploads: number;
  staleClaims: number;
  adoptedBlobs: number;
  collectedBlobs: number;
  collectedBytes: number;
  tempEntries: number;
}

export class StorageHousekeeping {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepReport> | undefined;

  constructor(
    private readonly deps: {
      store: MetadataStore;
      blobs: FsBlobStore;
      locks: UploadLocks;
      limits: StorageLimits;
      clock: Clock;
      onError?: (error: unknown) => void;
    },
  ) {}

  /** Sweeps every `gcIntervalMs` (none when 0). */
  start(): void {
    const interval = this.deps.limits.gcIntervalMs;
    if (interval <= 0) return;
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.deps.onError?.(error));
    }, interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One sweep (concurrent calls share the running one). */
  sweep(): Promise<SweepReport> {
    this.running ??= this.sweepOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Removes an idle session now (under its lock); false when a request holds it. */
  async expireSession(id: string): Promise<boolean> {
    try {
      await this.deps.locks.hold(id, async () => {
        await this.deps.blobs.abortUpload(id);
        await this.deps.store.deleteUpload(id);
      });
      return true;
    } catch (error) {
      if (isModelsecError(error) && (error.code === 'REGISTRY_UPLOAD_LOCKED' || error.code === 'NOT_FOUND')) return false;
      throw error;
    }
  }

  private async sweepOnce(): Promise<SweepReport> {
    const { store, blobs, limits } = this.deps;
    const now = this.deps.clock.now().getTime();
    const report: SweepReport = {
      expiredUploads: 0,
      staleClaims: 0,
      adoptedBlobs: 0,
      collectedBlobs: 0,
      collectedBytes: 0,
      tempEntries: 0,
    };
    const idleBefore = now - limits.uploadSessionExpiryMs;
    const seen = new Set<string>();
    for (;;) {
      const batch = (await store.expiredUploads(idleBefore, now, HOUSEKEEPING_BATCH)).filter((u) => !seen.has(u.id));
      if (batch.length === 0) break;
      for (const u of batch) {
        seen.add(u.id);
        if (await this.expireSession(u.id)) report.expiredUploads++;
      }
    }

    const cutoff = now - limits.gcGraceMs;
    report.staleClaims = await store.dropStaleClaims(cutoff);

    // Blob files without a record (a crash between the file and its record): recorded, then collected like any other.
    const adopt = async (digests: string[]): Promise<void> => {
      for (const digest of await store.missingBlobRecords(digests)) {
        const size = await blobs.size(digest);
        if (size === undefined) continue;
        await store.putBlobRecord({ digest, size, createdAt: new Date(now).toISOString() });
        report.adoptedBlobs++;
      }
    };
    let listed: string[] = [];
    for await (const digest of blobs.list()) {
      listed.push(digest);
      if (listed.length < HOUSEKEEPING_BATCH) continue;
      await adopt(listed);
      listed = [];
    }
    await adopt(listed);

    const skipped = new Set<string>();
    for (;;) {
      const batch = (await store.collectibleBlobs(cutoff, now, HOUSEKEEPING_BATCH)).filter((b) => !skipped.has(b.digest));
      if (batch.length === 0) break;
      for (const blob of batch) {
        skipped.add(blob.digest);
        // Written (or re-written) within the grace period: not yet.
        const modified = await blobs.modifiedAtMs(blob.digest);
        if (modified !== undefined && modified > cutoff) continue;
        const trashed = modified === undefined ? undefined : await blobs.trash(blob.digest);
        let deleted = false;
        try {
          deleted = await store.deleteBlobIfCollectible(blob.digest, cutoff, now);
        } finally {
          if (trashed) await (deleted ? blobs.dropTrashed(blob.digest, trashed) : blobs.restore(blob.digest, trashed));
        }
        if (deleted) {
          report.collectedBlobs++;
          report.collectedBytes += blob.size;
        }
      }
    }
    report.tempEntries = await blobs.sweepTemp(now);
    return report;
  }
}
