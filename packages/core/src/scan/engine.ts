/**
 * The scan engine: walks files and directories, hashes each file, reads it every way a loader could read it, scans
 * nested content with a depth limit, applies suppressions, and returns a deterministic report.
 *
 * Every file and every nested member gets several readings, and the worst one wins (all findings are kept):
 * 1. the handler of the format detection chose (detection chooses handlers; it is never a gate);
 * 2. the pickle reading from offset 0 (readAsPickle): what pickle.load/torch.load/joblib.load would do with the bytes,
 *    unless the detected format's handler already reads them as a pickle from offset 0;
 * 3. the zip reading by end-of-central-directory record: what Python's zipfile (and Keras, numpy.load of an npz...)
 *    finds behind any prepended bytes, unless the detected format is already a zip.
 * A file two readings accept is a polyglot (MS-ENG-006). Anything not fully inspected is `incomplete`, never clean:
 * an unknown format, a parse error, a limit, a spent per-file budget, the walk limit.
 */
import { createHash, type Hash } from 'node:crypto';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { ModelsecError, toModelsecError } from '../errors/index.js';
import { type ByteSource, fileSource, memorySource } from '../formats/byte-source.js';
import { readZipEntries } from '../formats/zip/index.js';
import { createScanBudget, type ScanBudgetLimits } from './budget.js';
import { findCompanions, findRemoteCode } from './companions.js';
import { applySuppressions, EMPTY_SCAN_CONFIG, type ScanConfig } from './config.js';
import { classifyZipMembers, detectFormat } from './detect.js';
import { verdictOf } from './gate.js';
import { loadHandler } from './handlers/lazy.js';
import { makeFinding } from './pickle/findings.js';
import { inertWithin, readAsPickle } from './pickle/reading.js';
import { listTar } from './tar-listing.js';
import {
  type DetectedFormat,
  type DetectHints,
  FILE_VERDICTS,
  type FileReport,
  type FileVerdict,
  type Finding,
  type HandlerResult,
  type ScanBudget,
  type ScanContext,
  type ScanIssue,
  SEVERITIES,
  type Severity,
  severityRank,
} from './types.js';

/** Archive/embedded nesting followed before MS-ENG-005 (deeper nesting only serves to hide payloads). */
export const MAX_SCAN_NESTING = 8;
/** Default --max-file-size: larger files are reported (MS-ENG-003, incomplete), not scanned. */
export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024 * 1024;
/** Entries listed under one directory tree (a bound on runaway walks); the next one is reported (MS-ENG-009). */
export const MAX_WALK_FILES = 1_000_000;
/**
 * Bytes at the end of a file searched for a zip end-of-central-directory record: the record (22 bytes) plus the
 * longest comment it may carry (65,535), as Python's zipfile searches.
 */
export const ZIP_EOCD_SEARCH_BYTES = 22 + 0xffff;
/** The first bytes of each file are read once and shared by detection, the pickle reading and hashing. */
const HEAD_CACHE_BYTES = 64 * 1024;
/** Read size when hashing a file through its open handle. */
const HASH_CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Files up to this size are read into memory once, and the hash and every reading (detection, handlers, the pickle
 * reading, the zip end record) use that one copy: reading a pickle file costs one read and one hash update instead
 * of a chunked hash pass and a second read of the whole file. Larger files (checkpoints whose tensor bytes are never
 * parsed) are read in the ranges each reading needs, and hashed in chunks. Bounds the memory one file costs.
 */
export const WHOLE_READ_BYTES = 64 * 1024 * 1024;

