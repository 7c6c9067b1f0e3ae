import type { Command } from 'commander';
import { type CliEnv, notImplemented } from '../command-kit.js';

/** `modelsec bom validate FILE`: placeholder until its issue lands. */
export function registerBomValidate(bom: Command, env: CliEnv): void {
  bom
    .command('validate')
    .description('Validate a CycloneDX 1.4-1.7 BOM (JSON or XML) against the official schema, offline')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(notImplemented(env, 'bom validate', 'issue #4'));
}
