import { resolve } from 'node:path';
import { auditDependencies, type DepsGateResult, type DepsReport, depsToSarif, evaluateDepsGate } from '@modelsec/core/deps';
import { findUserScanConfig, MODELSEC_VERSION, SEVERITIES, severityRank } from '@modelsec/core/scan';
import { stableJson } from '@modelsec/core/util';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { DepsFlags } from './deps.js';
import { writeReportFile } from './files.js';

function textReport(report: DepsReport, gate: DepsGateResult, out: Output): string {
  const lines: string[] = [];
  let current: string | undefined;
  for (const f of report.findings) {
    if (f.file !== current) {
      if (current !== undefined) lines.push('');
      current = f.file;
      lines.push(out.paint('bold', f.file));
    }
    const where = f.line !== undefined ? `line ${f.line}`.padEnd(9) : ''.padEnd(9);
    const tag = f.suppressed ? ` [suppressed: ${f.suppressed.reason}]` : '';
    const sev = f.severity.toUpperCase().padEnd(8);
    const painted =
      severityRank(f.severity) >= severityRank('high')
        ? out.paint('red', sev)
        : severityRank(f.severity) >= severityRank('medium')
          ? out.paint('yellow', sev)
          : sev;
    lines.push(`  ${painted} ${f.ruleId}  ${where} ${f.message}${tag}`);
  }
  if (report.findings.length > 0) lines.push('');
  const s = report.summary;
  const counts = [...SEVERITIES]
    .reverse()
    .map((sev) => `${s.findings[sev]} ${sev}`)
    .join(', ');
  const osv =
    report.osv.sources.length === 0
      ? 'no OSV database (--osv): known vulnerable and malicious packages not checked'
      : `OSV: ${report.osv.sources.reduce((n, src) => n + src.records, 0)} record(s) read, ${report.osv.recordsKept} naming the project's packages`;
  lines.push(
    `${s.files} file(s), ${s.packages} package(s): ${counts}${s.suppressed ? `, ${s.suppressed} suppressed` : ''}; ${osv}`,
  );
  if (gate.pass) lines.push(`gate: ${out.paint('green', 'PASS')} (--fail-on ${gate.failOn})`);
  else
    lines.push(
      `gate: ${out.paint('red', 'FAIL')} (--fail-on ${gate.failOn}): ${gate.failures.length} finding(s) at or above ${gate.failOn}`,
    );
  return lines.join('\n');
}

/** The action of `modelsec deps PATH...`: audit, print or write the report; exit 1 when the gate fails. */
export async function runDeps(env: CliEnv, out: Output, paths: string[], flags: DepsFlags): Promise<0 | 1> {
  const { config, ignored } = findUserScanConfig({
    cwd: env.cwd,
    scannedPaths: paths.map((p) => resolve(env.cwd, p)),
    ...(flags.config ? { flag: flags.config } : {}),
    env: env.env,
  });
  for (const path of ignored) out.info(`note: not reading ${path}: configuration comes from you, never from the audited project`);
  const progress = out.progress('loading OSV records');
  let lastSource = '';
  let report: DepsReport;
  try {
    report = await auditDependencies({
      paths,
      cwd: env.cwd,
      osv: (flags.osv ?? []).map((p) => resolve(env.cwd, p)),
      sitePackages: flags.sitePackages ?? [],
      ...(flags.workflows ? { workflows: flags.workflows } : {}),
      config,
      onOsvProgress: ({ source, done, total }) => {
        if (source !== lastSource) {
          lastSource = source;
          out.info(`reading OSV database ${source}...`);
        }
        progress.setTotal(total);
        progress.update(done, source);
      },
    });
  } finally {
    progress.finish();
  }
  for (const w of report.warnings) out.warn(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.message} [${w.code}]`);
  const gate = evaluateDepsGate(report.findings, flags.failOn);
  const body =
    flags.format === 'sarif'
      ? stableJson(depsToSarif(report, gate, MODELSEC_VERSION))
      : flags.format === 'json' || out.json
        ? stableJson({ ...report, gate })
        : textReport(report, gate, out);
  // With --json, stdout carries one envelope; a SARIF log stays bare.
  const envelope = out.json && (flags.format !== 'sarif' || flags.output !== undefined);
  if (flags.output) await writeReportFile(env, out, flags.output, body);
  else if (!envelope) out.raw(body);
  if (envelope)
    out.result(flags.output ? { output: flags.output, summary: report.summary, gate } : { ...report, gate }, () => '');
  return gate.pass ? 0 : 1;
}
