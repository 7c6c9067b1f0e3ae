import type { ByteSource } from '../../formats/byte-source.js';
import { makeFinding } from '../pickle/findings.js';
import { MAX_FINDINGS_PER_RULE, MAX_PICKLE_BYTES } from '../pickle/limits.js';
import { type PicklePassOptions, type PickleScanResult, scanPickleStream } from '../pickle/scan-pickle.js';
import type { PickleRun } from '../pickle/vm.js';
import type { Finding, ScanContext, ScanIssue } from '../types.js';
import {
  isJoblibWrapperName,
  type JoblibReadingNotes,
  joblibRunOptions,
  type SideFile,
  sideFileEscapes,
} from './joblib-reading.js';

/** Pickles torch's legacy loader reads before the raw storage bytes (magic, protocol, sys_info, object, keys). */
export const LEGACY_PICKLE_COUNT = 5;

/** Reads a whole source for pickle scanning, capped at MAX_PICKLE_BYTES (a finding when the cap cuts it). */
export async function readCapped(source: ByteSource, findings: Finding[], members: readonly string[]): Promise<Uint8Array> {
  if (source.size > MAX_PICKLE_BYTES) {
    findings.push(
      makeFinding(
        'MS-PKL-010',
        `Only the first ${MAX_PICKLE_BYTES} bytes were scanned (MAX_PICKLE_BYTES)`,
        { ...(members.length ? { members: [...members] } : {}) },
        { limit: 'MAX_PICKLE_BYTES' },
      ),
    );
  }
  return source.read(0, Math.min(source.size, MAX_PICKLE_BYTES));
}

function runScan(
  bytes: Uint8Array,
  ctx: ScanContext,
  members: readonly string[],
  maxPickles: number | undefined,
  extra: Pick<PicklePassOptions, 'vm' | 'onRun' | 'quietIfInert'>,
) {
  return scanPickleStream(bytes, {
    config: ctx.config,
    members,
    depth: ctx.depth,
    budget: ctx.budget,
    nested: async (inner, member) => {
      const result = await ctx.scanNested(inner, member);
      return { findings: result.findings, errors: result.errors };
    },
    ...(maxPickles !== undefined ? { maxPickles } : {}),
    ...extra,
  });
}

function findingKey(f: Finding): string {
  return `${f.ruleId}|${f.location.offset ?? ''}|${f.location.pickleIndex ?? ''}|${f.message}`;
}

/** Whether a run imported one of joblib's array wrapper classes. */
function importsJoblibWrapper(run: PickleRun): boolean {
  return run.events.some((e) => e.type === 'global' && isJoblibWrapperName(e.module, e.name));
}

/**
 * Runs the pickle scanner on bytes with the context's config, nesting through ctx.scanNested, as every unpickler
 * that may load them reads them: pickle.load, and joblib.load when the stream holds joblib's array wrappers (the
 * raw array bytes joblib reads after them are opcodes to pickle.load, and skipped data to joblib: both readings are
 * scanned and their findings merged). The joblib reading decides where the stream ends and whether it broke.
 *
 * The VM runs once per reading: whether joblib's reading is needed is read from pickle.load's runs. Up to the first
 * BUILD of an array wrapper the two readings are the same run (joblib's hook changes nothing before it), and that
 * BUILD needs the wrapper class imported first in the same pickle, so a stream none of whose pickle.load runs
 * imports a wrapper reads the same under joblib.
 */
export async function scanPickleBytes(
  bytes: Uint8Array,
  ctx: ScanContext,
  members: readonly string[],
  maxPickles?: number,
): Promise<PickleScanResult> {
  return scanReadings(bytes, ctx, members, maxPickles, false);
}

