/**
 * The registry's own scan, behind a small interface: the core scanner engine by default, another (or none) given
 * to createRegistry. Without a scanner, a policy that requires a scan refuses the push with
 * REGISTRY_CHECK_UNAVAILABLE (fail closed, never "clean").
 */

import {
  FILE_VERDICTS,
  type FileReport,
  gateFileOf,
  MODELSEC_VERSION,
  type Severity,
  scanFile,
  severityRank,
  summarise,
} from '@modelsec/core/scan';
import type { LoggedScan } from '@modelsec/core/tlog';
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

/**
 * Summarises per-file reports into a verdict, per file as the core gate reads it (verdict, highest active severity,
 * active rules). Whether it passes is decided by the core gate (evaluateGate), never here: a file that could not be
 * fully inspected is `incomplete`, which the default policy refuses.
 */
export function verdictFromReports(files: readonly StagedFile[], reports: readonly FileReport[], scanner: string): ScanVerdict {
  const perFile = files.map((file, i) => {
    const report = reports[i] as FileReport;
    const gate = gateFileOf(report);
    return {
      path: file.path,
      verdict: gate.verdict,
      maxSeverity: gate.maxSeverity,
      rules: [...gate.rules],
      errors: report.errors.length,
    };
  });
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  // The report names each file by its manifest path (the engine was given it), whatever the blob's local name.
  const named = reports.map((r, i) => ({ ...r, path: (files[i] as StagedFile).path })).sort(byPath);
  return {
    status: 'scanned',
    maxSeverity: maxOf(perFile.flatMap((f) => (f.maxSeverity ? [f.maxSeverity] : []))),
    findings: reports.reduce((n, r) => n + r.findings.filter((f) => !f.suppressed).length, 0),
    incomplete: perFile.filter((f) => f.verdict === 'incomplete').length,
    files: perFile.sort(byPath),
    scanner,
    report: { schemaVersion: '1', tool: { name: 'modelsec' }, files: named, summary: summarise(named) },
  };
}

/**
 * The scan as the publish log entry records it (what a client's gate reads), computed from the per-file gate data
 * (`gateFileOf` verdicts and highest active severities), never from a free-form summary.
 */
export function loggedScanOf(scan: ScanVerdict, reportDigest: string | null): LoggedScan {
  const verdicts = Object.fromEntries(FILE_VERDICTS.map((v) => [v, 0])) as LoggedScan['verdicts'];
  for (const f of scan.files) verdicts[f.verdict]++;
  return {
    status: scan.status,
    scanner: scan.status === 'scanned' ? (scan.scanner ?? 'unknown') : 'none',
    maxSeverity: maxOf(scan.files.flatMap((f) => (f.maxSeverity ? [f.maxSeverity] : []))),
    incompleteFiles: verdicts.incomplete,
    verdicts,
    reportDigest: scan.status === 'scanned' ? reportDigest : null,
  };
}

/** The core scanner engine over the stored blobs. */
export function defaultScanner(): RegistryScanner {
  return {
    name: `modelsec ${MODELSEC_VERSION}`,
    async scan(files) {
      const reports: FileReport[] = [];
      // Blobs are named by digest: the engine detects formats from content and reports the manifest path. The blob
      // store verified each digest before the scan, so the scan need not hash the bytes again. One blob listed under
      // many paths is scanned once per file name (the engine reads the bytes, and the name for a few text formats:
      // `.py`, shell, templates), so a manifest repeating a blob does not multiply the work.
      const scanned = new Map<string, FileReport>();
      for (const file of files) {
        const key = `${file.digest}/${file.path.slice(file.path.lastIndexOf('/') + 1)}`;
        let report = scanned.get(key);
        if (!report) {
          report = await scanFile(file.localPath, {}, file.path, file.digest);
          scanned.set(key, report);
        }
        reports.push({ ...report, path: file.path });
      }
      return verdictFromReports(files, reports, `modelsec ${MODELSEC_VERSION}`);
    },
  };
}
