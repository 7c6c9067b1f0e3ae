import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec sign`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('sign')
    .description('Sign a model (OpenSSF Model Signing): key, certificate or sigstore')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'sign', 'issue #5'));
}
