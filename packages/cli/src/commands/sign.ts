import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import type { Output } from '../output.js';
import { addHashFlags, type HashFlags } from './hash-flags.js';
import { addSignerFlags, type SignerFlags } from './signer-flags.js';

export interface ReuseFlags {
  reuseFrom?: string;
  reuseCertificateRoot?: string[];
  reuseIdentity?: string;
  reuseIssuer?: string;
  trustedRoot?: string;
}

export type SignFlags = HashFlags & SignerFlags & ReuseFlags;

const METHODS = ['key', 'certificate', 'sigstore'] as const;

/** `modelsec sign key|certificate|sigstore MODEL_PATH`: OpenSSF Model Signing signatures. */
export function register(program: Command, env: CliEnv): void {
  const sign = program
    .command('sign')
    .description('Sign a model (OpenSSF Model Signing): key, certificate or sigstore')
    .addHelpText(
      'after',
      '\nExamples:\n  modelsec keygen --out signer\n  modelsec sign key ./my-model --private-key signer.key\n' +
        '  modelsec sign certificate ./my-model --private-key leaf.key --signing-certificate leaf.pem --certificate-chain int.pem\n' +
        '  SIGSTORE_ID_TOKEN=... modelsec sign sigstore ./my-model\n',
    );
  for (const method of METHODS) {
    const sub = sign
      .command(`${method} <MODEL_PATH>`)
      .description(
        method === 'key'
          ? 'sign with an ECDSA private key'
          : method === 'certificate'
            ? 'sign with a private key and its X.509 code-signing certificate chain'
            : 'keyless: Fulcio certificate for your OIDC identity, logged in Rekor',
      );
    addHashFlags(sub, { serialization: true, signature: true });
    addSignerFlags(sub, method);
    sub.option(
      '--reuse-from <OLD.sig>',
      'incremental: reuse the digests of OLD.sig (e.g. the current model.sig) for files unchanged since it was written, once it verifies ' +
        (method === 'key'
          ? 'against this key'
          : method === 'certificate'
            ? 'against --reuse-certificate-root'
            : 'against --reuse-identity/--reuse-issuer'),
    );
    if (method === 'certificate')
      sub.option('--reuse-certificate-root <PEM>', 'with --reuse-from: the root OLD.sig must chain to; repeatable', collect);
    if (method === 'sigstore')
      sub
        .option('--reuse-identity <ID>', 'with --reuse-from: the exact identity OLD.sig must be signed by')
        .option('--reuse-issuer <URL>', 'with --reuse-from: its exact OIDC issuer')
        .option('--trusted-root <FILE>', 'with --reuse-from: Sigstore trusted_root.json to verify OLD.sig offline');
    sub.action(
      action(env, async (out: Output, model: string, flags: SignFlags) =>
        (await import('./sign-action.js')).runSign(env, out, method, model, flags),
      ),
    );
  }
}
