import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec log`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('log')
    .description("Inspect and verify the registry's transparency log")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'log', 'issue #7'));
}
