import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec digest`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('digest')
    .description('Print the OpenSSF Model Signing root digest of a model')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'digest', 'issue #5'));
}
