import type { ErrorCode } from '@modelsec/core/errors';
import type { FileVerdict, ScanReport, Severity } from '@modelsec/core/scan';

/** One failed rule of a push (every failure is listed, not just the first). */
export interface FailedRule {
  /** The policy rule or check: files, signature, attestations, scan, mlbom, licenses. */
  rule: string;
  /** A stable code of the core error-code union (docs/errors.md): the one table, never a free string. */
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The registry's own scan, summarised. */
export interface ScanVerdict {
  /** `scanned`, or `not-scanned` when the policy allowed it and no scanner could run. */
  status: 'scanned' | 'not-scanned';
  maxSeverity: Severity | null;
  findings: number;
  /** Files whose verdict is incomplete (not fully inspected). */
  incomplete: number;
  /** Per file: verdict, highest active severity and active rule ids (sorted); what the core gate reads. */
  files: { path: string; verdict: FileVerdict; maxSeverity: Severity | null; rules: string[]; errors: number }[];
  /** Scanner name and version, e.g. `modelsec 0.1.0`. */
  scanner?: string;
  /**
   * The full report (schemas/scan-report.schema.json), files by manifest path: stored as a blob at push and its
   * digest logged in the publish entry. Never kept in the version record (it can be large).
   */
  report?: ScanReport;
}

/** A file of a pushed version, materialised where the checks can read it. */
export interface StagedFile {
  path: string;
  digest: string;
  size: number;
  /** A local path with the file's bytes (a blob in the store, or a temp copy). */
  localPath: string;
}
