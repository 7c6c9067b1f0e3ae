/**
 * `modelsec log witness keygen|serve`: run a C2SP tlog-witness for one or more registry logs. The witness cosigns
 * a checkpoint only when it extends the tree it saw before (so a registry that forks its log cannot get its
 * cosignature for the other branch); clients then require a quorum of witness cosignatures.
 */
import type { Command } from 'commander';
import { action, type CliEnv, collect, parseIntegerOption } from '../command-kit.js';
import type { Output } from '../output.js';

/** Default address a witness listens on (loopback: exposing it is an explicit choice). */
export const DEFAULT_WITNESS_HOST = '127.0.0.1';

export function registerWitness(log: Command, env: CliEnv): void {
  const witness = log
    .command('witness')
    .description('Run a C2SP tlog-witness that cosigns registry checkpoints only when they extend what it saw');

  witness
    .command('keygen')
    .description('Generate a witness key: PREFIX.key (secret, PRIVATE+KEY+...) and PREFIX.pub (verifier key, type 0x04)')
    .requiredOption('--name <name>', 'witness name, a schema-less URL identifying it (e.g. witness.example.com/w1)')
    .requiredOption('--out <PREFIX>', 'output path prefix')
    .option('--force', 'overwrite existing files')
    .action(
      action(env, async (out: Output, flags: { name: string; out: string; force?: boolean }) =>
        (await import('./log-witness-action.js')).runWitnessKeygen(env, out, flags),
      ),
    );

  witness
    .command('serve')
    .description('Serve POST /add-checkpoint (C2SP tlog-witness) for the logs whose keys are given')
    .requiredOption('--key <file>', 'the witness signer key (from `modelsec log witness keygen`)')
    .requiredOption('--log-key <file>', 'verifier key(s) of a log to witness, one per line (repeatable)', collect)
    .requiredOption('--state <dir>', 'where the witness keeps the last checkpoint it cosigned per log')
    .option('--host <host>', 'address to listen on', DEFAULT_WITNESS_HOST)
    .option('--port <n>', 'port to listen on (0: any free port)', parseIntegerOption('--port'), 0)
    .action(
      action(env, async (out: Output, flags: { key: string; logKey: string[]; state: string; host: string; port: number }) =>
        (await import('./log-witness-serve-action.js')).runWitnessServe(env, out, flags),
      ),
    );
}
