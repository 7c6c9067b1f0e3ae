/** The signing half of `--attest` (scan, bom): read the signed file set, sign the predicate, write it beside model.sig. */
import { resolve } from 'node:path';
import { attestModel, type SignedModel, signedFileSet } from '@modelsec/core/signing';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { AttestFlags } from './attest-flags.js';
import { writeAtomically } from './files.js';
import { bundleText, signaturePathFor, signerFrom } from './signing-kit.js';

/** The signature an attestation of `model` is bound to. */
export function attestSignaturePath(env: CliEnv, model: string, flags: AttestFlags): string {
  return signaturePathFor(env, model, flags);
}

/** Reads the signed file set of the model (checking the files are exactly it), with a progress bar. */
export async function signedSetFor(env: CliEnv, out: Output, model: string, flags: AttestFlags): Promise<SignedModel> {
  const progress = out.progress('hashing');
  try {
    return await signedFileSet(resolve(env.cwd, model), attestSignaturePath(env, model, flags), {
      onProgress: (done, total) => {
        progress.setTotal(total);
        progress.update(done);
      },
    });
  } finally {
    progress.finish();
  }
}

/** Signs `predicate` about `signed` and writes the attestation; returns where. */
export async function writeAttestation(
  env: CliEnv,
  model: string,
  flags: AttestFlags,
  signed: SignedModel,
  predicateType: string,
  predicate: Record<string, unknown>,
  fileSlug: string,
): Promise<string> {
  const signer = await signerFrom(env, flags.attest as 'key' | 'certificate' | 'sigstore', flags);
  const { bundle } = await attestModel(signed, predicateType, predicate, signer);
  const signature = attestSignaturePath(env, model, flags);
  const path = flags.attestationOutput
    ? resolve(env.cwd, flags.attestationOutput)
    : signature.replace(/\.sig$/, '') + `.${fileSlug}.att.sig`;
  await writeAtomically(path, bundleText(bundle));
  return path;
}
