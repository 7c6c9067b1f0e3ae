/**
 * SARIF 2.1.0 rendering of a scan report, in the shape GitHub code scanning accepts: one run, the tool's rules
 * (from RULES) with help text, one result per unsuppressed or suppressed finding (suppressions carry the reason),
 * artifact locations relative to the scan root, and a partialFingerprint per result for stable alerts.
 */
import { createHash } from 'node:crypto';
import type { ScanReport } from './engine.js';
import { RULES } from './rules/index.js';
import type { Severity } from './types.js';

function level(severity: Severity): 'error' | 'warning' | 'note' {
  return severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'note';
}

/** GitHub's security-severity score (0-10) for each severity. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.8', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };

export function toSarif(report: ScanReport, toolVersion = '0.0.0'): Record<string, unknown> {
  const used = new Set(report.files.flatMap((f) => f.findings.map((x) => x.ruleId)));
  const rules = RULES.filter((r) => used.has(r.id));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const results = report.files.flatMap((file) =>
    file.findings.map((f) => {
      const members = f.location.members ?? [];
      const where = members.length ? ` (in ${members.join(' > ')})` : '';
      const fingerprint = createHash('sha256')
        .update(`${f.ruleId}\0${file.path}\0${members.join('\0')}\0${f.message}`)
        .digest('hex');
      return {
        ruleId: f.ruleId,
        ruleIndex: ruleIndex.get(f.ruleId) ?? 0,
        level: level(f.severity),
        message: { text: `${f.message}${where}` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: encodeURI(file.path.replace(/^\.\//, '').replace(/^\//, '')) },
              region: { startLine: 1 },
            },
          },
        ],
        partialFingerprints: { 'modelsec/v1': fingerprint },
        properties: {
          severity: f.severity,
          sha256: file.sha256,
          format: file.format,
          evidence: f.evidence,
          location: f.location,
        },
        ...(f.suppressed ? { suppressions: [{ kind: 'external', justification: f.suppressed.reason }] } : {}),
      };
    }),
  );
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'modelsec',
            informationUri: 'https://github.com/modelsec/modelsec',
            semanticVersion: toolVersion,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.title
                .replace(/[^A-Za-z0-9]+/g, ' ')
                .trim()
                .replace(/ (\w)/g, (_, c: string) => c.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.summary },
              help: { text: `${r.why} Fix: ${r.fix}`, markdown: `${r.why}\n\n**Fix:** ${r.fix}` },
              defaultConfiguration: { level: level(r.severity) },
              properties: {
                tags: ['security', ...r.references.map((ref) => ref.id)],
                'security-severity': SECURITY_SEVERITY[r.severity],
              },
            })),
          },
        },
        results,
      },
    ],
  };
}
