import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  auditDeclaredPackages,
  clockFromEnv,
  cycloneDxToSpdx3,
  depsFindingsToAttachment,
  downloadSnapshot,
  generateModelBom,
  isHubReference,
  MODELSEC_VERSION,
  type ModelFacts,
  ModelsecError,
  scanFile,
  scanReportsToAttachment,
  stableJson,
  validateSpdx3,
} from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv, collect, Option } from '../command-kit.js';
import type { Output } from '../output.js';
import { type AttestFlags, addAttestOptions, checkAttestFlags, signedSetFor, writeAttestation } from './attest-flags.js';
import { registerBomScore } from './bom-score.js';
import { registerBomValidate } from './bom-validate.js';

interface BomFlags extends AttestFlags {
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

const BUILD_SPECS = ['1.6', '1.7'] as const;
const BUILD_FORMATS = ['json', 'xml', 'spdx3'] as const;

function checkChoice(flag: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value))
    throw new ModelsecError('USAGE', `${flag} must be one of ${allowed.join(', ')}, got '${value}'`, {
      details: { flag, value, allowed: [...allowed] },
    });
}

/** Writes next to the target and renames, so a reader never sees half a BOM. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (cause) {
    await rm(temporary, { force: true });
    throw new ModelsecError('FILE_WRITE_FAILED', `could not write ${path}: ${(cause as Error).message}`, {
      details: { path, directory: dirname(path) },
      cause,
    });
  }
}

async function buildBom(env: CliEnv, out: Output, target: string, flags: BomFlags): Promise<0> {
  checkAttestFlags(flags, [target]);
  if (flags.attest && (isHubReference(target) || flags.format !== 'json'))
    throw new ModelsecError('USAGE', '--attest signs a CycloneDX JSON ML-BOM of a local, signed model directory (--format json)');
  // The signed file set first: the BOM is bound to exactly the files model.sig signs, or it is not attested at all.
  const signed = flags.attest ? await signedSetFor(env, out, target, flags) : undefined;
  const clock = clockFromEnv();
  let path = isHubReference(target) ? target : resolve(env.cwd, target);
  if (flags.scan && isHubReference(target)) {
    // Scanning needs the bytes: the snapshot goes to the HF cache, whose path names the same repo and commit.
    const download = out.progress(`downloading ${target}`);
    const snapshot = await downloadSnapshot(target, {
      onProgress: (done, total) => {
        download.setTotal(total);
        download.update(done);
      },
    }).finally(() => download.finish());
    path = snapshot.path;
  }
  const scanRoot = !isHubReference(path) && (await stat(path)).isFile() ? dirname(path) : path;
  const scan = flags.scan
    ? async (facts: ModelFacts) => {
        const scanning = out.progress('scanning', facts.files.length);
        const reports = [];
        for (const file of facts.files) {
          reports.push(await scanFile(join(scanRoot, file.path), {}, file.path));
          scanning.tick(1, file.path);
        }
        scanning.finish();
        const attachment = scanReportsToAttachment(reports, { name: 'modelsec', version: MODELSEC_VERSION });
        out.info(`scan: ${reports.length} file(s), ${attachment.findings.length} finding(s) recorded as vulnerabilities`);
        return attachment;
      }
    : undefined;
  if (flags.osv && !flags.depsAudit)
    throw new ModelsecError('USAGE', '--osv is read only with --deps-audit', { details: { flag: '--osv' } });
  const depsAudit = flags.depsAudit
    ? async (facts: ModelFacts) => {
        const loading = out.progress('loading OSV records');
        const audited = await auditDeclaredPackages(facts.dependencies?.packages ?? [], {
          osv: (flags.osv ?? []).map((p) => resolve(env.cwd, p)),
          onOsvProgress: ({ done, total, source }) => {
            loading.setTotal(total);
            loading.update(done, source);
          },
        }).finally(() => loading.finish());
        const attachment = depsFindingsToAttachment(
          audited.findings,
          { name: 'modelsec', version: MODELSEC_VERSION },
          audited.osv.sources.length,
        );
        if (!flags.osv?.length)
          out.info('deps audit: no OSV database (--osv): known vulnerable and malicious packages not checked');
        out.info(
          `deps audit: ${facts.dependencies?.packages.length ?? 0} package(s), ${attachment.vulnerabilities.length} finding(s) recorded as vulnerabilities`,
        );
        return attachment;
      }
    : undefined;
  const progress = out.progress(`hashing ${target}`);
  const generated = await generateModelBom(path, {
    spec: flags.spec,
    format: flags.format === 'xml' ? 'xml' : 'json',
    deps: flags.deps,
    depsFiles: (flags.depsFile ?? []).map((f) => resolve(env.cwd, f)),
    clock,
    onHashStart: (total) => progress.setTotal(total),
    onHashed: (bytes) => progress.tick(bytes),
    ...(flags.name ? { name: flags.name } : {}),
    ...((flags.version ?? flags.modelVersion) ? { version: (flags.version ?? flags.modelVersion)! } : {}),
    ...(scan ? { scan } : {}),
    ...(depsAudit ? { depsAudit } : {}),
  }).finally(() => progress.finish());
  let text = generated.text;
  if (flags.format === 'spdx3') {
    const document = cycloneDxToSpdx3(text, { clock, tool: { name: 'modelsec', version: MODELSEC_VERSION } });
    const checked = validateSpdx3(document);
    if (!checked.valid) {
      throw new ModelsecError('BOM_INVALID', 'the generated SPDX 3.0.1 document does not validate against its schema', {
        details: { errors: checked.errors },
      });
    }
    text = stableJson(document);
  }
  for (const w of generated.warnings) out.warn(w.message);
  if (signed) {
    const { MLBOM_PREDICATE_TYPE } = await import('@modelsec/core');
    const written = await writeAttestation(
      env,
      target,
      flags,
      signed,
      MLBOM_PREDICATE_TYPE,
      JSON.parse(text) as Record<string, unknown>,
      'bom',
    );
    out.info(`ML-BOM attestation (${MLBOM_PREDICATE_TYPE}) written to ${written}`);
  }
  const summary = {
    target,
    spec: flags.format === 'spdx3' ? 'SPDX-3.0.1' : flags.spec,
    format: flags.format,
    files: generated.facts.files.length,
    warnings: generated.warnings,
  };
  if (flags.output) {
    const output = resolve(env.cwd, flags.output);
    await writeAtomically(output, text);
    out.result({ ...summary, output: flags.output }, () => `${flags.output}: ${describe(summary)}`);
    return 0;
  }
  if (out.json) out.result({ ...summary, bom: flags.format === 'xml' ? text : JSON.parse(text) }, () => '');
  else out.raw(text);
  return 0;
}

function describe(s: { spec: string; format: string; files: number; warnings: unknown[] }): string {
  const kind = s.format === 'spdx3' ? 'SPDX 3.0.1 JSON-LD' : `CycloneDX ${s.spec} ${s.format.toUpperCase()}`;
  return `wrote a valid ${kind} ML-BOM (${s.files} file(s) hashed, ${s.warnings.length} warning(s))`;
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
    action(env, async (out: Output, path: string | undefined, flags: BomFlags) => {
      if (!path) {
        throw new ModelsecError(
          'USAGE',
          "modelsec bom needs a PATH (a model directory, a model file or hf://ORG/NAME); see 'modelsec bom --help'",
          {
            details: { argument: 'path' },
          },
        );
      }
      checkChoice('--spec', flags.spec, BUILD_SPECS);
      checkChoice('--format', flags.format, BUILD_FORMATS);
      return buildBom(env, out, path, flags);
    }),
  );
  registerBomValidate(bom, env);
  registerBomScore(bom, env);
  routeBomVersionFlag(program);
}
