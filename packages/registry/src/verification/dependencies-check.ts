/**
 * The namespace policy's `dependencies` rule, evaluated at push from the attached ML-BOM: the dependency audit
 * `modelsec bom --deps-audit` recorded (vulnerabilities carrying the `modelsec:deps:rule` property, each affecting
 * a library component). A vulnerability above `maxSeverity`, or any known malicious package (an OSV `MAL-` record,
 * rule MS-DEP-002) when `refuseMalicious`, refuses the push; the refusal names each package and record. An ML-BOM
 * without a recorded audit, or `refuseMalicious` with an audit that read no OSV database, fails closed.
 */
import { DEPS_AUDIT_PROPERTY } from '@modelsec/core/bom';
import { SEVERITIES, type Severity, severityRank } from '@modelsec/core/scan';
import type { FailedRule } from './types.js';

export interface DependenciesPolicy {
  maxSeverity: Severity;
  refuseMalicious: boolean;
}

interface BomVulnerability {
  id?: unknown;
  ratings?: { severity?: unknown }[];
  affects?: { ref?: unknown }[];
  properties?: { name?: unknown; value?: unknown }[];
}

const isSeverity = (v: unknown): v is Severity => typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);

/** The failed rules of the `dependencies` policy for a JSON ML-BOM text (undefined text: no ML-BOM was pushed). */
export function checkDependencies(text: string | undefined, policy: DependenciesPolicy): FailedRule[] {
  const refuse = (message: string, details?: Record<string, unknown>): FailedRule[] => [
    { rule: 'dependencies', code: 'POLICY_DENIED', message, ...(details ? { details } : {}) },
  ];
  if (text === undefined)
    return refuse('the policy checks dependencies: an ML-BOM with a dependency audit (modelsec bom --deps-audit) is required');
  let bom: {
    metadata?: { properties?: { name?: unknown; value?: unknown }[] };
    components?: { 'bom-ref'?: unknown; name?: unknown; version?: unknown }[];
    vulnerabilities?: BomVulnerability[];
  };
  try {
    bom = JSON.parse(text);
  } catch {
    return [
      { rule: 'dependencies', code: 'REGISTRY_CHECK_UNAVAILABLE', message: 'dependencies are checked on JSON ML-BOMs only' },
    ];
  }
  const audit = (bom.metadata?.properties ?? []).find((p) => p.name === DEPS_AUDIT_PROPERTY);
  if (!audit || typeof audit.value !== 'string')
    return refuse('the policy checks dependencies and the ML-BOM records no dependency audit (modelsec bom --deps-audit)');
  const osvSources = Number(/osv-sources=(\d+)/.exec(audit.value)?.[1] ?? '0');
  const failed: FailedRule[] = [];
  if (policy.refuseMalicious && osvSources === 0)
    failed.push(...refuse('the policy refuses malicious packages and the dependency audit read no OSV database (--osv)'));
  const names = new Map<string, string>();
  for (const c of bom.components ?? [])
    if (typeof c['bom-ref'] === 'string') names.set(c['bom-ref'], `${String(c.name)}${c.version ? ` ${String(c.version)}` : ''}`);
  const tooSevere: { package: string; id: string; severity: Severity }[] = [];
  const malicious: { package: string; id: string }[] = [];
  for (const v of bom.vulnerabilities ?? []) {
    const rule = (v.properties ?? []).find((p) => p.name === 'modelsec:deps:rule')?.value;
    if (typeof rule !== 'string') continue; // the model scan's findings are the scan rule's
    const id = typeof v.id === 'string' ? v.id : rule;
    const severity = (v.ratings ?? [])
      .map((r) => r.severity)
      .filter(isSeverity)
      .reduce<Severity>((a, b) => (severityRank(b) > severityRank(a) ? b : a), 'info');
    for (const a of v.affects ?? []) {
      const ref = typeof a.ref === 'string' ? a.ref : '';
      const pkg = names.get(ref) ?? ref;
      if (severityRank(severity) > severityRank(policy.maxSeverity)) tooSevere.push({ package: pkg, id, severity });
      if (policy.refuseMalicious && (rule === 'MS-DEP-002' || id.startsWith('MAL-'))) malicious.push({ package: pkg, id });
    }
  }
  if (malicious.length > 0)
    failed.push(
      ...refuse(`known malicious packages: ${malicious.map((m) => `${m.package} (${m.id})`).join(', ')}`, {
        packages: malicious,
      }),
    );
  if (tooSevere.length > 0)
    failed.push(
      ...refuse(
        `dependency findings above the allowed ${policy.maxSeverity}: ${tooSevere.map((m) => `${m.package} (${m.id}, ${m.severity})`).join(', ')}`,
        { packages: tooSevere },
      ),
    );
  return failed;
}
