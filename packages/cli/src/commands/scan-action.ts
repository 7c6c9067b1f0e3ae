import { ModelsecError } from '@modelsec/core/errors';
import {
  evaluateGate,
  type FileReport,
  findUserScanConfig,
  type GateResult,
  isHubReference,
  MODELSEC_VERSION,
  SCAN_CONFIG_ENV,
  type ScanReport,
  SEVERITIES,
  type Severity,
  scanPaths,
  severityRank,
  toSarif,
} from '@modelsec/core/scan';
import { printable, stableJson } from '@modelsec/core/util';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { checkAttestFlags } from './attest-flags.js';
import { writeReportFile } from './files.js';
import type { ScanFlags } from './scan.js';

function textReport(
  report: ScanReport,
  flags: { failOn: Severity; allowIncomplete: boolean },
  gate: GateResult,
  out: Output,
): string {
  const lines: string[] = [];
  for (const file of report.files) lines.push(...fileBlock(file, out));
  const s = report.summary;
  const counts = SEVERITIES.slice()
    .reverse()
    .map((sev) => `${s.findings[sev]} ${sev}`)
    .join(', ');
  const atOrAbove = new Set(gate.failures.filter((f) => f.reason === 'severity').map((f) => f.path)).size;
  lines.push(
    `${s.files} file(s) scanned: ${counts}${s.suppressed ? `, ${s.suppressed} suppressed` : ''}; ${atOrAbove} file(s) at or above ${flags.failOn}; ${s.verdicts.incomplete} incomplete`,
  );
  const rule = `--fail-on ${flags.failOn}; incomplete files ${flags.allowIncomplete ? 'allowed (--allow-incomplete)' : 'fail'}`;
  if (gate.pass) lines.push(`gate: ${out.paint('green', 'PASS')} (${rule})`);
  else {
    lines.push(`gate: ${out.paint('red', 'FAIL')} (${rule})`);
    for (const f of gate.failures) {
      const why =
        f.reason === 'incomplete' ? 'incomplete: not fully inspected' : `${f.maxSeverity} finding at or above ${flags.failOn}`;
      lines.push(`  ${printable(f.path)}: ${why} (${f.rules.join(', ')})`);
    }
    if (!flags.allowIncomplete && gate.failures.some((f) => f.reason === 'incomplete'))
      lines.push('  (incomplete files pass only with --allow-incomplete: their content was not proven clean)');
  }
  return lines.join('\n');
}

