/**
 * The dependency audit in ML-BOM terms (`modelsec bom --deps-audit`): each finding about a package becomes a
 * CycloneDX vulnerability whose `affects` names the library component (its bom-ref is the package's purl). An OSV
 * finding carries its record id (the first of the merged records), the other ids as references, one rating per
 * record (CVSS v3 score and vector when the record has one) and the advisories; a rule without a record (a
 * typosquat, a known confusion name) carries the rule id with modelsec as its source.
 */
import type { DepsAuditAttachment } from '../bom/build.js';
import { ruleById } from '../scan/rules/index.js';
import type { DepsFinding } from './types.js';

export function depsFindingsToAttachment(
  findings: readonly DepsFinding[],
  tool: { name: string; version: string },
  osvSources = 0,
): DepsAuditAttachment {
  const vulnerabilities: DepsAuditAttachment['vulnerabilities'] = [];
  for (const f of findings) {
    if (f.suppressed) continue;
    const rule = ruleById(f.ruleId);
    const [first, ...others] = f.records ?? [];
    if (first) {
      const aliases = [...new Set([...first.aliases, ...others.flatMap((r) => [r.id, ...r.aliases])])]
        .filter((id) => id !== first.id)
        .sort();
      const fixed = [...new Set((f.records ?? []).map((r) => r.fixed).filter((x): x is string => x !== undefined))];
      vulnerabilities.push({
        id: first.id,
        source: { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(first.id)}` },
        aliases,
        ...(f.package ? { affects: f.package.purl } : {}),
        ratings: (f.records ?? []).map((r) => ({
          severity: r.severity,
          ...(r.score !== undefined ? { score: r.score } : {}),
          ...(r.vector ? { vector: r.vector } : {}),
        })),
        description: f.message,
        advisories: [...new Set((f.records ?? []).flatMap((r) => r.advisories))].sort(),
        ...(fixed.length
          ? { recommendation: `Upgrade to ${fixed.join(' or ')} or later.` }
          : rule
            ? { recommendation: rule.fix }
            : {}),
        ruleId: f.ruleId,
      });
    } else {
      vulnerabilities.push({
        id: f.ruleId,
        source: { name: tool.name },
        aliases: [],
        ...(f.package ? { affects: f.package.purl } : {}),
        ratings: [{ severity: f.severity }],
        description: f.message,
        advisories: [],
        ...(rule ? { recommendation: rule.fix } : {}),
        ruleId: f.ruleId,
      });
    }
  }
  return { tool, osvSources, vulnerabilities };
}
