/**
 * Content-addressed blob storage (key = lowercase hex sha256 of the bytes). A blob becomes visible only
 * complete and verified; a partial write is never readable under its digest.
 *
 * Designed so an S3-compatible implementation fits: `put` maps to a PUT with `If-None-Match: *` (conditional
 * create; an existing blob is the same bytes by construction), upload sessions map to S3 multipart uploads
 * (`appendUpload` = UploadPart, `completeUpload` = CompleteMultipartUpload into a staging key, then a
 * server-side copy to the digest key after verification), `abortUpload` = AbortMultipartUpload.
 */
import type { Readable } from 'node:stream';

/** Hex sha256, the only blob key form. */
export const BLOB_DIGEST_PATTERN = /^[0-9a-f]{64}$/;

export interface BlobStore {
  has(digest: string): Promise<boolean>;
  size(digest: string): Promise<number | undefined>;
  /** Streams `source` in; verifies it hashes to `digest` (DIGEST_MISMATCH otherwise, nothing kept). Idempotent. */
  put(digest: string, source: Readable | Uint8Array): Promise<{ size: number; created: boolean }>;
  /** A stream of the blob (NOT_FOUND when absent). `range` is inclusive-exclusive. */
  get(digest: string, range?: { start: number; end: number }): Promise<Readable>;
  /** A local file path for readers that need one (scanner, hashing), when the store has one. Call `verify` first. */
  localPath?(digest: string): string | undefined;
  /**
   * Makes sure the stored bytes still hash to `digest` before they are scanned or served: cheap when the blob is
   * untouched since it was sealed, a full re-hash when it could have changed. A blob that no longer matches is
   * quarantined (no longer stored) and REGISTRY_BLOB_CORRUPT is thrown; NOT_FOUND when absent.
   */
  verify?(digest: string): Promise<void>;

  /** Starts a staging area for a resumable upload. */
  beginUpload(id: string): Promise<void>;
  /** Bytes staged so far (what survived a crash: only fsynced, complete appends count). */
  uploadedBytes(id: string): Promise<number>;
  /**
   * Appends bytes at `offset`, which must equal the staged length; returns the new length. Stops (all or nothing)
   * once `lease.lost` is set: the caller no longer holds the session's lock.
   */
  appendUpload(id: string, offset: number, source: Readable | Uint8Array, lease?: { readonly lost: boolean }): Promise<number>;
  /**
   * Copies the staged bytes into a private file, verifies that copy hashes to `digest` and moves it to the blob
   * (never the staging file itself: a writer holding it can never reach a blob); the staging area is removed.
   */
  completeUpload(id: string, digest: string): Promise<{ size: number; created: boolean }>;
  abortUpload(id: string): Promise<void>;
  /** Releases what the store holds in memory (threads, handles); stored data is unaffected. */
  close?(): Promise<void>;
}
