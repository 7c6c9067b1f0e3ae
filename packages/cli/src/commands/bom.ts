import type { Command } from 'commander';
import { action, type CliEnv, collect, Option } from '../command-kit.js';
import type { Output } from '../output.js';
import { type AttestFlags, addAttestOptions } from './attest-flags.js';
import { registerBomScore } from './bom-score.js';
import { registerBomValidate } from './bom-validate.js';

export interface BomFlags extends AttestFlags {
  spec: '1.6' | '1.7';
  format: 'json' | 'xml' | 'spdx3';
  output?: string;
  deps: 'auto' | 'none';
  depsFile?: string[];
  name?: string;
  version?: string;
  modelVersion?: string;
  scan?: boolean;
  depsAudit?: boolean;
  osv?: string[];
}

/**
 * The root program owns `--version` (print modelsec's version) and commander lets root options appear anywhere,
 * so `modelsec bom DIR --version 1.2.3` would print the tool version. Before the root parses, `--version` after
 * the `bom` operand is renamed to the hidden `--model-version`, which `bom` reads as its --version.
 */
function routeBomVersionFlag(program: Command): void {
  const parseOptions = program.parseOptions.bind(program);
  program.parseOptions = (args: string[]) => {
    const at = args.findIndex((a) => !a.startsWith('-'));
    if (at === -1 || args[at] !== 'bom') return parseOptions(args);
    const rewritten = args.map((a, i) => {
      if (i <= at) return a;
      if (a === '--version') return '--model-version';
      if (a.startsWith('--version=')) return `--model-version=${a.slice('--version='.length)}`;
      return a;
    });
    return parseOptions(rewritten);
  };
}

/** `modelsec bom PATH` and its subcommands `bom validate`, `bom score`. */
export function register(program: Command, env: CliEnv): void {
  const bom = program
    .command('bom')
    .description('Build a CycloneDX ML-BOM for a model directory, a model file or hf://ORG/NAME')
    // `bom validate FILE --spec 1.4`: the subcommand's own --spec/--format, not bom's, once a subcommand is named.
    .enablePositionalOptions()
    .argument('[path]', 'model directory (Hugging Face layout or not), model file, or hf://ORG/NAME[@REVISION]')
    // No commander `.choices()` here: commander hands `bom validate FILE --spec 1.4` to `bom`'s option, so the
    // values are checked in the action (building takes 1.6/1.7; validating takes 1.4-1.7).
    .addOption(new Option('--spec <version>', 'CycloneDX version: 1.6 or 1.7').default('1.6'))
    .addOption(new Option('--format <format>', 'output format: json, xml or spdx3').default('json'))
    .option('-o, --output <file>', 'write the BOM to FILE instead of stdout (only ever a schema-valid BOM)')
    .addOption(
      new Option('--deps <mode>', 'read lockfiles and manifests found in the model directory')
        .choices(['auto', 'none'])
        .default('auto'),
    )
    .option('--deps-file <file>', 'a lockfile or manifest to include (repeatable)', collect)
    .option('--name <name>', 'model name (default: from the card, the repo id or the directory)')
    .option('--version <version>', 'model version (default: the commit SHA when known, else the card version)')
    .addOption(new Option('--model-version <version>', 'same as --version').hideHelp())
    .option('--scan', "attach the scanner's verdicts (per-file properties, findings as vulnerabilities)")
    .option(
      '--deps-audit',
      'audit the libraries (known vulnerable or malicious packages from --osv, typosquats, confusion names): each finding a vulnerability of its library component',
    )
    .option(
      '--osv <file|dir>',
      'OSV database for --deps-audit: an all.zip export, a directory of OSV JSON, or a record (repeatable)',
      collect,
    )
    .addHelpText(
      'after',
      `
What goes in: the model as a machine-learning-model component (card name, licenses as SPDX ids, commit SHA as
version, purl pkg:huggingface/ORG/NAME@SHA for the Hub), every file with its SHA-256, the model card (task,
architecture, datasets as data components, metrics, considerations, CO2), base models as pedigree, cdx:ai-ml:*
properties read from config.json and weight headers (safetensors, GGUF, ONNX, PyTorch zip; weights never loaded),
and the Python/npm/conda packages of lockfiles found beside the model. hf:// reads the Hub without downloading
weights (HF_ENDPOINT and HF_TOKEN are honoured). Every BOM is validated against the official schema before it is
written; problems with the input (a malformed card, a lying header) are warnings on stderr.
SOURCE_DATE_EPOCH pins the timestamp: the same input then gives byte-identical output.

Examples:
  modelsec bom ./my-model                         # CycloneDX 1.6 JSON on stdout
  modelsec bom ./my-model --spec 1.7 --format xml -o bom.xml
  modelsec bom hf://org/model@main -o model.cdx.json
  modelsec bom model.gguf --name my-model --version 1.0.0
  modelsec bom ./my-model --format spdx3 -o model.spdx.json
  modelsec bom ./my-model --deps-audit --osv PyPI/all.zip   # dependency findings as vulnerabilities
  modelsec bom validate bom.xml                   # check any CycloneDX 1.4-1.7 BOM
  modelsec bom score model.cdx.json               # completeness score 0-100
  modelsec bom ./my-model -o bom.json --attest key --private-key signer.key   # + my-model/model.bom.att.sig`,
    );
  addAttestOptions(bom, 'the ML-BOM (CycloneDX JSON, predicate type https://cyclonedx.org/bom)');
  bom.action(
    action(env, async (out: Output, path: string | undefined, flags: BomFlags) =>
      (await import('./bom-action.js')).runBom(env, out, path, flags),
    ),
  );
  registerBomValidate(bom, env);
  registerBomScore(bom, env);
  routeBomVersionFlag(program);
}
