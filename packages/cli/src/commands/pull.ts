import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec pull`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('pull')
    .description('Download a model version from a registry, verifying digests and signature')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'pull', 'issue #6'));
}
