/**
 * SARIF 2.1.0 of a deps report, for GitHub code scanning: one result per finding, located at the line of the
 * requirement (or workflow step) in its file, rules described from the one catalogue, a partial fingerprint per
 * result, suppressed findings carried with their reason.
 */
import { createHash } from 'node:crypto';
import { RULES } from '../scan/rules/index.js';
import { sarifLevel as level, SARIF_SECURITY_SEVERITY, sarifArtifactUri, sarifRule } from '../scan/sarif.js';
import type { DepsGateResult } from './gate.js';
import type { DepsReport } from './types.js';

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
          artifactLocation: { uri: sarifArtifactUri(f.file) },
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
      'security-severity': SARIF_SECURITY_SEVERITY[f.severity],
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
            rules: rules.map((r) => sarifRule(r, level(r.severity), ['security', 'supply-chain'])),
          },
        },
        results,
        properties: { summary: report.summary, gate },
      },
    ],
  };
}