export interface ScanOptions {
  config?: ScanConfig;
  strict?: boolean;
  /** Files larger than this (the size of what is read: a symlink's target) are reported, not scanned. */
  maxFileSize?: number;
  onProgress?: (event: { done: number; total: number; path: string }) => void;
  /**
   * Directories besides each scan root that symlinks may point into. A Hugging Face cache snapshot's links into its
   * own repository's blobs/ need none (the walk recognises the layout: hubCacheBlobsOf). A symlink to anywhere else
   * is reported (MS-ENG-007), never followed.
   */
  symlinkRoots?: readonly string[];
  /** Lower per-file budgets than the defaults (tests, constrained hosts); never raises them. */
  budget?: ScanBudgetLimits;
  /** A lower walk limit than MAX_WALK_FILES (tests, constrained hosts); never raises it. */
  maxWalkFiles?: number;
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

/** What the walk found under a scanned path. */
type Target =
  | { kind: 'file'; absolute: string; display: string }
  /** A symlink to a regular file inside the root (or a symlinkRoots directory): scanned as its target, once. */
  | { kind: 'link'; absolute: string; display: string; real: string; targetDisplay: string }
  /** A symlink that leaves the root, or a dangling one. */
  | { kind: 'bad-link'; absolute: string; display: string; linkText: string; leavesRoot: boolean }
  | { kind: 'special'; absolute: string; display: string; type: string }
  | { kind: 'walk-limit'; absolute: string; display: string; limit: number };

const posix = (p: string) => p.split(sep).join('/');

function isInside(target: string, roots: readonly string[]): boolean {
  return roots.some((r) => target === r || target.startsWith(r.endsWith(sep) ? r : r + sep));
}

/** The directory name of a repository in a Hugging Face cache (huggingface_hub's `repo_folder_name`). */
const HUB_CACHE_REPO_DIR = /^(?:models|datasets|spaces)--.+$/;

/**
 * When `realRoot` is (inside) a snapshot of a Hugging Face cache (`<cache>/models--ORG--NAME/snapshots/<commit>/...`),
 * that repository's `blobs/` directory: huggingface_hub stores every snapshot file there and links the snapshot's
 * names to it (`../../blobs/<etag>`). Those links are the model's own files, read as their targets; a link to any
 * other place, another repository's blobs included, still leaves the root.
 */
async function hubCacheBlobsOf(realRoot: string): Promise<string | undefined> {
  for (let dir = realRoot; dirname(dir) !== dir; dir = dirname(dir)) {
    const snapshots = dirname(dir);
    const repo = dirname(snapshots);
    if (basename(snapshots) !== 'snapshots' || !HUB_CACHE_REPO_DIR.test(basename(repo))) continue;
    const blobs = resolve(repo, 'blobs');
    const info = await lstat(blobs).catch(() => undefined);
    return info?.isDirectory() ? await realpath(blobs) : undefined;
  }
  return undefined;
}

function specialType(entry: { isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean }): string {
  return entry.isFIFO() ? 'FIFO' : entry.isSocket() ? 'socket' : entry.isBlockDevice() ? 'block device' : 'character device';
}

async function walk(root: string, extraRoots: readonly string[], maxEntries: number): Promise<Target[]> {
  const info = await stat(root).catch((cause) => {
    throw new ModelsecError('FILE_NOT_FOUND', `scan target ${root} does not exist or cannot be read`, {
      cause,
      details: { path: root },
    });
  });
  if (info.isFile()) return [{ kind: 'file', absolute: resolve(root), display: posix(root) }];
  if (!info.isDirectory())
    throw new ModelsecError('SCAN_PATH_INVALID', `${root} is not a file or directory`, { details: { path: root } });
  const realRoot = await realpath(root);
  const extra = await Promise.all(extraRoots.map((r) => realpath(r).catch(() => resolve(r))));
  const hubBlobs = await hubCacheBlobsOf(realRoot);
  const allowed = [realRoot, ...extra, ...(hubBlobs ? [hubBlobs] : [])];
  const rootDisplay = posix(root).replace(/\/+$/, '') || '/';
  const displayOf = (absolute: string) => `${rootDisplay}/${posix(relative(root, absolute))}`;
  const out: Target[] = [];
  const stack = [resolve(root)];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    // Sorted, so which entries come before the walk limit does not depend on the file system's order.
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const subdirs: string[] = [];
    for (const entry of entries) {
      const absolute = resolve(dir, entry.name);
      if (entry.isDirectory()) {
        subdirs.push(absolute);
        continue;
      }
      const display = displayOf(absolute);
      if (out.length >= maxEntries) {
        out.push({ kind: 'walk-limit', absolute, display, limit: maxEntries });
        return out;
      }
      if (entry.isFile()) out.push({ kind: 'file', absolute, display });
      else if (entry.isSymbolicLink()) out.push(await classifyLink(absolute, display));
      else out.push({ kind: 'special', absolute, display, type: specialType(entry) });
    }
    // Depth-first in name order.
    for (const sub of subdirs.reverse()) stack.push(sub);
  }
  return out;

