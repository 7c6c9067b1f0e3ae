import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  auditDependencies,
  type DepsGateResult,
  type DepsReport,
  depsToSarif,
  evaluateDepsGate,
  findUserScanConfig,
  MODELSEC_VERSION,
  ModelsecError,
  SEVERITIES,
  type Severity,
  severityRank,
  stableJson,
} from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv, collect, Option } from '../command-kit.js';
import type { Output } from '../output.js';

interface DepsFlags {
  osv?: string[];
  sitePackages?: string[];
  workflows?: string;
  format: 'text' | 'json' | 'sarif';
  output?: string;
  failOn: Severity;
  config?: string;
}

const EXAMPLES = `
Examples:
  $ modelsec deps .                                   lockfiles and .github/workflows of the project
  $ modelsec deps . --osv PyPI/all.zip --osv npm/all.zip   match known vulnerable and malicious packages, offline
  $ modelsec deps requirements.txt --fail-on medium
  $ modelsec deps . --site-packages .venv/lib/python3.11/site-packages   .pth hooks, pickles and models installed
  $ modelsec deps . --format sarif -o deps.sarif      upload with github/codeql-action/upload-sarif

OSV databases: the per-ecosystem all.zip exports osv.dev publishes (the files osv-scanner's offline mode uses), a
directory of OSV JSON records (zip exports inside it are read too), or one JSON record. Only the records naming a
package of the project are kept. Without --osv, known vulnerable and malicious packages are not checked.

Suppressions come from your config (--config FILE, $MODELSEC_CONFIG or .modelsec.json): { "ruleId", "path" (glob
of the lockfile or workflow), "reason" }. Rules: docs/rules.md (MS-DEP-...).

Exit codes: 0 no active finding at or above --fail-on; 1 there is one; 2 usage error, unreadable path, or an input
that is not what it claims (a corrupt OSV zip, a record that is not OSV, a lockfile that is garbage).`;

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

/** `modelsec deps PATH...`. */
export function register(program: Command, env: CliEnv): void {
  program
    .command('deps')
    .description(
      'Audit dependencies and CI offline: known vulnerable or malicious packages (OSV), confusion, typosquats, pinning, installed packages, workflows',
    )
    .argument(
      '<paths...>',
      'project or model directories, or lockfiles (requirements*.txt, pyproject.toml, poetry.lock, uv.lock, Pipfile.lock, environment.yml, package-lock.json)',
    )
    .option('--osv <file|dir>', 'OSV database: an all.zip export, a directory of OSV JSON, or a record (repeatable)', collect)
    .option(
      '--site-packages <dir>',
      "an installed-package tree (a virtualenv's site-packages, an unpacked wheel) (repeatable)",
      collect,
    )
    .option('--workflows <dir>', 'GitHub Actions workflow directory (default: .github/workflows under each directory PATH)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity').choices([...SEVERITIES]).default('high'),
    )
    .option(
      '--config <file>',
      'config with suppressions (default: $MODELSEC_CONFIG, else .modelsec.json from the working directory upward)',
    )
    .addHelpText('after', EXAMPLES)
    .action(
      action(env, async (out: Output, paths: string[], flags: DepsFlags) => {
        const { config, ignored } = findUserScanConfig({
          cwd: env.cwd,
          scannedPaths: paths.map((p) => resolve(env.cwd, p)),
          ...(flags.config ? { flag: flags.config } : {}),
          env: env.env,
        });
        for (const path of ignored)
          out.info(`note: not reading ${path}: configuration comes from you, never from the audited project`);
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
        if (flags.output) {
          try {
            await writeFile(resolve(env.cwd, flags.output), body.endsWith('\n') ? body : `${body}\n`);
          } catch (cause) {
            throw new ModelsecError('FILE_WRITE_FAILED', `cannot write ${flags.output}`, {
              cause,
              details: { path: flags.output },
            });
          }
          out.info(`report written to ${flags.output}`);
        } else out.raw(body);
        return gate.pass ? 0 : 1;
      }),
    );
}
