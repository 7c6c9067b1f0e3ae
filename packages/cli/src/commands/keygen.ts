import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec keygen`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('keygen')
    .description('Generate an ECDSA key pair for signing models')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'keygen', 'issue #5'));
}
