import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec verify`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('verify')
    .description('Verify a model signature: key, certificate or sigstore')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'verify', 'issue #5'));
}
