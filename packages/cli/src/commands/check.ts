import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec check`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('check')
    .description('CI gate: is this exact model published, signed by a trusted signer and scanned clean?')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'check', 'issue #6'));
}
