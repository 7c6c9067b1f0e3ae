import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { cycloneDxToSpdx3, generateModelBom, type ModelFacts, scanReportsToAttachment, validateSpdx3 } from '@modelsec/core/bom';
import { auditDeclaredPackages, depsFindingsToAttachment } from '@modelsec/core/deps';
import { ModelsecError } from '@modelsec/core/errors';
import { isHubReference, MODELSEC_VERSION, scanFile } from '@modelsec/core/scan';
import { clockFromEnv, stableJson } from '@modelsec/core/util';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { checkAttestFlags } from './attest-flags.js';
import type { BomFlags } from './bom.js';

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
  const attestation = flags.attest ? await import('./attestation-writer.js') : undefined;
  const signed = attestation ? await attestation.signedSetFor(env, out, target, flags) : undefined;
  const clock = clockFromEnv();
  let path = isHubReference(target) ? target : resolve(env.cwd, target);
  if (flags.scan && isHubReference(target)) {
    // Scanning needs the bytes: the snapshot goes to the HF cache, whose path names the same repo and commit.
    const download = out.progress(`downloading ${target}`);
    const { downloadSnapshot } = await import('@modelsec/core/hub');
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
  if (attestation && signed) {
    const { MLBOM_PREDICATE_TYPE } = await import('@modelsec/core/evidence');
    const written = await attestation.writeAttestation(
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

/** The action of `modelsec bom [PATH]`: build, validate and print or write the ML-BOM (attested when asked). */
export async function runBom(env: CliEnv, out: Output, path: string | undefined, flags: BomFlags): Promise<0> {
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
}
