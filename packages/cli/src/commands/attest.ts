import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { addHashFlags, type HashFlags } from './hash-flags.js';
import { addSignerFlags, type SignerFlags } from './signer-flags.js';

export type AttestCommandFlags = HashFlags & SignerFlags & { predicate: string; predicateType: string; output?: string };

const METHODS = ['key', 'certificate', 'sigstore'] as const;

/** `modelsec attest key|certificate|sigstore MODEL_PATH --predicate FILE --predicate-type URI`. */
export function register(program: Command, env: CliEnv): void {
  const attest = program
    .command('attest')
    .description('Sign an in-toto attestation (MLBOM, scan report, provenance...) about a model, beside its signature')
    .addHelpText(
      'after',
      '\nExample:\n  modelsec bom ./my-model -o bom.json\n' +
        '  modelsec attest key ./my-model --private-key signer.key --predicate bom.json --predicate-type https://cyclonedx.org/bom\n' +
        '  modelsec verify key ./my-model --public-key signer.pub --attestation my-model/model.cyclonedx.org_bom.att.sig\n',
    );
  for (const method of METHODS) {
    const sub = attest.command(`${method} <MODEL_PATH>`).description(`attest with ${method} signing`);
    sub
      .requiredOption('--predicate <FILE>', 'JSON predicate (the attestation body)')
      .requiredOption('--predicate-type <URI>', 'predicate type URI')
      .option('--output <FILE>', 'where to write it (default: beside the signature, model.<type>.att.sig)');
    addHashFlags(sub, { serialization: false, signature: true, gitPaths: false });
    addSignerFlags(sub, method);
    sub.action(
      action(env, async (out: Output, model: string, flags: AttestCommandFlags) =>
        (await import('./attest-action.js')).runAttest(env, out, method, model, flags),
      ),
    );
  }
}
