/**
 * The scan gate: one function decides whether scan results pass, for the CLI (`scan --fail-on`, `--allow-incomplete`)
 * and for the registry's policy at push and the clients' checks (`scan.maxSeverity`, `scan.allowIncomplete`). Nobody
 * maps scan results to a pass or a fail on their own (docs/rules.md, "Decision model").
 */
import { type FileReport, type FileVerdict, type Finding, SEVERITIES, type Severity, severityRank } from './types.js';

/** The per-file facts the gate reads: what a full report holds, and what the registry stores of one. */
export interface GateFile {
  path: string;
  verdict: FileVerdict;
  /** Highest active (unsuppressed) severity, or null. */
  maxSeverity: Severity | null;
  /** Rule ids of the active findings, sorted. */
  rules: readonly string[];
}

export interface GateOptions {
  /**
   * A file fails when an active finding is at or above this severity. `undefined`: severities never fail (a
   * policy whose `maxSeverity` is `critical` allows everything).
   */
  failOn: Severity | undefined;
  /** Incomplete files pass (only by the user's explicit choice; the default fails them). */
  allowIncomplete: boolean;
}

/** The CLI's default: fail at high or above, fail incomplete files. */
export const DEFAULT_GATE: GateOptions = Object.freeze({ failOn: 'high', allowIncomplete: false });

export interface GateFailure {
  path: string;
  reason: 'severity' | 'incomplete';
  /** The file's highest active severity. */
  maxSeverity: Severity | null;
  rules: readonly string[];
}

export interface GateResult {
  pass: boolean;
  /** Every failing file, each with its reasons (a file can fail for both), sorted by path. */
  failures: GateFailure[];
}

/** The verdict of a file from its findings (suppressed findings do not count). */
export function verdictOf(findings: readonly Finding[]): FileVerdict {
  const active = findings.filter((f) => !f.suppressed);
  if (active.some((f) => f.incomplete)) return 'incomplete';
  return active.length > 0 ? 'findings' : 'clean';
}

function maxSeverityOf(findings: readonly Finding[]): Severity | null {
  let max: Severity | null = null;
  for (const f of findings) if (!f.suppressed && (max === null || severityRank(f.severity) > severityRank(max))) max = f.severity;
  return max;
}

/** The gate's view of one file report. */
export function gateFileOf(report: FileReport): GateFile {
  const active = report.findings.filter((f) => !f.suppressed);
  return {
    path: report.path,
    verdict: verdictOf(report.findings),
    maxSeverity: maxSeverityOf(report.findings),
    rules: [...new Set(active.map((f) => f.ruleId))].sort(),
  };
}

/**
 * The `failOn` that enforces a policy's `maxSeverity` (the highest severity it allows): the next severity above it,
 * or undefined when it allows `critical`.
 */
export function failOnAbove(maxAllowed: Severity): Severity | undefined {
  return SEVERITIES[severityRank(maxAllowed) + 1];
}

/** Decides whether files pass. */
export function evaluateGate(files: readonly (GateFile | FileReport)[], options: GateOptions): GateResult {
  const failures: GateFailure[] = [];
  for (const input of files) {
    const file = 'findings' in input ? gateFileOf(input) : input;
    if (file.verdict === 'incomplete' && !options.allowIncomplete)
      failures.push({ path: file.path, reason: 'incomplete', maxSeverity: file.maxSeverity, rules: file.rules });
    if (
      options.failOn !== undefined &&
      file.maxSeverity !== null &&
      severityRank(file.maxSeverity) >= severityRank(options.failOn)
    )
      failures.push({ path: file.path, reason: 'severity', maxSeverity: file.maxSeverity, rules: file.rules });
  }
  failures.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return { pass: failures.length === 0, failures };
}
