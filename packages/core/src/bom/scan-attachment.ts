import type { FileReport } from '../scan/types.js';
import { severityRank } from '../scan/types.js';
import type { ScanAttachment } from './build.js';

/** Characters of a finding's evidence kept in the vulnerability detail. */
export const MAX_FINDING_DETAIL_CHARS = 2_000;

/**
 * Turns the scanner's per-file reports into what the BOM carries: per-file properties (format, verdict, counts)
 * and every unsuppressed finding as a vulnerability with modelsec as its source. Report paths are relative to the
 * model root, as the BOM's file component names are. A file with parse errors is never "clean".
 */
export function scanReportsToAttachment(reports: readonly FileReport[], tool: { name: string; version: string }): ScanAttachment {
  const files: ScanAttachment['files'] = [];
  const findings: ScanAttachment['findings'] = [];
  for (const report of reports) {
    const active = report.findings.filter((f) => !f.suppressed);
    const worst = active.reduce<string | undefined>(
      (w, f) => (w === undefined || severityRank(f.severity) > severityRank(w as never) ? f.severity : w),
      undefined,
    );
    const verdict = worst ?? (report.errors.length > 0 ? 'unscannable' : 'clean');
    files.push({
      path: report.path,
      properties: [
        { name: 'modelsec:scan:format', value: report.format },
        { name: 'modelsec:scan:verdict', value: verdict },
        { name: 'modelsec:scan:findings', value: String(active.length) },
        ...(report.errors.length > 0 ? [{ name: 'modelsec:scan:errors', value: String(report.errors.length) }] : []),
      ],
    });
    for (const f of active) {
      const where = f.location.members?.length ? ` in ${f.location.members.join(' > ')}` : '';
      findings.push({
        id: f.ruleId,
        file: report.path,
        severity: f.severity,
        description: `${f.message}${where}`,
        detail: JSON.stringify({ location: f.location, evidence: f.evidence, references: f.references }).slice(
          0,
          MAX_FINDING_DETAIL_CHARS,
        ),
      });
    }
  }
  return { tool, files, findings };
}
