import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec attest`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('attest')
    .description('Sign an in-toto attestation (MLBOM, scan report, provenance) about a model')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'attest', 'issue #5'));
}
