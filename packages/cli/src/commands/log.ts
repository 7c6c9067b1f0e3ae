import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import { addConnectionOptions, type RegistryConnectionOptions } from './connection-options.js';
import { registerWitness } from './log-witness.js';

export type LogOptions = RegistryConnectionOptions & { logKey?: string };

function withLogOptions(command: Command): Command {
  return addConnectionOptions(command).option(
    '--log-key <file>',
    'pin the log verifier key in FILE (default: trust on first use, kept under the modelsec config dir)',
  );
}

/** `modelsec log`: inspect and verify the registry's transparency log. */
export function register(program: Command, env: CliEnv): void {
  const log = program
    .command('log')
    .description("Inspect and verify the registry's transparency log (RFC 6962 tree, C2SP signed checkpoints)");
  registerWitness(log, env);

  withLogOptions(
    log.command('checkpoint').description('Fetch the signed checkpoint, verify it with the pinned key and its consistency'),
  ).action(action(env, async (out, options: LogOptions) => (await import('./log-action.js')).runCheckpoint(env, out, options)));

  addConnectionOptions(log.command('key').description("Print the log's public key (C2SP note verifier key)")).action(
    action(env, async (out, options: LogOptions) => (await import('./log-action.js')).runKey(env, out, options)),
  );

  addConnectionOptions(
    log
      .command('entry <index>')
      .description(
        'Print one log entry (its exact canonical JSON); a sealed entry (private namespace) is opened when the token can read it',
      ),
  ).action(
    action(env, async (out, indexText: string, options: LogOptions) =>
      (await import('./log-action.js')).runEntry(env, out, indexText, options),
    ),
  );

  withLogOptions(
    log
      .command('verify')
      .description('Replay the whole log: rebuild the tree, match the signed root, check every entry against the registry'),
  ).action(action(env, async (out, options: LogOptions) => (await import('./log-action.js')).runVerify(env, out, options)));
}
