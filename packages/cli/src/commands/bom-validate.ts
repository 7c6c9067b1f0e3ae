import type { BomFormat } from '@modelsec/core/bom';
import type { Command } from 'commander';
import { action, type CliEnv, Option } from '../command-kit.js';
import type { Output } from '../output.js';

export interface ValidateFlags {
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
    .option('--spec <version>', 'validate against this CycloneDX version (1.6 or 1.7) instead of the one the BOM declares')
    .addHelpText(
      'after',
      `
SPDX 3.0.1 JSON-LD (what 'modelsec bom --format spdx3' writes) is recognised by its @context and checked
against the official SPDX 3.0.1 JSON schema (vendored) plus element references.

Exit codes: 0 valid; 1 invalid (each schema error listed with its JSON pointer or XML line);
2 unreadable, not a CycloneDX BOM, or an unsupported version.

Examples:
  modelsec bom validate model.cdx.json
  modelsec bom validate --json bom.xml          # {"ok": true, "valid": ..., "errors": [...]}
  modelsec bom validate --spec 1.7 bom.json     # check a 1.6 BOM against the 1.7 schema`,
    )
    .action(
      action(env, async (out: Output, file: string, own: ValidateFlags) =>
        (await import('./bom-validate-action.js')).runBomValidate(env, out, bom, file, own),
      ),
    );
}
