/**
 * SARIF 2.1.0 of a deps report, for GitHub code scanning: one result per finding, located at the line of the
 * requirement (or workflow step) in its file, rules described from the one catalogue, a partial fingerprint per
 * result, suppressed findings carried with their reason.
 */
import { createHash } from 'node:crypto';
import { RULES } from '../scan/rules/index.js';
import type { Severity } from '../scan/types.js';
import type { DepsGateResult } from './gate.js';
import type { DepsReport } from './types.js';

function level(severity: Severity): 'error' | 'warning' | 'note' {
  return severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'note';
}

const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.8', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };

export function depsToSarif(report: DepsReport, gate: DepsGateResult, version = '0.0.0'): Record<string, unknown> {
  const used = new Set(report.findings.map((f) => f.ruleId));
  const rules = RULES.filter((r) => used.has(r.id));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const results = report.findings.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: ruleIndex.get(f.ruleId) ?? 0,
    level: level(f.severity),
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(f.file.replace(/^\.\//, '').replace(/^\//, '')) },
          region: { startLine: f.line ?? 1 },
        },
      },
    ],
    partialFingerprints: {
      'modelsec/v1': createHash('sha256')
        .update(`${f.ruleId}\0${f.file}\0${f.package?.purl ?? ''}\0${f.message}`)
        .digest('hex'),
    },
    properties: {
      severity: f.severity,
      'security-severity': SECURITY_SEVERITY[f.severity],
      ...(f.package ? { package: f.package } : {}),
      ...(f.records ? { records: f.records.map((r) => r.id) } : {}),
      evidence: f.evidence,
    },
    ...(f.suppressed ? { suppressions: [{ kind: 'external', justification: f.suppressed.reason }] } : {}),
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'modelsec',
            informationUri: 'https://github.com/modelsec/modelsec',
            semanticVersion: version,
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
                tags: ['security', 'supply-chain', ...r.references.map((ref) => ref.id)],
                'security-severity': SECURITY_SEVERITY[r.severity],
              },
            })),
          },
        },
        results,
        properties: { summary: report.summary, gate },
      },
    ],
  };
}
