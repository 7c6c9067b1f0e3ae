import { readFile } from 'node:fs/promises';
import { ModelsecError } from '../errors/index.js';
import { hashModelDirectory } from '../hashing/model-hash.js';
import { readUnverifiedModelStatement, type SignedModel } from './statement.js';
import { compareResources, modelMismatchError } from './verify.js';

/**
 * The signed file set an attestation is about: what `model.sig` signs, after checking that the files on disk are
 * exactly those (hashed the way the signature says). The signature is read, not verified: the attester binds its
 * statement to the signature it has; every verifier verifies that signature before it looks at the attestation.
 * Throws FILE_NOT_FOUND without a signature (sign first), and the model mismatch error when the files differ.
 */
export async function signedFileSet(
  modelPath: string,
  signaturePath: string,
  options: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<SignedModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(signaturePath);
  } catch (cause) {
    throw new ModelsecError(
      'FILE_NOT_FOUND',
      `no signature at ${signaturePath}: sign the model first (an attestation is about the signed file set)`,
      { cause, details: { path: signaturePath } },
    );
  }
  const signed = readUnverifiedModelStatement(bytes);
  const actual = await hashModelDirectory(modelPath, {
    method: signed.method,
    ...(signed.shardSize !== undefined ? { shardSize: signed.shardSize } : {}),
    ignorePaths: signed.ignorePaths,
    ignoreGitPaths: false,
    allowSymlinks: signed.allowSymlinks,
    signaturePath,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const mismatches = compareResources(signed.resources, actual.resources, { shards: signed.method === 'shards' });
  if (mismatches.length > 0) throw modelMismatchError(mismatches);
  return signed;
}
