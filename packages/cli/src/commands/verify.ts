import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import type { Output } from '../output.js';
import { addHashFlags, type HashFlags } from './hash-flags.js';

export interface VerifierFlags {
  publicKey?: string;
  certificateChain?: string[];
  identity?: string;
  identityRegexp?: string;
  identityProvider?: string;
  trustedRoot?: string;
  trustConfig?: string;
  useStaging?: boolean;
}

export type VerifyFlags = HashFlags &
  VerifierFlags & { ignoreUnsignedFiles?: boolean; attestation?: string[]; changedSince?: string };

/** Adds the flags of one verification method. */
export function addVerifierFlags(command: Command, method: 'key' | 'certificate' | 'sigstore'): Command {
  if (method === 'key') command.requiredOption('--public-key <PEM>', 'the signer public key (SPKI PEM)');
  if (method === 'certificate') {
    command.requiredOption('--certificate-chain <PEM>', 'root certificate(s) to trust; repeatable', collect);
  }
  if (method === 'sigstore') {
    command
      .option('--identity <ID>', 'the exact signer identity (e-mail or URI in the certificate)')
      .option('--identity-regexp <RE>', 'a pattern the WHOLE identity must match (anchored), instead of --identity')
      .requiredOption('--identity-provider <ISSUER>', 'the exact OIDC issuer, e.g. https://accounts.google.com')
      .option('--trusted-root <FILE>', 'Sigstore trusted_root.json: verify offline against it')
      .option('--trust-config <FILE>', 'Sigstore ClientTrustConfig JSON whose trustedRoot to use')
      .option('--use-staging', 'trust the Sigstore staging instance');
  }
  return command;
}

const METHODS = ['key', 'certificate', 'sigstore'] as const;

/** `modelsec verify key|certificate|sigstore MODEL_PATH`: exit 0 valid, 1 invalid (with the reason), 2 usage. */
export function register(program: Command, env: CliEnv): void {
  const verify = program
    .command('verify')
    .description('Verify a model signature: key, certificate or sigstore')
    .addHelpText(
      'after',
      '\nExamples:\n  modelsec verify key ./my-model --public-key signer.pub\n' +
        '  modelsec verify certificate ./my-model --certificate-chain ca.pem\n' +
        '  modelsec verify sigstore ./my-model --identity me@example.com --identity-provider https://accounts.google.com\n' +
        '  modelsec verify key ./my-model --public-key signer.pub --attestation my-model/model.example.com_bom.att.sig\n',
    );
  for (const method of METHODS) {
    const sub = verify.command(`${method} <MODEL_PATH>`).description(`verify a ${method} signature`);
    // No git-path default: the paths the signature records as ignored are ignored, nothing else (as `check`).
    addHashFlags(sub, { serialization: false, signature: true, gitPaths: false });
    addVerifierFlags(sub, method);
    sub
      .option('--ignore-unsigned-files', 'accept files on disk that the signature does not cover')
      .option('--attestation <FILE>', 'also verify this attestation (same signer, same model digest); repeatable', collect)
      .option(
        '--changed-since <OLD.sig>',
        'incremental: hash only files changed since OLD.sig was written; the others take their digests from OLD.sig, once it verifies with the same signer',
      );
    sub.action(
      action(env, async (out: Output, model: string, flags: VerifyFlags) =>
        (await import('./verify-action.js')).runVerify(env, out, method, model, flags),
      ),
    );
  }
}
