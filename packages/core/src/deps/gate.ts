/**
 * The gate of `modelsec deps`: it fails when an active (unsuppressed) finding is at or above `failOn`, as `scan`'s
 * gate does for files (`--fail-on`, default high).
 */
import { type Severity, severityRank } from '../scan/types.js';
import type { DepsFinding } from './types.js';

export interface DepsGateResult {
  pass: boolean;
  failOn: Severity;
  /** The failing findings' rule ids and packages (or files), sorted as the report is. */
  failures: { ruleId: string; severity: Severity; file: string; line?: number; package?: string }[];
}

export function evaluateDepsGate(findings: readonly DepsFinding[], failOn: Severity): DepsGateResult {
  const failures = findings
    .filter((f) => !f.suppressed && severityRank(f.severity) >= severityRank(failOn))
    .map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      file: f.file,
      ...(f.line !== undefined ? { line: f.line } : {}),
      ...(f.package ? { package: f.package.purl } : {}),
    }));
  return { pass: failures.length === 0, failOn, failures };
}
