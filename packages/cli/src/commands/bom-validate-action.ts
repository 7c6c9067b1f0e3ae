import { resolve } from 'node:path';
import { isSpdx3JsonLd, readBomFile, validateCycloneDx, validateSpdx3 } from '@modelsec/core/bom';
import { ModelsecError } from '@modelsec/core/errors';
import type { Command } from 'commander';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { ValidateFlags } from './bom-validate.js';

/**
 * `bom` itself takes --spec and --format (for building), and commander hands an option to the first command that
 * knows it, so `bom validate FILE --spec 1.7` arrives as `bom`'s option. Take the value from there when the user
 * gave it explicitly. (`bom` limits --spec to 1.6/1.7 and --format to json/xml/spdx3.)
 */
export function withParentFlags(bom: Command, own: ValidateFlags): ValidateFlags {
  const parent = bom.opts() as { spec?: string; format?: string };
  const fromCli = (name: string) => bom.getOptionValueSource(name) === 'cli';
  const spec = own.spec ?? (fromCli('spec') ? parent.spec : undefined);
  const format =
    own.format ?? (fromCli('format') && (parent.format === 'json' || parent.format === 'xml') ? parent.format : undefined);
  return { ...(spec ? { spec } : {}), ...(format ? { format } : {}) };
}

/** The action of `modelsec bom validate FILE`: exit 0 valid, 1 invalid (errors listed), 2 unreadable / not a BOM. */
export async function runBomValidate(env: CliEnv, out: Output, bom: Command, file: string, own: ValidateFlags): Promise<0 | 1> {
  const flags = withParentFlags(bom, own);
  const path = resolve(env.cwd, file);
  const text = await readBomFile(path);
  if (flags.format !== 'xml' && flags.spec === undefined && isSpdx3JsonLd(text)) return validateSpdx(out, file, text);
  const result = validateCycloneDx(text, { format: flags.format, specVersion: flags.spec, source: file });
  const label = `CycloneDX ${result.specVersion} ${result.format.toUpperCase()}`;
  if (result.valid) {
    out.result({ file, ...result }, () => `${file}: valid ${label} (${result.method})`);
    return 0;
  }
  if (out.json) {
    throw new ModelsecError('BOM_INVALID', `${file} does not validate against ${label}`, {
      details: { file, ...result },
    });
  }
  const lines = result.errors.map((e) => `  ${e.path}: ${e.message}`);
  if (result.errorsTruncated) lines.push('  ... (more errors not shown)');
  out.raw(`${file}: INVALID ${label} (${result.method}), ${result.errors.length} error(s)\n${lines.join('\n')}`);
  return 1;
}

/** SPDX 3.0.1 JSON-LD: schema + reference checks, same exit codes and output shapes as CycloneDX. */
function validateSpdx(out: Output, file: string, text: string): 0 | 1 {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (cause) {
    throw new ModelsecError('BOM_NOT_RECOGNISED', `${file} is not valid JSON`, { details: { file }, cause });
  }
  const checked = validateSpdx3(document);
  const result = {
    valid: checked.valid,
    specVersion: 'SPDX-3.0.1',
    format: 'spdx3',
    method: 'json-schema',
    errors: checked.errors,
  };
  if (result.valid) {
    out.result({ file, ...result }, () => `${file}: valid SPDX 3.0.1 JSON-LD (json-schema + references)`);
    return 0;
  }
  if (out.json) {
    throw new ModelsecError('BOM_INVALID', `${file} does not validate against SPDX 3.0.1`, { details: { file, ...result } });
  }
  out.raw(
    `${file}: INVALID SPDX 3.0.1 JSON-LD, ${result.errors.length} error(s)\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`,
  );
  return 1;
}
