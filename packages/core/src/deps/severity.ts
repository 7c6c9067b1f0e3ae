/**
 * The severity of an OSV record: `MAL-` records (OpenSSF malicious-packages, and any record aliased to one) are
 * critical; a vulnerability takes its CVSS v3 base score (computed from the vector, CVSS v3.1 specification
 * section 7), else its database's rating (GHSA's `database_specific.severity`, or one per affected package), else
 * medium: a known vulnerability of unknown rating is worth a review and fails a `--fail-on medium` gate.
 */
import type { Severity } from '../scan/types.js';
import type { OsvRecord } from './osv-types.js';

export function isMalicious(record: OsvRecord): boolean {
  return record.id.startsWith('MAL-') || (record.aliases ?? []).some((a) => a.startsWith('MAL-'));
}

const AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC: Record<string, number> = { L: 0.77, H: 0.44 };
const UI: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/** CVSS v3 "round up" to one decimal, as the v3.1 specification defines it (Appendix A). */
function roundUp(value: number): number {
  const int = Math.round(value * 100000);
  return int % 10000 === 0 ? int / 100000 : (Math.floor(int / 10000) + 1) / 10;
}

/** The base score of a CVSS v3.0/v3.1 vector, or undefined when it is not one. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined;
  const m = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [k, v] = part.split(':');
    if (k && v) m.set(k, v);
  }
  const av = AV[m.get('AV') ?? ''];
  const ac = AC[m.get('AC') ?? ''];
  const ui = UI[m.get('UI') ?? ''];
  const scope = m.get('S');
  const c = CIA[m.get('C') ?? ''];
  const i = CIA[m.get('I') ?? ''];
  const a = CIA[m.get('A') ?? ''];
  const prRaw = m.get('PR');
  if (av === undefined || ac === undefined || ui === undefined || c === undefined || i === undefined || a === undefined)
    return undefined;
  if (scope !== 'U' && scope !== 'C') return undefined;
  const pr =
    prRaw === 'N'
      ? 0.85
      : prRaw === 'L'
        ? scope === 'C'
          ? 0.68
          : 0.62
        : prRaw === 'H'
          ? scope === 'C'
            ? 0.5
            : 0.27
          : undefined;
  if (pr === undefined) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

/** CVSS qualitative rating of a score (v3.1 specification, section 5). */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

function databaseRating(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  switch (value.toUpperCase()) {
    case 'CRITICAL':
      return 'critical';
    case 'HIGH':
      return 'high';
    case 'MODERATE':
    case 'MEDIUM':
      return 'medium';
    case 'LOW':
      return 'low';
    default:
      return undefined;
  }
}

export interface RecordRating {
  severity: Severity;
  /** Where it came from: 'malicious', 'CVSS_V3' (with the score), 'database', or 'default'. */
  source: 'malicious' | 'CVSS_V3' | 'database' | 'default';
  score?: number;
  vector?: string;
}

/** The rating of a record. */
export function rateRecord(record: OsvRecord): RecordRating {
  if (isMalicious(record)) return { severity: 'critical', source: 'malicious' };
  let best: { score: number; vector: string } | undefined;
  for (const s of record.severity ?? []) {
    if (s.type !== 'CVSS_V3') continue;
    const score = cvss3BaseScore(s.score);
    if (score !== undefined && (!best || score > best.score)) best = { score, vector: s.score };
  }
  if (best) return { severity: severityOfScore(best.score), source: 'CVSS_V3', score: best.score, vector: best.vector };
  const db =
    databaseRating(record.database_specific?.severity) ??
    record.affected?.map((a) => databaseRating(a.database_specific?.severity ?? a.ecosystem_specific?.severity)).find(Boolean);
  if (db) return { severity: db, source: 'database' };
  return { severity: 'medium', source: 'default' };
}
