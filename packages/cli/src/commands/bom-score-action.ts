import { resolve } from 'node:path';
import { type CompletenessScore, readBomFile, scoreCycloneDx } from '@modelsec/core/bom';
import { ModelsecError } from '@modelsec/core/errors';
import type { CliEnv } from '../command-kit.js';
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

/** The action of `modelsec bom score FILE`: print the score; exit 1 below --min. */
export async function runBomScore(env: CliEnv, out: Output, file: string, flags: { min?: string }): Promise<0 | 1> {
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
}
