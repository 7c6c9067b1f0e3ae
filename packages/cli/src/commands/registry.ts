import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec registry ...`: run and administer a modelsec registry. Placeholder until issue #6 lands. */
export function register(program: Command, env: CliEnv): void {
  const registry = program.command('registry').description('Run and administer a modelsec registry');
  for (const [name, description] of [
    ['serve', 'Start the registry service'],
    ['namespace', 'Create and list namespaces'],
    ['policy', "Set and show a namespace's policy"],
    ['token', 'Create and revoke API tokens'],
  ] as const) {
    registry
      .command(name)
      .description(description)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(notImplemented(env, `registry ${name}`, 'issue #6'));
  }
}
