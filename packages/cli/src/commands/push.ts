import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec push`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('push')
    .description('Publish a signed model version to a modelsec registry')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'push', 'issue #6'));
}
