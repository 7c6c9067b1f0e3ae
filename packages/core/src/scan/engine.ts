/**
 * The scan engine: walks files and directories, hashes each file, detects its format by content, dispatches to
 * the format handler, scans nested content with a depth limit, applies suppressions, and returns a deterministic
 * report. Anything it cannot read or parse fails closed (a medium finding, never clean).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { ModelsecError, toModelsecError } from '../errors/index.js';
import { type ByteSource, fileSource, memorySource } from '../formats/byte-source.js';
import { createScanBudget } from './budget.js';
import { findCompanions, findRemoteCode } from './companions.js';
import { applySuppressions, EMPTY_SCAN_CONFIG, type ScanConfig } from './config.js';
import { detectFormat } from './detect.js';
import { verdictOf } from './gate.js';
import { handlerFor } from './handlers/index.js';
import { makeFinding } from './pickle/findings.js';
import {
  type CompanionKind,
  type DetectedFormat,
  type DetectHints,
  FILE_VERDICTS,
  type FileReport,
  type FileVerdict,
  type Finding,
  type ScanBudget,
  type ScanContext,
  type ScanIssue,
  SEVERITIES,
  type Severity,
  severityRank,
} from './types.js';

/** Archive/embedded nesting followed before MS-ENG-005 (deeper nesting only serves to hide payloads). */
export const MAX_SCAN_NESTING = 8;
/** Default --max-file-size: larger files are reported (MS-ENG-003), not scanned. */
export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024 * 1024;
/** Files listed under one directory tree (a bound on runaway walks). */
export const MAX_WALK_FILES = 1_000_000;

export interface ScanOptions {
  config?: ScanConfig;
  strict?: boolean;
  maxFileSize?: number;
  onProgress?: (event: { done: number; total: number; path: string }) => void;
  /**
   * Directories besides each scan root that symlinks may point into (a Hugging Face cache snapshot links its files
   * to ../../blobs). Symlinks to anywhere else are skipped.
   */
  symlinkRoots?: readonly string[];
  /**
   * Files known from the manifests beside them to be raw tensor data (absolute path -> kind; scan/companions.ts).
   * scanPaths fills it for the files it walks.
   */
  companions?: ReadonlyMap<string, CompanionKind>;
  /** Python files trust_remote_code would import (absolute paths; companions.ts findRemoteCode). scanPaths fills it. */
  remoteCode?: ReadonlySet<string>;
}

export interface ScanSummary {
  files: number;
  findings: Record<Severity, number>;
  suppressed: number;
  /** Highest unsuppressed severity, or null when no finding. */
  maxSeverity: Severity | null;
  /** Files per verdict. */
  verdicts: Record<FileVerdict, number>;
}

export interface ScanReport {
  schemaVersion: '1';
  tool: { name: 'modelsec' };
  files: FileReport[];
  summary: ScanSummary;
}

interface Target {
  absolute: string;
  display: string;
}

async function walk(root: string, extraRoots: readonly string[] = []): Promise<Target[]> {
  const info = await stat(root).catch((cause) => {
    throw new ModelsecError('FILE_NOT_FOUND', `scan target ${root} does not exist or cannot be read`, {
      cause,
      details: { path: root },
    });
  });
  if (info.isFile()) return [{ absolute: root, display: root.split(sep).join('/') }];
  if (!info.isDirectory())
    throw new ModelsecError('SCAN_PATH_INVALID', `${root} is not a file or directory`, { details: { path: root } });
  const roots = [await realpath(root), ...(await Promise.all(extraRoots.map((r) => realpath(r).catch(() => r))))];
  const inside = (target: string) => roots.some((r) => target === r || target.startsWith(r + sep));
  const out: Target[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = resolve(dir, entry.name);
      let isFile = entry.isFile();
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (!target || !inside(target)) continue; // never leave the root
        const s = await stat(full);
        isFile = s.isFile();
        isDir = false; // symlinked directories are not followed (cycles)
      }
      if (isDir) stack.push(full);
      else if (isFile) {
        if (out.length >= MAX_WALK_FILES)
          throw new ModelsecError('LIMIT_EXCEEDED', `more than MAX_WALK_FILES files under ${root}`, { details: { path: root } });
        const rel = relative(root, full).split(sep).join('/');
        out.push({ absolute: full, display: `${root.split(sep).join('/').replace(/\/$/, '')}/${rel}` });
      }
    }
  }
  return out;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    a.ruleId.localeCompare(b.ruleId) ||
    JSON.stringify(a.location).localeCompare(JSON.stringify(b.location)) ||
    a.message.localeCompare(b.message)
  );
}

function errorFinding(error: unknown, members: readonly string[]): { finding: Finding; issue: ScanIssue } {
  const err = toModelsecError(error);
  const location = { members: [...members] };
  return {
    finding: makeFinding('MS-ENG-002', `could not be parsed: ${err.message}`, location, { code: err.code }),
    issue: { code: err.code, message: err.message, location },
  };
}

