/**
 * The part of the OSV schema (https://ossf.github.io/osv-schema/) that matching reads. Records are validated
 * against this shape when they are indexed (osv-record.ts); anything else a record carries is kept untouched.
 */

export type OsvEventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT' | string;
  events: OsvEvent[];
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvRecord {
  id: string;
  modified?: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: { type?: string; url: string }[];
  database_specific?: Record<string, unknown>;
}

/** The ecosystems `modelsec deps` matches (OSV's names: `PyPI`, `npm`). */
export type OsvEcosystem = 'pypi' | 'npm';

/** OSV's ecosystem name for each ecosystem modelsec matches. */
export const OSV_ECOSYSTEM_NAMES: Record<OsvEcosystem, string> = { pypi: 'PyPI', npm: 'npm' };
