/**
 * The registry's own scan, behind a small interface so the scanner engine (packages/core/src/scan) plugs in as it
 * lands. Until the core barrel exports `scanFile`, `defaultScanner()` returns undefined and a policy that requires
 * a scan refuses the push with REGISTRY_CHECK_UNAVAILABLE (fail closed, never "clean").
 */

import type { FileReport, Severity } from '@modelsec/core';
import * as core from '@modelsec/core';
import { SEVERITIES, severityRank } from '@modelsec/core';
import type { ScanVerdict, StagedFile } from './types.js';

export interface RegistryScanner {
  readonly name: string;
  scan(files: readonly StagedFile[]): Promise<ScanVerdict>;
}

function isFileReport(value: unknown): value is FileReport {
  const r = value as Partial<FileReport> | null;
  return typeof r === 'object' && r !== null && Array.isArray(r.findings) && Array.isArray(r.errors);
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

/** The core scanner when its engine is exported (`scanFile(path, options, display)` → FileReport), else undefined. */
export function defaultScanner(): RegistryScanner | undefined {
  const scanFile = (core as Record<string, unknown>).scanFile;
  if (typeof scanFile !== 'function') return undefined;
  return {
    name: 'modelsec',
    async scan(files) {
      const reports: FileReport[] = [];
      for (const file of files) {
        // Blobs are named by digest: the engine detects formats from content, and reports the manifest path. The
        // blob store verified the digest when the blob was written, so the scan need not hash the bytes again.
        const report: unknown = await (scanFile as (p: string, o: object, display: string, sha256: string) => Promise<unknown>)(
          file.localPath,
          {},
          file.path,
          file.digest,
        );
        if (!isFileReport(report)) throw new Error(`scanner returned an unexpected report for ${file.path}`);
        reports.push(report);
      }
      return verdictFromReports(files, reports, 'modelsec');
    },
  };
}

export { SEVERITIES };
