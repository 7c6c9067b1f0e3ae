import path from 'node:path';
import type { ExitCode } from '@modelsec/core/errors';
import { stableJson } from '@modelsec/core/util';
import { checkModel, checkOffline, type GateReport, parseExpectation } from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { MODELSEC_VERSION } from '../version.js';
import type { CheckFlags } from './check.js';
import { consistencyLine, logConsistencyBasis } from './check-consistency.js';
import { checkSarif } from './check-sarif.js';
import { writeReportFile } from './files.js';
import { clientFrom } from './registry-client.js';
import type { TrustFlags } from './trust-flags.js';
import { gateOptionsFrom, logLine, printWarnings, saveCheckpoint, signerLine } from './trust-options.js';

/** The action of `modelsec check MODEL_PATH`: the gate online (registry + verified log) or --offline; exit 0 or 1. */
export async function runCheck(env: CliEnv, out: Output, modelPath: string, options: CheckFlags): Promise<ExitCode> {
  const gate = await gateOptionsFrom(env, options);
  const root = path.resolve(env.cwd, modelPath);
  if (options.offline) return offlineCheck(env, out, root, options, gate);
  const progress = out.progress('hashing');
  const report = await checkModel(clientFrom(options, env), root, {
    ...gate,
    ...(options.name?.length ? { expectations: options.name.map((n) => parseExpectation(n)) } : {}),
    ...(options.signature ? { signaturePath: path.resolve(env.cwd, options.signature) } : {}),
    ...(options.ignore?.length ? { ignore: options.ignore.map((p) => path.resolve(root, p)) } : {}),
    onProgress: (done, total) => {
      progress.setTotal(total);
      progress.update(done);
    },
  }).finally(() => progress.finish());
  printWarnings(out, env, report);
  if (report.ok && report.log) await saveCheckpoint(env, options, evidenceCheckpoint(report));
  // Locations are relative to the model, as the offline report's are.
  const signature = path
    .relative(root, options.signature ? path.resolve(env.cwd, options.signature) : path.join(root, 'model.sig'))
    .split(path.sep)
    .join('/');
  if (await emitSarif(env, out, options, report.failed, signature)) return report.ok ? 0 : 1;
  const v = report.version;
  const data = {
    verified: report.ok,
    version: v ?? null,
    signer: report.signer ?? null,
    signerSource: report.signerSource ?? null,
    policySource: report.policySource,
    failed: report.failed,
    warnings: report.warnings,
    yanked: report.yanked ?? null,
    scan: report.scan ?? null,
    log: report.log ? { ...report.log, keyTrust: report.keyTrust, consistency: logConsistencyBasis(gate, report.log) } : null,
  };
  // `--format json` is the same as --json: the one envelope on stdout.
  if (options.format === 'json' && !out.json) {
    out.raw(stableJson({ ok: true, ...data }));
    return report.ok ? 0 : 1;
  }
  out.result(data, () =>
    report.ok && v
      ? [
          `verified: ${v.namespace}/${v.model}@${v.version} (root ${v.rootDigest})`,
          `  signed by ${signerLine(report)}`,
          `  published ${v.publishedAt}; scan ${report.scan ? `${report.scan.status}${report.scan.maxSeverity ? `, max ${report.scan.maxSeverity}` : ', no findings'}` : 'not logged'}; policy: ${report.policySource}`,
          `  ${logLine(report, report.keyTrust)}`,
          ...(report.log ? [`  ${consistencyLine(logConsistencyBasis(gate, report.log), report.log.cosignedBy)}`] : []),
        ].join('\n')
      : [
          `NOT verified${v ? `: ${v.namespace}/${v.model}@${v.version}` : ''}`,
          ...report.failed.map((f) => `  - [${f.rule}] ${f.code}: ${f.message}`),
        ].join('\n'),
  );
  const code: ExitCode = report.ok ? 0 : 1;
  return code;
}

/**
 * The SARIF report of a check, built only when asked for: written to --sarif-file, and printed for --format sarif.
 * Returns true when it was printed (nothing else is then printed).
 */
async function emitSarif(
  env: CliEnv,
  out: Output,
  options: { format: 'text' | 'json' | 'sarif'; sarifFile?: string },
  failed: GateReport['failed'],
  signature: string,
): Promise<boolean> {
  if (!options.sarifFile && options.format !== 'sarif') return false;
  const sarif = stableJson(checkSarif(failed, { version: MODELSEC_VERSION, signature }));
  if (options.sarifFile) await writeReportFile(env, out, options.sarifFile, sarif);
  if (options.format !== 'sarif') return false;
  out.raw(sarif);
  return true;
}

