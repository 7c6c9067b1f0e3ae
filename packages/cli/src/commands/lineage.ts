import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec lineage`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('lineage')
    .description('Print the ancestors and descendants of a model version')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'lineage', 'issue #7'));
}
