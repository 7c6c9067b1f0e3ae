import { SCAN_CONFIG_ENV, SEVERITIES } from '@modelsec/core/constants';
import type { Severity } from '@modelsec/core/scan';
import type { Command } from 'commander';
import { action, type CliEnv, Option, parseIntegerOption } from '../command-kit.js';
import type { Output } from '../output.js';
import { type AttestFlags, addAttestOptions } from './attest-flags.js';

export interface ScanFlags extends AttestFlags {
  format: 'text' | 'json' | 'sarif';
  output?: string;
  failOn: Severity;
  allowIncomplete?: boolean;
  strict?: boolean;
  config?: string;
  maxFileSize?: number;
}

const EXAMPLES = `
Examples:
  $ modelsec scan ./models                       scan every file under ./models (exit 1 on high or critical)
  $ modelsec scan model.pt --fail-on medium      also fail on medium findings
  $ modelsec scan ./models --allow-incomplete    pass files that could not be fully inspected (not advised)
  $ modelsec scan ./models --format json -o report.json
  $ modelsec scan ./models --format sarif -o modelsec.sarif   upload with github/codeql-action/upload-sarif
  $ modelsec scan hf://org/model@main            download into the Hugging Face cache, then scan
  $ modelsec scan ./models --config ci/modelsec.json   allowlisted globals and suppressions (each with a reason)
  $ modelsec scan ./my-model --attest key --private-key signer.key
                                                 also sign the verdicts about the signed files → my-model/model.scan.att.sig

Verdicts: every file is clean, has findings, or is incomplete (not fully inspected: a limit, an unknown binary,
a compression modelsec cannot open, a parse error after an opcode with effect). Incomplete files fail the gate
unless --allow-incomplete is given. Every file is also read as a pickle from offset 0 (and as a zip by its end
record), whatever its format: a file valid in two formats is a polyglot (MS-ENG-006).

Configuration comes from you, never from the scanned files: --config FILE, else $MODELSEC_CONFIG, else
.modelsec.json in the working directory or an ancestor, only when the working directory is not inside a
scanned path. A .modelsec.json shipped inside a model is never read.

Exit codes: 0 the gate passes (no finding at or above --fail-on, no incomplete file); 1 it fails; 2 usage error or
unreadable path.`;

/** `modelsec scan PATH...`. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('scan')
    .description('Scan model files for unsafe payloads (pickle, PyTorch, numpy, joblib, GGUF, safetensors, archives...)')
    .argument('<paths...>', 'files, directories (recursive, every file) or hf://ORG/NAME[@REV]')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity').choices([...SEVERITIES]).default('high'),
    )
    .option('--allow-incomplete', 'pass files that could not be fully inspected (default: they fail the gate)')
    .option('--strict', 'every non-allowlisted pickle global is high')
    .option(
      '--config <file>',
      `scan config (default: $${SCAN_CONFIG_ENV}, else .modelsec.json from the working directory upward when it is not inside a scanned path; never read from the scanned files)`,
    )
    .option(
      '--max-file-size <bytes>',
      'files larger than this are reported, not scanned',
      parseIntegerOption('--max-file-size', 1),
    )
    .addHelpText('after', EXAMPLES);
  addAttestOptions(command, 'the per-file verdicts');
  command.action(
    action(env, async (out: Output, paths: string[], flags: ScanFlags) =>
      (await import('./scan-action.js')).runScan(env, out, paths, flags),
    ),
  );
}