  async function classifyLink(absolute: string, display: string): Promise<Target> {
    const linkText = await readlink(absolute);
    const real = await realpath(absolute).catch(() => undefined);
    if (real === undefined) {
      // Dangling (or a loop): judge where it points as written; on the victim's machine that path may exist.
      const lexical = resolve(dirname(absolute), linkText);
      const leavesRoot = !isInside(lexical, [resolve(root), ...allowed]);
      return { kind: 'bad-link', absolute, display, linkText, leavesRoot };
    }
    if (!isInside(real, allowed)) return { kind: 'bad-link', absolute, display, linkText, leavesRoot: true };
    const target = await stat(real);
    if (target.isDirectory()) {
      // Not followed (cycles). Inside the scan root its files are walked as themselves; elsewhere they would not be.
      if (isInside(real, [realRoot])) return { kind: 'link', absolute, display, real, targetDisplay: '' };
      return { kind: 'bad-link', absolute, display, linkText, leavesRoot: true };
    }
    if (!target.isFile()) return { kind: 'special', absolute, display, type: specialType(target) };
    const targetDisplay = isInside(real, [realRoot]) ? `${rootDisplay}/${posix(relative(realRoot, real))}` : posix(real);
    return { kind: 'link', absolute, display, real, targetDisplay };
  }
}

/** Code-unit order: the same on every machine whatever its locale (localeCompare is not, and costs ICU set-up). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    compareText(a.ruleId, b.ruleId) ||
    compareText(JSON.stringify(a.location), JSON.stringify(b.location)) ||
    compareText(a.message, b.message)
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

/** Formats whose handler reads the bytes as a pickle stream from offset 0 itself (the pickle reading would repeat it). */
const PICKLE_AT_OFFSET_0: ReadonlySet<DetectedFormat> = new Set(['pickle', 'pytorch-legacy']);
/** Formats whose handler reads the bytes as a zip archive (the zip reading would repeat it). */
const ZIP_FORMATS: ReadonlySet<DetectedFormat> = new Set(['zip', 'pytorch-zip', 'torchscript', 'keras', 'numpy-npz']);
/**
 * Archives whose members may be zips that zipfile finds from the archive's end (it corrects offsets for the bytes
 * before them): such a zip is read as the member it is, not as a second format (readAsZip).
 */
const MEMBER_ARCHIVES: ReadonlySet<DetectedFormat> = new Set(['tar', 'pytorch-tar']);
/** Detection outcomes that are not a format a loader deserializes: a second reading beside them is no polyglot. */
const NOT_A_READING: ReadonlySet<DetectedFormat> = new Set(['unknown', 'text']);

/** Bytes of a source detection called "pickle" that the inertness probe reads (detection's own head). */
const PICKLE_PROBE_BYTES = 64 * 1024;

/**
 * Text as detection defines it: valid UTF-8 (a multi-byte sequence cut by the end of the head excepted) without
 * control bytes other than tab, newlines, form feed and ESC.
 */
function isText(head: Uint8Array, size: number): boolean {
  const cut = head.length < size ? Math.max(0, head.length - 4) : head.length;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, cut));
  } catch {
    return false;
  }
  return !head.some((b) => b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b));
}

/**
 * Whether the handler's reading accepted the bytes as its format. A pickle stream is accepted when its first pickle
 * ran to STOP (what pickle.load returns); bytes after it may be anything. Other formats: no parse error at all.
 */
function acceptedBy(format: DetectedFormat, result: HandlerResult): boolean {
  if (PICKLE_AT_OFFSET_0.has(format))
    return !result.errors.some((e) => !e.location?.members?.length && (e.location?.pickleIndex ?? 0) === 0);
  return result.errors.length === 0;
}

interface SourceResult {
  format: DetectedFormat;
  findings: Finding[];
  errors: ScanIssue[];
}

