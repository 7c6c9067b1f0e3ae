import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';

/**
 * `modelsec bom score FILE`: the completeness score (0-100) of a CycloneDX JSON ML-BOM, its category sub-scores
 * and the missing fields by weight. The rubric is in docs/mlbom.md; only fields in schema-valid shapes count.
 */
export function registerBomScore(bom: Command, env: CliEnv): void {
  bom
    .command('score')
    .description('Score the completeness of an ML-BOM (0-100) and list the missing fields by weight')
    .argument('<file>', 'a CycloneDX 1.4-1.7 JSON BOM')
    .option('--min <score>', 'exit 1 when the score is below this (for CI gates)')
    .addHelpText(
      'after',
      `
The rubric (34 fields in four categories, weights summing to 100) is documented in docs/mlbom.md. The BOM is
validated first: a field found inside a shape the CycloneDX schema rejects scores nothing.
Profiles: advanced >= 85, standard >= 70, basic >= 40.

Examples:
  modelsec bom score model.cdx.json
  modelsec bom score --json model.cdx.json | jq .missing
  modelsec bom score --min 70 model.cdx.json    # fail a pipeline below the standard profile`,
    )
    .action(
      action(env, async (out: Output, file: string, flags: { min?: string }) =>
        (await import('./bom-score-action.js')).runBomScore(env, out, file, flags),
      ),
    );
}