/** `check --offline`: the gate on the evidence files, printed as text, JSON or SARIF. */
async function offlineCheck(
  env: CliEnv,
  out: Output,
  root: string,
  options: TrustFlags & {
    name?: string[];
    signature?: string;
    ignore?: string[];
    format: 'text' | 'json' | 'sarif';
    sarifFile?: string;
    logKey?: string;
  },
  gate: Awaited<ReturnType<typeof gateOptionsFrom>>,
): Promise<ExitCode> {
  const progress = out.progress('hashing');
  const report = await checkOffline(root, {
    ...(gate.localPolicy ? { localPolicy: gate.localPolicy } : {}),
    ...(gate.cliSigners ? { cliSigners: gate.cliSigners } : {}),
    ...(gate.logKey !== undefined ? { logKey: gate.logKey } : {}),
    ...(gate.witnesses ? { witnesses: gate.witnesses } : {}),
    ...(gate.witnessQuorum !== undefined ? { witnessQuorum: gate.witnessQuorum } : {}),
    ...(gate.maxCheckpointAgeSeconds !== undefined ? { maxCheckpointAgeSeconds: gate.maxCheckpointAgeSeconds } : {}),
    ...(gate.sigstoreTrustedRoot !== undefined ? { sigstoreTrustedRoot: gate.sigstoreTrustedRoot } : {}),
    ...(options.name?.length ? { expectations: options.name.map((n) => parseExpectation(n)) } : {}),
    ...(options.signature ? { signaturePath: path.resolve(env.cwd, options.signature) } : {}),
    ...(options.ignore?.length ? { ignore: options.ignore.map((p) => path.resolve(root, p)) } : {}),
    ...(gate.allowYanked ? { allowYanked: true } : {}),
    onProgress: (done, total) => {
      progress.setTotal(total);
      progress.update(done);
    },
  }).finally(() => progress.finish());
  printWarnings(out, env, report);
  const code: ExitCode = report.ok ? 0 : 1;
  if (await emitSarif(env, out, options, report.failed, report.evidenceFiles.signature)) return code;
  const data = {
    verified: report.ok,
    offline: true,
    version: report.version ?? null,
    signer: report.signer ?? null,
    signerSource: report.signerSource ?? null,
    policySource: report.policySource,
    failed: report.failed,
    warnings: report.warnings,
    evidence: report.evidenceFiles,
    attestations: report.verifiedAttestations ?? [],
    scan: report.scan ?? null,
    attestedScan: report.attestedScan ?? [],
    log: report.log ?? null,
  };
  if (options.format === 'json' && !out.json) {
    out.raw(stableJson({ ok: true, ...data }));
    return code;
  }
  out.result(data, () => offlineText(report));
  return code;
}

function offlineText(report: GateReport & { evidenceFiles: { attestations: string[]; tlog: string | null } }): string {
  const v = report.version;
  const what = v ? `${v.namespace}/${v.model}@${v.version} (root ${v.rootDigest})` : `root ${report.verified?.rootDigest ?? '?'}`;
  if (!report.ok)
    return [
      `NOT verified (offline)${v ? `: ${v.namespace}/${v.model}@${v.version}` : ''}`,
      ...report.failed.map((f) => `  - [${f.rule}] ${f.code}: ${f.message}`),
    ].join('\n');
  const scans = report.attestedScan ?? [];
  return [
    `verified offline: ${what}`,
    `  signed by ${signerLine(report)}`,
    `  attestations: ${(report.verifiedAttestations ?? []).map((a) => `${a.predicateType} (${a.path ?? a.digest})`).join(', ') || 'none'}`,
    `  scan: ${scans.length ? scans.map((s) => `${s.files} file(s), ${s.verdicts.incomplete} incomplete, max ${s.maxSeverity ?? 'none'}`).join('; ') : report.scan ? `logged ${report.scan.status}` : 'none'}`,
    `  log: ${report.log && v ? `entry ${v.logIndex} in checkpoint ${report.log.size} of ${report.log.origin} (pinned key)` : 'no verified log proof'}`,
  ].join('\n');
}

/** The checkpoint note the gate verified (kept on the report's log for --save-checkpoint). */
function evidenceCheckpoint(report: { log?: { checkpoint?: string } }): string | undefined {
  return report.log?.checkpoint;
}