/** A zip archive behind the bytes, found by its end record as Python's zipfile finds it; undefined when none. */
async function readAsZip(
  source: ByteSource,
  ctx: ScanContext,
  inMemberArchive: boolean,
): Promise<(SourceResult & { valid: boolean }) | undefined> {
  if (source.size < 22) return undefined;
  const tailStart = Math.max(0, source.size - ZIP_EOCD_SEARCH_BYTES);
  const tail = Buffer.from(await source.read(tailStart, source.size - tailStart));
  // The last end record, as zipfile searches (rfind).
  const eocd = tail.lastIndexOf('PK\x05\x06', undefined, 'latin1');
  if (eocd < 0) return undefined;
  if (inMemberArchive) {
    // An end record inside a tar member's data is that member's (a checkpoint stored in the tar): the tar handler
    // reads it as the member it is. One outside every member (a zip appended to the tar) is a second format.
    const at = tailStart + eocd;
    if ((await listTar(source)).some((m) => at >= m.dataOffset && at < m.dataOffset + m.size)) return undefined;
  }
  let names: string[];
  try {
    const listing = await readZipEntries(source, { requireCentralDirectory: true });
    names = listing.entries.map((e) => e.name);
  } catch {
    // An end record the zip reader cannot follow (four bytes of tensor data that happen to read PK\5\6): no archive.
    return undefined;
  }
  if (names.length === 0) return undefined;
  const format = classifyZipMembers(names);
  const handler = await loadHandler(format);
  if (!handler) return undefined;
  try {
    const result = await handler.scan(source, ctx);
    return {
      format: result.format ?? format,
      findings: result.findings,
      errors: result.errors,
      valid: result.errors.length === 0,
    };
  } catch (error) {
    const { finding, issue } = errorFinding(error, ctx.members);
    return { format, findings: [finding], errors: [issue], valid: false };
  }
}

/** Scans one source (a file or nested bytes): every reading of it (see the module comment). */
async function scanSource(
  source: ByteSource,
  options: ScanOptions,
  depth: number,
  members: readonly string[],
  budget: ScanBudget,
  hints: DetectHints,
): Promise<SourceResult> {
  const config = { allowedGlobals: options.config?.allowedGlobals ?? [], strict: Boolean(options.strict) };
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
              `nesting deeper than MAX_SCAN_NESTING (${MAX_SCAN_NESTING}): not inspected`,
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
  const findings: Finding[] = [];
  const errors: ScanIssue[] = [];
  /** Formats whose reading accepted the bytes (a handler that ran without errors). */
  const readings: DetectedFormat[] = [];
  let format: DetectedFormat = 'unknown';
  let unrecognised: Finding | undefined;
  /** The pickle reading ran to STOP: doing something on the way (a reading), or returning a constant. */
  let pickleAccepted: 'reading' | 'constant' | undefined;

  // 1. The handler of the detected format.
  try {
    format = await detectFormat(source, hints);
    if (format === 'pickle') {
      // Detection's "pickle" is checked by what CPython does: a stream it rejects before any opcode with an effect
      // (`torch==2.3.1` reads as TUPLE without MARK) is no pickle; the file is judged as what else it is.
      const head = await source.read(0, PICKLE_PROBE_BYTES);
      if (inertWithin(head, source.size) === true) format = isText(head, source.size) ? 'text' : 'unknown';
    }
    const handler = await loadHandler(format);
    if (!handler) {
      unrecognised = makeFinding(
        'MS-ENG-001',
        'format not recognised: content was not inspected',
        { members: [...members] },
        { format },
      );
      findings.push(unrecognised);
    } else {
      const result = await handler.scan(source, ctx);
      format = result.format ?? format;
      findings.push(...result.findings);
      errors.push(...result.errors);
      if (acceptedBy(format, result) && !NOT_A_READING.has(format)) readings.push(format);
    }
  } catch (error) {
    const { finding, issue } = errorFinding(error, members);
    findings.push(finding);
    errors.push(issue);
  }

  // 2. The pickle reading from offset 0.
  if (!PICKLE_AT_OFFSET_0.has(format)) {
    try {
      const reading = await readAsPickle(source, ctx);
      if (!reading.inert) {
        findings.push(...reading.findings);
        errors.push(...reading.errors);
      }
      if (reading.complete) pickleAccepted = reading.acted ? 'reading' : 'constant';
    } catch (error) {
      const { finding, issue } = errorFinding(error, members);
      findings.push(finding);
      errors.push(issue);
    }
  }

  // 3. The zip reading by end record.
  if (!ZIP_FORMATS.has(format)) {
    const zip = await readAsZip(source, ctx, MEMBER_ARCHIVES.has(format)).catch((error: unknown) => {
      const { finding, issue } = errorFinding(error, members);
      return { format: 'zip' as const, findings: [finding], errors: [issue], valid: false };
    });
    if (zip) {
      findings.push(...zip.findings);
      errors.push(...zip.errors);
      if (zip.valid) readings.push(zip.format);
    }
  }

  // Readings in the order of where they start in the file: the pickle reading starts at offset 0.
  // A constant pickle (`N.`) before a zip is a second reading too: zipfile skips prepended bytes, pickle.load reads them.
  if (
    pickleAccepted === 'reading' ||
    (pickleAccepted === 'constant' && (readings.length === 0 || readings.some((r) => ZIP_FORMATS.has(r))))
  )
    readings.unshift('pickle');
  const accepted = [...new Set(readings)];
  if (NOT_A_READING.has(format) && accepted.length > 0) {
    // Detection did not recognise what another reading accepts: the file is that (and was inspected as such).
    format = accepted[0] as DetectedFormat;
    if (unrecognised) findings.splice(findings.indexOf(unrecognised), 1);
  }
  if (accepted.length >= 2) {
    findings.push(
      makeFinding(
        'MS-ENG-006',
        `valid as ${accepted.join(' and as ')}: loaders pointed at it disagree on what it is`,
        { members: [...members] },
        { readings: accepted },
      ),
    );
  }
  return { format, findings, errors };
}

