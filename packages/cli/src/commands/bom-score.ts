import { resolve } from 'node:path';
import { type CompletenessScore, ModelsecError, readBomFile, scoreCycloneDx } from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';

function renderText(file: string, result: CompletenessScore, out: Output): string {
  const lines: string[] = [];
  const model = result.model
    ? ` (model: ${result.model.name ?? result.model.bomRef ?? result.model.pointer})`
    : ' (no model component)';
  lines.push(`${file}${model}`);
  lines.push(`${out.paint('bold', `score ${result.score}/100`)}  profile: ${result.profile}  CycloneDX ${result.specVersion}`);
  if (!result.valid) {
    lines.push(
      out.paint(
        'yellow',
        `the BOM does not validate (${result.validationErrors.length} schema error(s)): fields inside invalid shapes score nothing`,
      ),
    );
  }
  lines.push('');
  for (const c of result.categories) lines.push(`  ${c.title.padEnd(34)} ${String(c.score).padStart(3)}/${c.max}`);
  if (result.missing.length > 0) {
    lines.push('', 'missing (by weight):');
    for (const m of result.missing) {
      const status = m.status === 'invalid' ? ' [present but invalid]' : '';
      lines.push(`  ${String(m.weight).padStart(2)}  ${m.tier.padEnd(13)} ${m.id.padEnd(34)} ${m.path}${status}`);
    }
  } else {
    lines.push('', 'nothing missing');
  }
  return lines.join('\n');
}

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
      action(env, async (out: Output, file: string, flags: { min?: string }) => {
        let min: number | undefined;
        if (flags.min !== undefined) {
          min = Number(flags.min);
          if (!/^\d+$/.test(flags.min) || min > 100) {
            throw new ModelsecError('USAGE', `--min takes a whole number from 0 to 100, got '${flags.min}'`, {
              details: { flag: '--min', value: flags.min },
            });
          }
        }
        const text = await readBomFile(resolve(env.cwd, file));
        const result = scoreCycloneDx(text, { source: file });
        out.result({ file, ...result }, () => renderText(file, result, out));
        return min !== undefined && result.score < min ? 1 : 0;
      }),
    );
}
