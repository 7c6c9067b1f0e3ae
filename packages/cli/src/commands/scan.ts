import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  evaluateGate,
  type FileReport,
  findUserScanConfig,
  type GateResult,
  isHubReference,
  MODELSEC_VERSION,
  ModelsecError,
  SCAN_CONFIG_ENV,
  type ScanReport,
  SEVERITIES,
  type Severity,
  scanPaths,
  severityRank,
  stableJson,
  toSarif,
} from '@modelsec/core/scan';
import type { Command } from 'commander';
import { action, type CliEnv, Option, parseIntegerOption } from '../command-kit.js';
import type { Output } from '../output.js';
import { type AttestFlags, addAttestOptions, checkAttestFlags, signedSetFor, writeAttestation } from './attest-flags.js';

interface ScanFlags extends AttestFlags {
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
      lines.push(`  ${f.path}: ${why} (${f.rules.join(', ')})`);
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
  const link = file.symlink ? ` -> ${file.symlink.target}${file.symlink.leavesRoot ? ' (outside the scanned root)' : ''}` : '';
  const lines = [`${out.paint('bold', file.path)}${link}  [${file.format}, ${file.size} bytes]  ${verdict}`];
  for (const f of file.findings) {
    const where = f.location.members?.length ? ` (in ${f.location.members.join(' > ')})` : '';
    const tag = f.suppressed ? ` [suppressed: ${f.suppressed.reason}]` : f.incomplete ? ' [not fully inspected]' : '';
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.ruleId}  ${f.message}${where}${tag}`);
  }
  lines.push('');
  return lines;
}

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
    action(env, async (out: Output, paths: string[], flags: ScanFlags) => {
      checkAttestFlags(flags, paths);
      if (flags.attest && isHubReference(paths[0] as string))
        throw new ModelsecError('USAGE', '--attest needs a local, signed model directory');
      // The signed file set first: an attestation about files that are not the signed ones is refused before scanning.
      const signed = flags.attest ? await signedSetFor(env, out, paths[0] as string, flags) : undefined;
      const local: string[] = [];
      /** Snapshot directory → `hf://repo@commit`, so reports name Hub files by their Hub address. */
      const hubNames = new Map<string, string>();
      const symlinkRoots: string[] = [];
      for (const p of paths) {
        if (isHubReference(p)) {
          out.info(`downloading ${p} into the Hugging Face cache...`);
          // The Hub client loads only when a Hub reference is scanned (see @modelsec/core/scan).
          const { downloadSnapshot } = await import('@modelsec/core');
          const snapshot = await downloadSnapshot(p, { env: env.env });
          local.push(snapshot.path);
          symlinkRoots.push(dirname(dirname(snapshot.path))); // the repo's cache dir: snapshots link into blobs/
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
          symlinkRoots,
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
      const body =
        flags.format === 'sarif'
          ? stableJson(toSarif(report, { version: MODELSEC_VERSION, gate: gateOptions }))
          : flags.format === 'json' || out.json
            ? stableJson({ ...report, gate: { ...gate, ...gateOptions } })
            : textReport(report, gateOptions, gate, out);
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
      if (signed) {
        const { buildScanPredicate, SCAN_PREDICATE_TYPE } = await import('@modelsec/core');
        const predicate = buildScanPredicate(report, paths[0] as string, signed, {
          config,
          strict: Boolean(flags.strict),
          cwd: env.cwd,
        });
        const written = await writeAttestation(
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
      return gate.pass ? 0 : 1;
    }),
  );
}
