import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec bom`: placeholder until its issue lands. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('bom')
    .description('Build a CycloneDX ML-BOM for a model directory, a model file or hf://ORG/NAME')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'bom', 'issue #4'));
}
