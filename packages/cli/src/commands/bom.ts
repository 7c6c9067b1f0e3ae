import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';
import { registerBomScore } from './bom-score.js';
import { registerBomValidate } from './bom-validate.js';

/** `modelsec bom PATH` and its subcommands `bom validate`, `bom score`. */
export function register(program: Command, env: CliEnv): void {
  const bom = program
    .command('bom')
    .description('Build a CycloneDX ML-BOM for a model directory, a model file or hf://ORG/NAME')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'bom', 'issue #4'));
  registerBomValidate(bom, env);
  registerBomScore(bom, env);
}
