/**
 * Matches the project's packages against an OsvIndex: one finding per package and group of records that alias each
 * other (a PYSEC and a GHSA record of the same flaw are one finding naming both). `MAL-` records make the finding
 * MS-DEP-002 (critical); vulnerabilities are MS-DEP-001 at the record's rating. Withdrawn records (a `withdrawn`
 * time at or before `now`) are ignored. A package with only a range (no exact version) is matched only against
 * records that affect every version (introduced "0", never fixed), which is how malicious packages are recorded.
 */
import type { DeclaredPackage, DependencyWarning } from '../bom/dependency-types.js';
import { ruleById } from '../scan/rules/index.js';
import { SEVERITIES, type Severity, severityRank } from '../scan/types.js';
import { normalizeName, osvEcosystem, packageKey } from './names.js';
import type { OsvIndex } from './osv-load.js';
import type { OsvAffected, OsvEcosystem, OsvRecord } from './osv-types.js';
import { isMalicious, rateRecord } from './severity.js';
import type { DepsFinding, FindingRecord } from './types.js';
import { affectedCovers, orderFor } from './versions.js';

function isWithdrawn(record: OsvRecord, now: Date): boolean {
  if (record.withdrawn === undefined) return false;
  const at = Date.parse(record.withdrawn);
  return Number.isNaN(at) || at <= now.getTime();
}

/** Every version affected: a range introduced at "0" and never fixed or last_affected. */
function affectsEveryVersion(affected: OsvAffected): boolean {
  return (affected.ranges ?? []).some(
    (r) =>
      (r.type === 'ECOSYSTEM' || r.type === 'SEMVER') &&
      r.events.some((e) => e.introduced === '0') &&
      !r.events.some((e) => e.fixed !== undefined || e.last_affected !== undefined),
  );
}

/** The lowest `fixed` version above `version` in the entry's ranges. */
function fixedAbove(affected: OsvAffected, version: string, ecosystem: OsvEcosystem): string | undefined {
  let best: string | undefined;
  for (const range of affected.ranges ?? []) {
    const order = orderFor(range.type, ecosystem);
    if (!order) continue;
    for (const e of range.events) {
      if (e.fixed === undefined) continue;
      const above = order(e.fixed, version);
      if (above === undefined || above <= 0) continue;
      if (best === undefined || (order(e.fixed, best) ?? 0) < 0) best = e.fixed;
    }
  }
  return best;
}

const ADVISORY_TYPES = new Set(['ADVISORY', 'WEB', 'REPORT', 'ARTICLE']);

function toFindingRecord(record: OsvRecord, fixed: string | undefined): FindingRecord {
  const rating = rateRecord(record);
  return {
    id: record.id,
    aliases: [...new Set(record.aliases ?? [])].sort(),
    ...(record.summary ? { summary: record.summary } : {}),
    ...(record.modified ? { modified: record.modified } : {}),
    severity: rating.severity,
    ratingSource: rating.source,
    ...(rating.score !== undefined ? { score: rating.score, vector: rating.vector } : {}),
    ...(fixed ? { fixed } : {}),
    advisories: [...new Set((record.references ?? []).filter((r) => ADVISORY_TYPES.has(r.type ?? '')).map((r) => r.url))].sort(),
  };
}

function maxSeverity(values: Severity[]): Severity {
  return values.reduce<Severity>((a, b) => (severityRank(b) > severityRank(a) ? b : a), SEVERITIES[0]);
}

/** Groups records that share an id or alias (union-find over ids). */
function groupByAlias(records: FindingRecord[]): FindingRecord[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root && parent.has(root)) root = parent.get(root) as string;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const r of records) {
    union(r.id, r.id);
    for (const alias of r.aliases) union(r.id, alias);
  }
  const groups = new Map<string, FindingRecord[]>();
  for (const r of records) {
    const root = find(r.id);
    const list = groups.get(root);
    if (list) list.push(r);
    else groups.set(root, [r]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

export interface MatchResult {
  findings: DepsFinding[];
  warnings: DependencyWarning[];
}

/** Matches each package of the project against the index. */
export function matchPackages(packages: readonly DeclaredPackage[], index: OsvIndex, now: Date): MatchResult {
  const findings: DepsFinding[] = [];
  const warnings: DependencyWarning[] = [];
  for (const pkg of packages) {
    if (pkg.ecosystem !== 'pypi' && pkg.ecosystem !== 'npm') continue;
    const ecosystem = pkg.ecosystem;
    const name = normalizeName(ecosystem, pkg.name);
    const hits: FindingRecord[] = [];
    for (const record of index.recordsFor(packageKey(ecosystem, pkg.name))) {
      if (isWithdrawn(record, now)) continue;
      let hit = false;
      let fixed: string | undefined;
      for (const affected of record.affected ?? []) {
        const p = affected.package;
        if (!p || osvEcosystem(p.ecosystem) !== ecosystem || normalizeName(ecosystem, p.name) !== name) continue;
        if (pkg.version === undefined) {
          if (isMalicious(record) && affectsEveryVersion(affected)) hit = true;
          continue;
        }
        const outcome = affectedCovers(affected, pkg.version, ecosystem);
        if (outcome === 'affected') {
          hit = true;
          fixed ??= fixedAbove(affected, pkg.version, ecosystem);
        } else if (outcome === 'undecidable') {
          warnings.push({
            code: 'DEPS_VERSION_UNORDERED',
            message: `${pkg.name} ${pkg.version}: not a version ${ecosystem === 'pypi' ? 'PEP 440' : 'semver'} can order; ${record.id}'s ranges could not be evaluated (listed versions still were)`,
            file: pkg.source,
          });
        }
      }
      if (hit) hits.push(toFindingRecord(record, fixed));
    }
    for (const group of groupByAlias(hits)) {
      const malicious = group.some((r) => r.ratingSource === 'malicious');
      const ruleId = malicious ? 'MS-DEP-002' : 'MS-DEP-001';
      const severity = maxSeverity(group.map((r) => r.severity));
      const ids = [...new Set(group.flatMap((r) => [r.id, ...r.aliases]))].sort();
      const fixes = [...new Set(group.map((r) => r.fixed).filter((f): f is string => f !== undefined))];
      const label = `${pkg.name}${pkg.version ? ` ${pkg.version}` : pkg.versionRange ? ` (${pkg.versionRange})` : ''}`;
      const summary = group.find((r) => r.summary)?.summary;
      const message = malicious
        ? `${label} is a known malicious package (${ids.join(', ')})${summary ? `: ${summary}` : ''}`
        : `${label} is affected by ${ids.join(', ')}${summary ? `: ${summary}` : ''}${fixes.length ? ` (fixed in ${fixes.join(', ')})` : ' (no fixed version recorded)'}`;
      findings.push({
        ruleId,
        severity,
        message,
        file: pkg.source,
        package: {
          ecosystem,
          name: pkg.name,
          ...(pkg.version ? { version: pkg.version } : {}),
          purl: pkg.purl,
        },
        records: group,
        evidence: { ids, ...(fixes.length ? { fixed: fixes } : {}) },
        references: [
          ...ids.map((id) => ({ id, url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` })),
          ...(ruleById(ruleId)?.references ?? []),
        ],
      });
    }
  }
  return { findings, warnings };
}
