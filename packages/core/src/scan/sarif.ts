/**
 * SARIF 2.1.0 rendering of a scan report, in the shape GitHub code scanning accepts: one run, the tool's rules
 * (from RULES) with help text, one result per finding (suppressed ones carry the suppression and its reason),
 * artifact locations relative to the scan root, and a partialFingerprint per result for stable alerts.
 *
 * The decision model shows: a finding whose rule means "not fully inspected" fails the default gate, so it is an
 * `error` result (whatever its severity) whose message says the file is incomplete; every result carries the file's
 * verdict; the run's properties hold the gate (options, pass, failing files).
 */
import { createHash } from 'node:crypto';
import type { ScanReport } from './engine.js';
import { DEFAULT_GATE, evaluateGate, type GateOptions } from './gate.js';
import { RULES, type RuleSpec } from './rules/index.js';
import type { Severity } from './types.js';

export type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(severity: Severity): SarifLevel {
  return severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'note';
}
const level = sarifLevel;

/** GitHub's security-severity score (0-10) for each severity. */
export const SARIF_SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.8',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

/** A path relative to the scan root as a SARIF artifact URI. */
export const sarifArtifactUri = (path: string): string => encodeURI(path.replace(/^\.\//, '').replace(/^\//, ''));

/** A rule of the catalogue as a SARIF reportingDescriptor (scan and deps reports describe rules the same way). */
export function sarifRule(
  r: RuleSpec,
  defaultLevel: SarifLevel,
  tags: readonly string[],
  properties: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: r.id,
    name: r.title
      .replace(/[^A-Za-z0-9]+/g, ' ')
      .trim()
      .replace(/ (\w)/g, (_, c: string) => c.toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: r.summary },
    help: { text: `${r.why} Fix: ${r.fix}`, markdown: `${r.why}\n\n**Fix:** ${r.fix}` },
    defaultConfiguration: { level: defaultLevel },
    properties: {
      tags: [...tags, ...r.references.map((ref) => ref.id)],
      'security-severity': SARIF_SECURITY_SEVERITY[r.severity],
      ...properties,
    },
  };
}

export interface SarifOptions {
  /** The tool's version (driver.semanticVersion). */
  version?: string;
  /** The gate the results were judged by (default: the CLI's default gate). */
  gate?: GateOptions;
}

export function toSarif(report: ScanReport, options: SarifOptions = {}): Record<string, unknown> {
  const { version = '0.0.0', gate: gateOptions = DEFAULT_GATE } = options;
  const used = new Set(report.files.flatMap((f) => f.findings.map((x) => x.ruleId)));
  const rules = RULES.filter((r) => used.has(r.id));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const gate = evaluateGate(report.files, gateOptions);
  const results = report.files.flatMap((file) =>
    file.findings.map((f) => {
      const members = f.location.members ?? [];
      const where = members.length ? ` (in ${members.join(' > ')})` : '';
      const fingerprint = createHash('sha256')
        .update(`${f.ruleId}\0${file.path}\0${members.join('\0')}\0${f.message}`)
        .digest('hex');
      const incomplete = f.incomplete === true;
      const prefix = incomplete
        ? `Not fully inspected (the file is incomplete${gateOptions.allowIncomplete ? '' : ' and fails the gate'}): `
        : '';
      return {
        ruleId: f.ruleId,
        ruleIndex: ruleIndex.get(f.ruleId) ?? 0,
        level: incomplete ? 'error' : level(f.severity),
        message: { text: `${prefix}${f.message}${where}` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: sarifArtifactUri(file.path) },
              region: { startLine: 1 },
            },
          },
        ],
        partialFingerprints: { 'modelsec/v1': fingerprint },
        properties: {
          severity: f.severity,
          verdict: file.verdict,
          ...(incomplete ? { incomplete: true } : {}),
          sha256: file.sha256,
          format: file.format,
          evidence: f.evidence,
          location: f.location,
          ...(file.symlink ? { symlink: file.symlink } : {}),
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
            semanticVersion: version,
            rules: rules.map((r) =>
              sarifRule(
                r,
                r.outcome === 'incomplete' ? 'error' : level(r.severity),
                ['security', ...(r.outcome === 'incomplete' ? ['incomplete'] : [])],
                { outcome: r.outcome },
              ),
            ),
          },
        },
        results,
        properties: {
          summary: report.summary,
          gate: { ...gateOptions, pass: gate.pass, failures: gate.failures },
        },
      },
    ],
  };
}
