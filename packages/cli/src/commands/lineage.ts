import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { addConnectionOptions, type RegistryConnectionOptions } from './connection-options.js';

export type LineageFlags = RegistryConnectionOptions & { format: string };

/** `modelsec lineage`: ancestors (base models, datasets) and descendants of a published version. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    program
      .command('lineage <ref>')
      .description('Print the ancestors (base models, datasets) and descendants of NS/NAME@VERSION')
      .option('--format <format>', 'text (a tree), dot (Graphviz) or mermaid', 'text'),
  ).action(
    action(env, async (out: Output, refText: string, options: LineageFlags) =>
      (await import('./lineage-action.js')).runLineage(env, out, refText, options),
    ),
  );
}
