/**
 * The registry's own scan, behind a small interface: the core scanner engine by default, another (or none) given
 * to createRegistry. Without a scanner, a policy that requires a scan refuses the push with
 * REGISTRY_CHECK_UNAVAILABLE (fail closed, never "clean").
 */

import { type FileReport, type Severity, scanFile, severityRank } from '@modelsec/core';
import type { ScanVerdict, StagedFile } from './types.js';

export interface RegistryScanner {
  readonly name: string;
  scan(files: readonly StagedFile[]): Promise<ScanVerdict>;
}

function maxOf(severities: Severity[]): Severity | null {
  let best: Severity | null = null;
  for (const s of severities) if (best === null || severityRank(s) > severityRank(best)) best = s;
  return best;
}

/** Summarises per-file reports into a verdict. Scan errors (unparseable files) count as high: fail closed. */
export function verdictFromReports(files: readonly StagedFile[], reports: readonly FileReport[], scanner: string): ScanVerdict {
  const perFile = files.map((file, i) => {
    const report = reports[i] as FileReport;
    const severities = report.findings.filter((f) => !f.suppressed).map((f) => f.severity);
    if (report.errors.length > 0) severities.push('high');
    return {
      path: file.path,
      maxSeverity: maxOf(severities),
      rules: [...new Set(report.findings.map((f) => f.ruleId))].sort(),
      errors: report.errors.length,
    };
  });
  return {
    status: 'scanned',
    maxSeverity: maxOf(perFile.flatMap((f) => (f.maxSeverity ? [f.maxSeverity] : []))),
    findings: reports.reduce((n, r) => n + r.findings.length, 0),
    files: perFile.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    scanner,
  };
}

/** The core scanner engine over the stored blobs. */
export function defaultScanner(): RegistryScanner {
  return {
    name: 'modelsec',
    async scan(files) {
      const reports: FileReport[] = [];
      // Blobs are named by digest: the engine detects formats from content and reports the manifest path. The blob
      // store verified each digest when the blob was written, so the scan need not hash the bytes again.
      for (const file of files) reports.push(await scanFile(file.localPath, {}, file.path, file.digest));
      return verdictFromReports(files, reports, 'modelsec');
    },
  };
}