function fileBlock(file: FileReport, out: Output): string[] {
  const active = file.findings.filter((f) => !f.suppressed);
  const top = active[0]?.severity ?? 'info';
  const verdict =
    file.verdict === 'clean'
      ? out.paint('green', 'clean')
      : file.verdict === 'incomplete'
        ? out.paint('red', `incomplete (${top})`)
        : out.paint(severityRank(top) >= severityRank('high') ? 'red' : 'yellow', top);
  // Paths, link targets, member names and messages quote the scanned data: printed inert (printable()).
  const link = file.symlink
    ? ` -> ${printable(file.symlink.target)}${file.symlink.leavesRoot ? ' (outside the scanned root)' : ''}`
    : '';
  const lines = [`${out.paint('bold', printable(file.path))}${link}  [${file.format}, ${file.size} bytes]  ${verdict}`];
  for (const f of file.findings) {
    const where = f.location.members?.length ? ` (in ${f.location.members.map(printable).join(' > ')})` : '';
    const tag = f.suppressed ? ` [suppressed: ${printable(f.suppressed.reason)}]` : f.incomplete ? ' [not fully inspected]' : '';
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.ruleId}  ${printable(f.message)}${where}${tag}`);
  }
  lines.push('');
  return lines;
}

/** The action of `modelsec scan PATH...`: scan, print or write the report, attest when asked; exit 0 when the gate passes. */
export async function runScan(env: CliEnv, out: Output, paths: string[], flags: ScanFlags): Promise<0 | 1> {
  checkAttestFlags(flags, paths);
  if (flags.attest && isHubReference(paths[0] as string))
    throw new ModelsecError('USAGE', '--attest needs a local, signed model directory');
  // The signed file set first: an attestation about files that are not the signed ones is refused before scanning.
  const attestation = flags.attest ? await import('./attestation-writer.js') : undefined;
  const signed = attestation ? await attestation.signedSetFor(env, out, paths[0] as string, flags) : undefined;
  const local: string[] = [];
  /** Snapshot directory → `hf://repo@commit`, so reports name Hub files by their Hub address. */
  const hubNames = new Map<string, string>();
  for (const p of paths) {
    if (isHubReference(p)) {
      out.info(`downloading ${p} into the Hugging Face cache...`);
      // The Hub client loads only when a Hub reference is scanned.
      const { downloadSnapshot } = await import('@modelsec/core/hub');
      const snapshot = await downloadSnapshot(p, { env: env.env });
      local.push(snapshot.path);
      hubNames.set(snapshot.path.split('\\').join('/'), `hf://${snapshot.repo}@${snapshot.commit}`);
    } else {
      local.push(p);
    }
  }
  const { config, ignored } = findUserScanConfig({
    cwd: env.cwd,
    scannedPaths: local,
    ...(flags.config ? { flag: flags.config } : {}),
    env: env.env,
  });
  for (const path of ignored)
    out.info(
      `note: not reading ${path}: configuration comes from you (--config FILE or ${SCAN_CONFIG_ENV}), never from the scanned files`,
    );
  const progress = out.progress('scanning');
  let report: ScanReport;
  const prevCwd = process.cwd();
  try {
    if (prevCwd !== env.cwd) process.chdir(env.cwd);
    report = await scanPaths(local, {
      config,
      strict: Boolean(flags.strict),
      maxFileSize: flags.maxFileSize,
      onProgress: ({ done, total, path }) => {
        progress.setTotal(total);
        progress.update(done, path);
      },
    });
  } finally {
    progress.finish();
    if (process.cwd() !== prevCwd) process.chdir(prevCwd);
  }
  for (const file of report.files) {
    for (const [dir, name] of hubNames)
      if (file.path.startsWith(`${dir}/`)) file.path = `${name}/${file.path.slice(dir.length + 1)}`;
  }
  const gateOptions = { failOn: flags.failOn, allowIncomplete: Boolean(flags.allowIncomplete) };
  const gate = evaluateGate(report.files, gateOptions);
  const gateJson = { ...gate, ...gateOptions };
  const body =
    flags.format === 'sarif'
      ? stableJson(toSarif(report, { version: MODELSEC_VERSION, gate: gateOptions }))
      : flags.format === 'json' || out.json
        ? stableJson({ ...report, gate: gateJson })
        : textReport(report, gateOptions, gate, out);
  // With --json, stdout carries one envelope, printed last (after the attestation); a SARIF log stays bare.
  const envelope = out.json && (flags.format !== 'sarif' || flags.output !== undefined);
  if (flags.output) await writeReportFile(env, out, flags.output, body);
  else if (!envelope) out.raw(body);
  if (attestation && signed) {
    const { buildScanPredicate, SCAN_PREDICATE_TYPE } = await import('@modelsec/core/evidence');
    const predicate = buildScanPredicate(report, paths[0] as string, signed, {
      config,
      strict: Boolean(flags.strict),
      cwd: env.cwd,
    });
    const written = await attestation.writeAttestation(
      env,
      paths[0] as string,
      flags,
      signed,
      SCAN_PREDICATE_TYPE,
      predicate as unknown as Record<string, unknown>,
      'scan',
    );
    out.info(
      `scan attestation (${predicate.summary.files} signed file(s): ${predicate.summary.verdicts.clean} clean, ${predicate.summary.verdicts.findings} with findings, ${predicate.summary.verdicts.incomplete} incomplete) written to ${written}`,
    );
  }
  if (envelope)
    out.result(
      flags.output ? { output: flags.output, summary: report.summary, gate: gateJson } : { ...report, gate: gateJson },
      () => '',
    );
  return gate.pass ? 0 : 1;
}
