import type { Curve } from '@modelsec/core/signing';
import type { Command } from 'commander';
import { action, type CliEnv, Option } from '../command-kit.js';
import type { Output } from '../output.js';

export interface KeygenFlags {
  out: string;
  curve: Curve;
  password?: string;
  force?: boolean;
}

/** `modelsec keygen --out PREFIX`: an ECDSA signing key pair (PREFIX.key PKCS#8, PREFIX.pub SPKI). */
export function register(program: Command, env: CliEnv): void {
  program
    .command('keygen')
    .description('Generate a signing key pair: PREFIX.key (PKCS#8 PEM) and PREFIX.pub (SPKI PEM)')
    .requiredOption('--out <PREFIX>', 'output path prefix')
    .addOption(new Option('--curve <CURVE>', 'ECDSA curve').choices(['p256', 'p384', 'p521']).default('p256'))
    .option('--password <PASSWORD>', 'encrypt the private key (AES-256-CBC) with this password (or env MODELSEC_KEY_PASSWORD)')
    .option('--force', 'overwrite existing files')
    .addHelpText(
      'after',
      '\nExample:\n  modelsec keygen --out signer --curve p384\n  modelsec sign key ./my-model --private-key signer.key\n',
    )
    .action(
      action(env, async (out: Output, flags: KeygenFlags) => (await import('./keygen-action.js')).runKeygen(env, out, flags)),
    );
}
