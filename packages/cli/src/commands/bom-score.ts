import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec bom score FILE`: placeholder until its issue lands. */
export function registerBomScore(bom: Command, env: CliEnv): void {
  bom
    .command('score')
    .description('Score the completeness of an ML-BOM (0-100) and list the missing fields by weight')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'bom score', 'issue #4'));
}
