/**
 * `--attest key|certificate|sigstore` for `scan` and `bom`: sign what the command produced as an in-toto attestation
 * about the model's signed file set (its one subject is the OMS manifest digest of `model.sig`), written beside the
 * signature (`model.scan.att.sig`, `model.bom.att.sig`).
 */
import { resolve } from 'node:path';
import type { SignedModel } from '@modelsec/core';
import { ModelsecError } from '@modelsec/core/scan';
import type { Command } from 'commander';
import { type CliEnv, collect, Option } from '../command-kit.js';
import type { Output } from '../output.js';
import { type SignerFlags, signaturePathFor } from './sign.js';

export interface AttestFlags extends SignerFlags {
  attest?: 'key' | 'certificate' | 'sigstore';
  signature?: string;
  attestationOutput?: string;
}

/** Adds `--attest METHOD`, `--signature`, `--attestation-output` and every signing method's flags (all optional here). */
export function addAttestOptions(command: Command, what: string): Command {
  return command
    .addOption(
      new Option('--attest <method>', `sign ${what} as an attestation about the signed model (needs MODEL/model.sig)`).choices([
        'key',
        'certificate',
        'sigstore',
      ]),
    )
    .option('--signature <file>', 'with --attest: the model signature the attestation is bound to (default MODEL/model.sig)')
    .option('--attestation-output <file>', 'with --attest: where to write it (default: beside the signature)')
    .option('--private-key <pem>', 'with --attest key|certificate: the PKCS#8 PEM private key')
    .option('--password <password>', 'with --attest: password of an encrypted private key (or env MODELSEC_KEY_PASSWORD)')
    .option('--signing-certificate <pem>', 'with --attest certificate: the code-signing leaf certificate')
    .option('--certificate-chain <pem>', 'with --attest certificate: intermediate certificates; repeatable', collect)
    .option('--identity-token <token>', 'with --attest sigstore: OIDC identity token (else SIGSTORE_ID_TOKEN)')
    .option('--use-staging', 'with --attest sigstore: the Sigstore staging instance')
    .option('--trust-config <file>', 'with --attest sigstore: ClientTrustConfig JSON naming a private Fulcio/Rekor/TSA')
    .option('--fulcio-url <url>', 'with --attest sigstore: Fulcio URL')
    .option('--rekor-url <url>', 'with --attest sigstore: Rekor URL')
    .option('--tsa-url <url>', 'with --attest sigstore: RFC 3161 timestamp authority URL');
}

/** Refuses signing flags without --attest, and --attest without the key it needs, before any work is done. */
export function checkAttestFlags(flags: AttestFlags, paths: readonly string[]): void {
  const signingFlags = (['privateKey', 'signingCertificate', 'identityToken', 'attestationOutput'] as const).filter(
    (k) => flags[k] !== undefined,
  );
  if (!flags.attest) {
    if (signingFlags.length)
      throw new ModelsecError('USAGE', `--${signingFlags[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --attest`);
    return;
  }
  if (paths.length !== 1) throw new ModelsecError('USAGE', '--attest takes exactly one model directory');
  if ((flags.attest === 'key' || flags.attest === 'certificate') && !flags.privateKey)
    throw new ModelsecError('USAGE', `--attest ${flags.attest} needs --private-key`);
  if (flags.attest === 'certificate' && !flags.signingCertificate)
    throw new ModelsecError('USAGE', '--attest certificate needs --signing-certificate');
}

/** The signature an attestation of `model` is bound to. */
export function attestSignaturePath(env: CliEnv, model: string, flags: AttestFlags): string {
  return signaturePathFor(env, model, flags);
}

/** Reads the signed file set of the model (checking the files are exactly it), with a progress bar. */
export async function signedSetFor(env: CliEnv, out: Output, model: string, flags: AttestFlags): Promise<SignedModel> {
  const { signedFileSet } = await import('@modelsec/core');
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
  const { attestModel } = await import('@modelsec/core');
  const { signerFrom, bundleText, writeAtomically } = await import('./sign.js');
  const signer = await signerFrom(env, flags.attest as 'key' | 'certificate' | 'sigstore', flags);
  const { bundle } = await attestModel(signed, predicateType, predicate, signer);
  const signature = attestSignaturePath(env, model, flags);
  const path = flags.attestationOutput
    ? resolve(env.cwd, flags.attestationOutput)
    : signature.replace(/\.sig$/, '') + `.${fileSlug}.att.sig`;
  await writeAtomically(path, bundleText(bundle));
  return path;
}
