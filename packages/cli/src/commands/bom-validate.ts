import { resolve } from 'node:path';
import { type BomFormat, ModelsecError, readBomFile, validateCycloneDx } from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv, Option } from '../command-kit.js';
import type { Output } from '../output.js';

interface ValidateFlags {
  format?: BomFormat;
  spec?: string;
}

/**
 * `modelsec bom validate FILE`: validates a CycloneDX 1.4-1.7 BOM, JSON or XML, against the official schema
 * shipped with the CycloneDX library, offline. Exit 0 valid, 1 invalid (errors listed), 2 unreadable / not a BOM.
 */
export function registerBomValidate(bom: Command, env: CliEnv): void {
  bom
    .command('validate')
    .description('Validate a CycloneDX 1.4-1.7 BOM (JSON or XML) against the official schema, offline')
    .argument('<file>', 'the BOM to validate (.json or .xml; the format is detected from the content)')
    .addOption(new Option('--format <format>', 'force the format instead of detecting it').choices(['json', 'xml']))
    .option('--spec <version>', 'validate against this CycloneDX version instead of the one the BOM declares')
    .addHelpText(
      'after',
      `
Exit codes: 0 valid; 1 invalid (each schema error listed with its JSON pointer or XML line);
2 unreadable, not a CycloneDX BOM, or an unsupported version.

Examples:
  modelsec bom validate model.cdx.json
  modelsec bom validate --json bom.xml          # {"ok": true, "valid": ..., "errors": [...]}
  modelsec bom validate --spec 1.7 bom.json     # check a 1.6 BOM against the 1.7 schema`,
    )
    .action(
      action(env, async (out: Output, file: string, flags: ValidateFlags) => {
        const path = resolve(env.cwd, file);
        const text = await readBomFile(path);
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
      }),
    );
}