/** Serves reads inside the first HEAD_CACHE_BYTES from one read (detection, the pickle reading and hashing share it). */
function withHeadCache(source: ByteSource): ByteSource {
  let head: Promise<Uint8Array> | undefined;
  const headLength = Math.min(source.size, HEAD_CACHE_BYTES);
  return {
    size: source.size,
    ...(source.path !== undefined ? { path: source.path } : {}),
    async read(offset, length) {
      const start = Math.max(0, offset);
      const end = Math.min(source.size, start + Math.max(0, length));
      if (end <= headLength) {
        head ??= source.read(0, headLength);
        return (await head).subarray(start, end);
      }
      return source.read(offset, length);
    },
    close: () => source.close(),
  };
}

/**
 * SHA-256 of a source too large to read whole: in HASH_CHUNK_BYTES steps. With a file, two buffers are reused in
 * turn, the next step read (libuv's pool) while this one is hashed: no fresh pages per step, read and hash overlap.
 */
async function sha256Of(source: ByteSource): Promise<string> {
  const hash = createHash('sha256');
  if (!source.readInto) {
    for (let offset = 0; offset < source.size; ) {
      const chunk = await source.read(offset, Math.min(HASH_CHUNK_BYTES, source.size - offset));
      if (chunk.length === 0) break;
      hash.update(chunk);
      offset += chunk.length;
    }
    return hash.digest('hex');
  }
  const buffers = [Buffer.allocUnsafeSlow(HASH_CHUNK_BYTES), Buffer.allocUnsafeSlow(HASH_CHUNK_BYTES)] as const;
  let turn = 0;
  let offset = 0;
  let pending = source.readInto(buffers[0], 0, 0, Math.min(HASH_CHUNK_BYTES, source.size));
  while (offset < source.size) {
    const count = await pending;
    if (count === 0) break;
    const current = buffers[turn] as Buffer;
    offset += count;
    turn ^= 1;
    if (offset < source.size)
      pending = source.readInto(buffers[turn] as Buffer, 0, offset, Math.min(HASH_CHUNK_BYTES, source.size - offset));
    hash.update(current.subarray(0, count));
  }
  return hash.digest('hex');
}

/** Scans one top-level source with a fresh budget shared by all its nesting levels; the report is not finalised. */
async function scanTopLevel(
  source: ByteSource,
  options: ScanOptions,
  display: string,
  sha256: string,
  hints: DetectHints,
): Promise<FileReport> {
  const report: FileReport = {
    path: display,
    format: 'unknown',
    size: source.size,
    sha256,
    findings: [],
    errors: [],
    verdict: 'clean',
  };
  if (source.size > (options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE)) {
    report.findings.push(
      makeFinding(
        'MS-ENG-003',
        `file is ${source.size} bytes, above --max-file-size`,
        { members: [] },
        { size: source.size, maxFileSize: options.maxFileSize },
      ),
    );
    return report;
  }
  const budget = createScanBudget(options.budget);
  const result = await scanSource(source, options, 0, [], budget, hints);
  report.format = result.format;
  report.findings = result.findings;
  report.errors = result.errors;
  for (const spent of budget.exhausted) {
    const limit = spent === 'decompressed' ? 'MAX_DECOMPRESSED_BYTES_PER_FILE' : 'MAX_ENTRIES_PER_FILE';
    report.findings.push(
      makeFinding(
        'MS-ENG-008',
        `per-file budget ${limit} spent: the rest of the file was not inspected`,
        { members: [] },
        { limit },
      ),
    );
  }
  return report;
}

