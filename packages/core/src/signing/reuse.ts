/**
 * Incremental re-hashing: `sign --reuse-from OLD.sig` and `verify --changed-since OLD.sig`.
 *
 * What it trusts, exactly: OLD.sig is verified first (signature, signer) with the verifier the caller gives; a digest
 * it lists is then reused for a file whose modification time AND status-change time are both earlier than OLD.sig's
 * modification time (for shards: whose shard list, i.e. its size, is also unchanged). So it trusts that
 *   - a file whose bytes changed after OLD.sig was written has a later mtime or ctime (any write updates both; ctime
 *     cannot be set back by a user, only by changing the system clock), and
 *   - no file changed between the moment it was hashed for OLD.sig and the moment OLD.sig was written.
 * A file it cannot vouch for (newer, a new file, another size, another method or shard size) is read and hashed.
 * The signature written is the same statement a full re-sign produces: only which bytes are read differs.
 */
import { readFile, stat } from 'node:fs/promises';
import { ModelsecError } from '../errors/index.js';
import type { ReuseDigests } from '../hashing/model-hash.js';
import { type BundleVerifier, type VerifiedModelBundle, verifyModelBundle } from './verify.js';

/** Verifies OLD.sig with `verifier` and returns what hashing may reuse (throws when OLD.sig does not verify). */
export async function reuseFrom(
  oldSignaturePath: string,
  verifier: BundleVerifier,
): Promise<ReuseDigests & { verified: VerifiedModelBundle }> {
  let bytes: Buffer;
  let mtimeMs: number;
  try {
    [bytes, mtimeMs] = await Promise.all([readFile(oldSignaturePath), stat(oldSignaturePath).then((s) => s.mtimeMs)]);
  } catch (cause) {
    throw new ModelsecError('FILE_NOT_FOUND', `cannot read the earlier signature ${oldSignaturePath}`, {
      cause,
      details: { path: oldSignaturePath },
    });
  }
  let verified: VerifiedModelBundle;
  try {
    verified = await verifyModelBundle(bytes, verifier);
  } catch (error) {
    if (error instanceof ModelsecError)
      throw new ModelsecError(
        error.code,
        `${oldSignaturePath} does not verify, so none of its digests is reused: ${error.message}`,
        { cause: error, details: { ...error.details, path: oldSignaturePath } },
      );
    throw error;
  }
  return {
    method: verified.method,
    ...(verified.shardSize !== undefined ? { shardSize: verified.shardSize } : {}),
    resources: verified.resources,
    unchangedBeforeMs: mtimeMs,
    verified,
  };
}
