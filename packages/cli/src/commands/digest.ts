import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { addHashFlags, type HashFlags } from './hash-flags.js';

/** `modelsec digest MODEL_PATH`: the OMS root digest (what a signature covers), hashed on all cores. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('digest <MODEL_PATH>')
    .description('Print the OpenSSF Model Signing root digest of a model')
    .addHelpText('after', '\nExamples:\n  modelsec digest ./my-model\n  modelsec digest ./my-model --method shards --json\n');
  addHashFlags(command, { serialization: true, signature: true });
  command.action(
    action(env, async (out: Output, model: string, flags: HashFlags) =>
      (await import('./digest-action.js')).runDigest(env, out, model, flags),
    ),
  );
}