/** Applies suppressions, sorts, and sets the verdict. */
function finalise(report: FileReport, options: ScanOptions): FileReport {
  applySuppressions(report, options.config?.suppressions ?? EMPTY_SCAN_CONFIG.suppressions);
  report.findings.sort(compareFindings);
  report.errors.sort((a, b) => compareText(a.code, b.code) || compareText(a.message, b.message));
  report.verdict = verdictOf(report.findings);
  return report;
}

/** Step of a whole-file read: the hash of one step runs on this thread while the next step is read (libuv's pool). */
const WHOLE_READ_STEP_BYTES = 2 * 1024 * 1024;

/**
 * The whole file in one buffer, hashed as it arrives: the read of each step overlaps the hash of the one before (the
 * kernel's copy into fresh pages costs about as much as SHA-256 on these machines). Reads until the size the handle
 * reported or the end of the file, as `read(0, size)` does.
 */
async function readWholeHashing(file: ByteSource, hash: Hash | undefined): Promise<Uint8Array> {
  if (!file.readInto) {
    const bytes = await file.read(0, file.size);
    hash?.update(bytes);
    return bytes;
  }
  const size = file.size;
  const bytes = Buffer.allocUnsafe(size);
  let filled = 0;
  let pending = file.readInto(bytes, 0, 0, Math.min(WHOLE_READ_STEP_BYTES, size));
  while (filled < size) {
    const count = await pending;
    if (count === 0) break;
    const from = filled;
    filled += count;
    if (filled < size) pending = file.readInto(bytes, filled, filled, Math.min(WHOLE_READ_STEP_BYTES, size - filled));
    hash?.update(bytes.subarray(from, filled));
  }
  return filled === size ? bytes : bytes.subarray(0, filled);
}

async function scanFileRaw(path: string, options: ScanOptions, display: string, hints: DetectHints, knownSha256?: string) {
  // One open handle for the size check, the hash and the scan: they all see the same file (a symlink's target).
  const file = await fileSource(path);
  try {
    if (file.size <= WHOLE_READ_BYTES && file.size <= (options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE)) {
      // One read: the hash and every reading share these bytes (the path stays known to readers that need one).
      const hash = knownSha256 === undefined ? createHash('sha256') : undefined;
      const bytes = await readWholeHashing(file, hash);
      const sha256 = knownSha256 ?? (hash as Hash).digest('hex');
      return await scanTopLevel({ ...memorySource(bytes), path }, options, display, sha256, hints);
    }
    const source = withHeadCache(file);
    // The file itself (readInto): hashing reads past the head cache anyway.
    const sha256 = knownSha256 ?? (await sha256Of(file));
    return await scanTopLevel(source, options, display, sha256, hints);
  } finally {
    await file.close();
  }
}

/**
 * Scans one file on disk (a symlink is read as its target). `display` is the path reported. `knownSha256` is the
 * file's digest when the caller has already verified it (a content-addressed store names blobs by it): the scan then
 * skips hashing the whole file.
 */
export async function scanFile(
  path: string,
  options: ScanOptions = {},
  display = path,
  knownSha256?: string,
): Promise<FileReport> {
  return finalise(await scanFileRaw(path, options, display, { name: display }, knownSha256), options);
}

/** Scans bytes in memory exactly as scanFile scans a file holding them (same readings, budget and hashing). */
export async function scanBytes(bytes: Uint8Array, options: ScanOptions = {}, display = '(bytes)'): Promise<FileReport> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return finalise(await scanTopLevel(memorySource(bytes), options, display, sha256, { name: display }), options);
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

