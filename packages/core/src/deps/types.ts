/** The data model of `modelsec deps`: findings of the dependency and CI audit, and the report that holds them. */
import type { DependencyWarning, PackageEcosystem } from '../bom/dependency-types.js';
import type { Reference, Severity } from '../scan/types.js';
import type { OsvSourceSummary } from './osv-load.js';

/** The package a finding is about. */
export interface FindingPackage {
  ecosystem: PackageEcosystem;
  name: string;
  version?: string;
  purl: string;
}

/** One OSV record behind a finding (records that alias each other are merged into one finding). */
export interface FindingRecord {
  id: string;
  aliases: string[];
  summary?: string;
  modified?: string;
  /** The record's rating and where it came from. */
  severity: Severity;
  ratingSource: 'malicious' | 'CVSS_V3' | 'database' | 'default';
  score?: number;
  vector?: string;
  /** The first fixed version named by the matching range, when there is one. */
  fixed?: string;
  /** Advisory URLs the record lists (ADVISORY, WEB, REPORT), sorted. */
  advisories: string[];
}

export interface DepsFinding {
  /** A rule id documented in docs/rules.md (MS-DEP-..., or a scanner rule for files inside installed packages). */
  ruleId: string;
  severity: Severity;
  message: string;
  /** The file the finding is in (lockfile, workflow, installed file), '/'-separated. */
  file: string;
  /** 1-based line in `file`, when known. */
  line?: number;
  package?: FindingPackage;
  records?: FindingRecord[];
  evidence: Record<string, unknown>;
  references: Reference[];
  /** Set when a suppression of the user's config matches. */
  suppressed?: { reason: string };
}

/** A file the audit read. */
export interface AuditedFile {
  path: string;
  kind: string;
  packages: number;
}

export interface DepsSummary {
  files: number;
  packages: number;
  findings: Record<Severity, number>;
  suppressed: number;
}

export interface DepsReport {
  files: AuditedFile[];
  osv: { sources: OsvSourceSummary[]; recordsKept: number };
  findings: DepsFinding[];
  warnings: DependencyWarning[];
  summary: DepsSummary;
}
