import { resolve } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { attestationPathFor, attestModel, type SignedModel, signedFileSet } from '@modelsec/core/signing';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { AttestCommandFlags } from './attest.js';
import { readInput, writeAtomically } from './files.js';
import { bundleText, hashOptionsFrom, signaturePathFor, signerFrom } from './signing-kit.js';

/** The action of `modelsec attest METHOD MODEL_PATH`: sign the predicate about the signed file set, write it. */
export async function runAttest(
  env: CliEnv,
  out: Output,
  method: 'key' | 'certificate' | 'sigstore',
  model: string,
  flags: AttestCommandFlags,
): Promise<undefined> {
  let predicate: unknown;
  try {
    predicate = JSON.parse(await readInput(env, flags.predicate, '--predicate'));
  } catch (error) {
    if (error instanceof ModelsecError) throw error;
    throw new ModelsecError('INVALID_JSON', `--predicate ${flags.predicate} is not JSON`, {
      details: { path: flags.predicate },
    });
  }
  if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) {
    throw new ModelsecError('USAGE', `--predicate ${flags.predicate} must hold a JSON object`);
  }
  const signer = await signerFrom(env, method, flags);
  // The subject is the signed file set: what model.sig signs, once the files on disk are checked to be exactly it.
  const hashing = hashOptionsFrom(env, out, model, flags);
  let digest: SignedModel;
  try {
    digest = await signedFileSet(resolve(env.cwd, model), signaturePathFor(env, model, flags), {
      ...(hashing.options.onProgress ? { onProgress: hashing.options.onProgress } : {}),
    });
  } finally {
    hashing.done();
  }
  const result = await attestModel(digest, flags.predicateType, predicate as Record<string, unknown>, signer);
  const path = flags.output
    ? resolve(env.cwd, flags.output)
    : attestationPathFor(signaturePathFor(env, model, flags), flags.predicateType);
  await writeAtomically(path, bundleText(result.bundle));
  out.result(
    { attestation: path, predicateType: flags.predicateType, rootDigest: digest.rootDigest, method },
    () => `attested ${flags.predicateType} about sha256:${digest.rootDigest} → ${path}`,
  );
  return undefined;
}