/** A report for a walk entry whose content is not scanned (a bad link, a special file, the walk limit). */
async function entryReport(target: Exclude<Target, { kind: 'file' } | { kind: 'link' }>): Promise<FileReport> {
  const info = await lstat(target.absolute);
  const report: FileReport = {
    path: target.display,
    format: 'unknown',
    size: info.size,
    sha256: createHash('sha256').digest('hex'),
    findings: [],
    errors: [],
    verdict: 'clean',
  };
  if (target.kind === 'bad-link') {
    // What git stores for a symlink: its text.
    report.size = Buffer.byteLength(target.linkText);
    report.sha256 = createHash('sha256').update(target.linkText).digest('hex');
    report.symlink = { target: target.linkText, ...(target.leavesRoot ? { leavesRoot: true as const } : {}) };
    report.findings.push(
      target.leavesRoot
        ? makeFinding(
            'MS-ENG-007',
            `symlink to ${target.linkText} leaves the scanned root: a loader would read a file the model does not contain`,
            { members: [] },
            { target: target.linkText },
          )
        : makeFinding(
            'MS-ENG-007',
            `dangling symlink to ${target.linkText}`,
            { members: [] },
            { target: target.linkText },
            'low',
          ),
    );
  } else if (target.kind === 'special') {
    report.findings.push(makeFinding('MS-ENG-010', `${target.type}: not read`, { members: [] }, { type: target.type }));
  } else {
    if (info.isFile()) {
      const source = await fileSource(target.absolute);
      try {
        report.size = source.size;
        report.sha256 = await sha256Of(source);
      } finally {
        await source.close();
      }
    } else if (info.isSymbolicLink()) {
      const linkText = await readlink(target.absolute);
      report.size = Buffer.byteLength(linkText);
      report.sha256 = createHash('sha256').update(linkText).digest('hex');
    }
    report.findings.push(
      makeFinding(
        'MS-ENG-009',
        `more than MAX_WALK_FILES (${target.limit}) entries: this file and every one after it were not scanned`,
        { members: [] },
        { limit: 'MAX_WALK_FILES', files: target.limit },
      ),
    );
  }
  return report;
}

/**
 * Scans files and directories (recursively, every file whatever its extension). A file reached through several
 * paths (symlinks inside the root) is scanned once; each path is listed.
 */
export async function scanPaths(paths: readonly string[], options: ScanOptions = {}): Promise<ScanReport> {
  const maxEntries = Math.min(options.maxWalkFiles ?? MAX_WALK_FILES, MAX_WALK_FILES);
  const targets: Target[] = [];
  for (const p of paths) targets.push(...(await walk(p, options.symlinkRoots ?? [], maxEntries)));
  const unique = [...new Map(targets.map((t) => [t.absolute, t])).values()].sort((a, b) =>
    a.display < b.display ? -1 : a.display > b.display ? 1 : 0,
  );
  const walked = unique.filter((t) => t.kind === 'file').map((t) => ({ absolute: t.absolute, display: t.display }));
  const companions = await findCompanions(walked);
  // Python files trust_remote_code would import (a config's auto_map and their relative imports).
  const remoteCode = await findRemoteCode(walked);
  /** Raw (unsuppressed) reports by real path: each file on disk is scanned once, however many paths reach it. */
  const scanned = new Map<string, FileReport>();
  const anyLinks = unique.some((t) => t.kind === 'link');
  const scanOnce = async (absolute: string, display: string): Promise<FileReport> => {
    const key = anyLinks ? await realpath(absolute).catch(() => absolute) : absolute;
    let raw = scanned.get(key);
    if (!raw) {
      const companion = companions.get(absolute);
      raw = await scanFileRaw(absolute, options, display, {
        name: display,
        ...(companion ? { companion } : {}),
        ...(remoteCode.has(resolve(absolute)) ? { trustRemoteCode: true as const } : {}),
      });
      scanned.set(key, raw);
    }
    return structuredClone(raw);
  };
  const files: FileReport[] = [];
  for (const [i, target] of unique.entries()) {
    if (target.kind === 'file') {
      files.push(finalise({ ...(await scanOnce(target.absolute, target.display)), path: target.display }, options));
    } else if (target.kind === 'link') {
      // A directory link inside the root (targetDisplay '') lists nothing: its files are listed under their own paths.
      if (target.targetDisplay !== '') {
        const raw = await scanOnce(target.real, target.targetDisplay);
        files.push(finalise({ ...raw, path: target.display, symlink: { target: target.targetDisplay } }, options));
      }
    } else files.push(finalise(await entryReport(target), options));
    options.onProgress?.({ done: i + 1, total: unique.length, path: target.display.split('/').pop() ?? target.display });
  }
  return { schemaVersion: '1', tool: { name: 'modelsec' }, files, summary: summarise(files) };
}