async function scanReadings(
  bytes: Uint8Array,
  ctx: ScanContext,
  members: readonly string[],
  maxPickles: number | undefined,
  quietIfInert: boolean,
): Promise<PickleScanResult> {
  let wrapper = false;
  const plain = await runScan(bytes, ctx, members, maxPickles, {
    quietIfInert,
    onRun: (run) => {
      wrapper ||= importsJoblibWrapper(run);
    },
  });
  if (!wrapper) return plain;
  // Where joblib's reading first skips bytes (raw array data) or loads an embedded pickle: its first run decides.
  let firstSkip = bytes.length;
  const notes: JoblibReadingNotes = { sideFiles: [] };
  const joblib = await runScan(bytes, ctx, members, maxPickles, {
    vm: joblibRunOptions(notes),
    onRun: (run, offset) => {
      if (offset !== 0) return;
      const skip = run.events.find((e) => e.type === 'skip' || e.type === 'embedded');
      if (skip) firstSkip = skip.offset;
    },
  });
  const seen = new Set(joblib.findings.map(findingKey));
  // pickle.load's reading of the same stream: what it runs before it breaks on array bytes is kept; its break is
  // not reported (joblib's reading covers the stream past that point, and pickle.load stops there).
  const extra = plain.findings.filter(
    (f) =>
      !seen.has(findingKey(f)) &&
      !(f.ruleId === 'MS-PKL-008' || f.ruleId === 'MS-PKL-009' || f.ruleId === 'MS-PKL-013') &&
      (f.severity === 'high' || f.severity === 'critical' || (f.location.offset ?? 0) < firstSkip),
  );
  return { ...joblib, findings: [...joblib.findings, ...extra, ...sideFileFindings(notes.sideFiles, members)] };
}

/**
 * joblib < 0.10's NDArrayWrapper makes joblib.load call `numpy.load(os.path.join(dirname, filename),
 * allow_pickle=True)`, which unpickles any file that is not an .npy/.npz: a second pickle this scan does not hold.
 * A side file beside the loaded one is scanned as its own file when the directory is (low: where it comes from);
 * one outside that directory (an absolute path, a `..` segment) or a computed path is a pickle no scan of the
 * repository reads: high (MS-PKL-007, second stage).
 */
function sideFileFindings(sideFiles: readonly SideFile[], members: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  for (const side of sideFiles.slice(0, MAX_FINDINGS_PER_RULE)) {
    if (!side.unpickled) continue;
    const where = { ...(members.length ? { members: [...members] } : {}), offset: side.offset };
    const outside = side.name === undefined || sideFileEscapes(side.name);
    const what = side.name === undefined ? `a path computed at load time (${side.computed})` : `'${side.name.slice(0, 200)}'`;
    findings.push(
      makeFinding(
        'MS-PKL-007',
        outside
          ? `joblib.load unpickles the side file ${what} (NDArrayWrapper: numpy.load(allow_pickle=True)), outside the scanned directory`
          : `joblib.load unpickles the side file ${what} (NDArrayWrapper: numpy.load(allow_pickle=True)): scanned as its own file`,
        where,
        { sideFile: side.name ?? null, loaded: true, ...(side.computed ? { computed: side.computed } : {}) },
        outside ? 'high' : 'low',
      ),
    );
  }
  return findings;
}

/**
 * The pickle reading of bytes a loader may unpickle but that need not be a pickle (a tar member torch reads, the
 * offset-0 fallback of torch.load): when CPython would reject the stream before any opcode with an effect, nothing
 * runs and nothing is reported (pickles: 0); otherwise the stream is scanned as a pickle.
 */
export async function scanPickleIfEffective(
  bytes: Uint8Array,
  ctx: ScanContext,
  members: readonly string[],
  maxPickles?: number,
): Promise<PickleScanResult> {
  return scanReadings(bytes, ctx, members, maxPickles, true);
}

export interface Collected {
  findings: Finding[];
  errors: ScanIssue[];
}

export function memberPath(ctx: ScanContext, member?: string): string[] {
  return member === undefined ? [...ctx.members] : [...ctx.members, member];
}