/** Scans one source (a file or nested bytes) and returns its format, findings and errors. */
async function scanSource(
  source: ByteSource,
  options: ScanOptions,
  depth: number,
  members: readonly string[],
  budget: ScanBudget,
  hints: DetectHints,
): Promise<{ format: DetectedFormat; findings: Finding[]; errors: ScanIssue[] }> {
  const config = { allowedGlobals: options.config?.allowedGlobals ?? [], strict: Boolean(options.strict) };
  let format: DetectedFormat = 'unknown';
  try {
    format = await detectFormat(source, hints);
  } catch (error) {
    const { finding, issue } = errorFinding(error, members);
    return { format, findings: [finding], errors: [issue] };
  }
  const handler = handlerFor(format);
  if (!handler) {
    return {
      format,
      findings: [
        makeFinding('MS-ENG-001', 'format not recognised: content was not inspected', { members: [...members] }, { format }),
      ],
      errors: [],
    };
  }
  const ctx: ScanContext = {
    config,
    budget,
    hints,
    depth,
    members,
    async scanNested(bytes, member) {
      const inner = [...members, member];
      if (depth + 1 > MAX_SCAN_NESTING) {
        return {
          findings: [
            makeFinding(
              'MS-ENG-005',
              `nesting deeper than MAX_SCAN_NESTING (${MAX_SCAN_NESTING})`,
              { members: inner },
              { limit: 'MAX_SCAN_NESTING' },
            ),
          ],
          errors: [],
          format: 'unknown',
        };
      }
      return scanSource(memorySource(bytes), options, depth + 1, inner, budget, { name: member });
    },
  };
  try {
    const result = await handler.scan(source, ctx);
    return { format: result.format ?? format, findings: result.findings, errors: result.errors };
  } catch (error) {
    const { finding, issue } = errorFinding(error, members);
    return { format, findings: [finding], errors: [issue] };
  }
}

/**
 * Scans one file on disk. `display` is the path reported. `knownSha256` is the file's digest when the caller has
 * already verified it (a content-addressed store names blobs by it): the scan then skips hashing the whole file.
 */
export async function scanFile(
  path: string,
  options: ScanOptions = {},
  display = path,
  knownSha256?: string,
): Promise<FileReport> {
  const size = (await lstat(path)).size;
  const sha256 = knownSha256 ?? (await sha256File(path));
  const report: FileReport = { path: display, format: 'unknown', size, sha256, findings: [], errors: [], verdict: 'clean' };
  if (size > (options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE)) {
    report.findings.push(
      makeFinding(
        'MS-ENG-003',
        `file is ${size} bytes, above --max-file-size`,
        { members: [] },
        { size, maxFileSize: options.maxFileSize },
      ),
    );
  } else {
    const source = await fileSource(path);
    try {
      const companion = options.companions?.get(resolve(path));
      const hints: DetectHints = {
        name: display,
        ...(companion ? { companion } : {}),
        ...(options.remoteCode?.has(resolve(path)) ? { trustRemoteCode: true as const } : {}),
      };
      const result = await scanSource(source, options, 0, [], createScanBudget(), hints);
      report.format = result.format;
      report.findings = result.findings;
      report.errors = result.errors;
    } finally {
      await source.close();
    }
  }
  applySuppressions(report, options.config?.suppressions ?? EMPTY_SCAN_CONFIG.suppressions);
  report.findings.sort(compareFindings);
  report.errors.sort((a, b) => a.code.localeCompare(b.code) || a.message.localeCompare(b.message));
  report.verdict = verdictOf(report.findings);
  return report;
}

export function summarise(files: readonly FileReport[]): ScanSummary {
  const findings = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const verdicts = Object.fromEntries(FILE_VERDICTS.map((v) => [v, 0])) as Record<FileVerdict, number>;
  let suppressed = 0;
  let max: Severity | null = null;
  for (const file of files) {
    verdicts[file.verdict]++;
    for (const f of file.findings) {
      if (f.suppressed) {
        suppressed++;
        continue;
      }
      findings[f.severity]++;
      if (max === null || severityRank(f.severity) > severityRank(max)) max = f.severity;
    }
  }
  return { files: files.length, findings, suppressed, maxSeverity: max, verdicts };
}

/** Scans files and directories (recursively, every file whatever its extension). */
export async function scanPaths(paths: readonly string[], options: ScanOptions = {}): Promise<ScanReport> {
  const targets: Target[] = [];
  for (const p of paths) targets.push(...(await walk(p, options.symlinkRoots)));
  const unique = [...new Map(targets.map((t) => [resolve(t.absolute), t])).values()].sort((a, b) =>
    a.display < b.display ? -1 : a.display > b.display ? 1 : 0,
  );
  const files: FileReport[] = [];
  const companions = await findCompanions(unique);
  const remoteCode = await findRemoteCode(unique);
  const fileOptions: ScanOptions = { ...options, companions, remoteCode };
  for (const [i, target] of unique.entries()) {
    files.push(await scanFile(target.absolute, fileOptions, target.display));
    options.onProgress?.({ done: i + 1, total: unique.length, path: basename(target.display) });
  }
  return { schemaVersion: '1', tool: { name: 'modelsec' }, files, summary: summarise(files) };
}
