/**
 * Version matching with OSV's semantics (https://ossf.github.io/osv-schema/#evaluation): a version is affected
 * when it is listed in `versions`, or falls in a range whose sorted events last set "affected" (`introduced`,
 * with "0" below every version) before it without a later `fixed` (at or below the version) or `last_affected`
 * (strictly below it). `limit` events do not change matching. `ECOSYSTEM` ranges order versions as the ecosystem
 * does: PEP 440 for PyPI (@renovatebot/pep440: epochs, pre-, post-, dev- and local versions) and semver for npm;
 * `SEMVER` ranges use semver 2.0 (a leading "v" tolerated, as osv-scanner does). `GIT` ranges name commits, not
 * versions, and never match a package version.
 */
import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';
import type { OsvAffected, OsvEcosystem, OsvEvent, OsvRange } from './osv-types.js';

/** Orders two versions of one ecosystem; undefined when either is not a valid version there. */
export type VersionOrder = (a: string, b: string) => number | undefined;

function pep440Compare(a: string, b: string): number | undefined {
  if (pep440.parse(a) === null || pep440.parse(b) === null) return undefined;
  return Math.sign(pep440.compare(a, b));
}

function semverParse(v: string): semver.SemVer | null {
  return semver.parse(v.startsWith('v') ? v.slice(1) : v);
}

function semverCompare(a: string, b: string): number | undefined {
  const pa = semverParse(a);
  const pb = semverParse(b);
  if (!pa || !pb) return undefined;
  return pa.compare(pb);
}

/** The order a range uses for versions of a package of `ecosystem`, or undefined for a range type with none. */
export function orderFor(rangeType: string, ecosystem: OsvEcosystem): VersionOrder | undefined {
  if (rangeType === 'SEMVER') return semverCompare;
  if (rangeType === 'ECOSYSTEM') return ecosystem === 'pypi' ? pep440Compare : semverCompare;
  return undefined;
}

/** Whether `version` is a valid version of the ecosystem (PEP 440 for PyPI, semver for npm). */
export function isValidVersion(version: string, ecosystem: OsvEcosystem): boolean {
  return ecosystem === 'pypi' ? pep440.parse(version) !== null : semverParse(version) !== null;
}

/** Two version strings name the same release (PEP 440 equality for PyPI: `1.0` is `1.0.0`; exact for npm). */
export function sameVersion(a: string, b: string, ecosystem: OsvEcosystem): boolean {
  if (a === b) return true;
  if (ecosystem === 'pypi') return pep440Compare(a, b) === 0;
  return semverCompare(a, b) === 0;
}

function eventVersion(event: OsvEvent): string | undefined {
  return event.introduced ?? event.fixed ?? event.last_affected ?? event.limit;
}

/** The outcome of one range: affected, not affected, or not decidable (a version the order cannot read). */
export type RangeOutcome = 'affected' | 'unaffected' | 'undecidable';

/** Evaluates one OSV range for a version. */
export function evaluateRange(range: OsvRange, version: string, ecosystem: OsvEcosystem): RangeOutcome {
  const order = orderFor(range.type, ecosystem);
  if (!order) return 'unaffected';
  if (order(version, version) === undefined) return 'undecidable';
  const events: OsvEvent[] = [];
  for (const event of range.events) {
    const v = eventVersion(event);
    if (v === undefined) continue;
    if (v !== '0' && order(v, v) === undefined) return 'undecidable';
    events.push(event);
  }
  // Sort by version, "0" (introduced at the beginning of time) first; stable for equal versions.
  const sorted = events
    .map((event, index) => ({ event, index }))
    .sort((x, y) => {
      const vx = eventVersion(x.event) as string;
      const vy = eventVersion(y.event) as string;
      if (vx === '0' && vy === '0') return x.index - y.index;
      if (vx === '0') return -1;
      if (vy === '0') return 1;
      return (order(vx, vy) as number) || x.index - y.index;
    })
    .map((x) => x.event);
  let affected = false;
  for (const event of sorted) {
    if (event.introduced !== undefined) {
      if (event.introduced === '0' || (order(version, event.introduced) as number) >= 0) affected = true;
    } else if (event.fixed !== undefined) {
      if ((order(version, event.fixed) as number) >= 0) affected = false;
    } else if (event.last_affected !== undefined) {
      if ((order(version, event.last_affected) as number) > 0) affected = false;
    }
  }
  return affected ? 'affected' : 'unaffected';
}

/** Whether one `affected` entry covers `version`: listed in `versions`, or inside one of its ranges. */
export function affectedCovers(affected: OsvAffected, version: string, ecosystem: OsvEcosystem): RangeOutcome {
  if (affected.versions?.some((v) => sameVersion(v, version, ecosystem))) return 'affected';
  let undecidable = false;
  for (const range of affected.ranges ?? []) {
    const outcome = evaluateRange(range, version, ecosystem);
    if (outcome === 'affected') return 'affected';
    if (outcome === 'undecidable') undecidable = true;
  }
  return undecidable ? 'undecidable' : 'unaffected';
}
