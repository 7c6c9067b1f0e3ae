/**
 * `--attest key|certificate|sigstore` for `scan` and `bom`: sign what the command produced as an in-toto attestation
 * about the model's signed file set (its one subject is the OMS manifest digest of `model.sig`), written beside the
 * signature (`model.scan.att.sig`, `model.bom.att.sig`). The flags are declared here; attestation-writer.ts signs.
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { Command } from 'commander';
import { collect, Option } from '../command-kit.js';
import type { SignerFlags } from './signer-flags.js';

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
