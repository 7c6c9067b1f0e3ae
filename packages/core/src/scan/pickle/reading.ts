/**
 * The pickle reading of ANY file or member: what `pickle.load` / `torch.load` / `joblib.load` would do if pointed at
 * these bytes, whatever format detection chose. The engine runs it on every top-level file and every nested member
 * besides the handler of the detected format (detection chooses handlers; it is never a gate that lets a file skip the
 * pickle VM).
 *
 * This first version (scan-engine) is a thin wrapper over scanPickleStream; scan-pickle owns its semantics and may
 * replace the body. The signature is the contract with the engine:
 * `readAsPickle(source, ctx): Promise<PickleReading>`.
 *
 * Cost: most files are rejected at byte 0 (an invalid opcode, a stack underflow), so the reading starts with a small
 * window from offset 0 and grows it (geometrically, up to MAX_PICKLE_BYTES) only while the stream runs into the end of
 * the window; a stream that ends or breaks before the window end stops there. A 2 GB safetensors file costs one 64 KB
 * read.
 */
import type { ByteSource } from '../../formats/byte-source.js';
import type { HandlerResult, ScanContext } from '../types.js';
import { makeFinding } from './findings.js';
import { MAX_PICKLE_BYTES } from './limits.js';
import { OPCODES } from './opcodes.js';
import { scanPickleStream } from './scan-pickle.js';
import { type PickleEvent, runPickle } from './vm.js';

export interface PickleReading extends HandlerResult {
  /**
   * CPython would reject the stream before any opcode with an effect (no import, call, BUILD, SETITEM on an object,
   * EXT, PERSID): loading these bytes as a pickle does nothing but raise. An inert reading carries no findings.
   */
  inert: boolean;
  /** The first pickle of the stream ran to STOP: `pickle.load` accepts these bytes (a valid pickle). */
  complete: boolean;
  /**
   * An opcode with an effect ran before the stream ended or was rejected. A complete pickle without one (`N.`, `}.`)
   * returns a constant: bytes of another format that happen to read so are no second format worth reporting.
   */
  acted: boolean;
}

/** First window read from offset 0 (the same as detection's head: most files end inside it). */
export const PICKLE_READING_FIRST_WINDOW = 64 * 1024;
/** Factor a window grows by when the stream runs into its end (geometric growth keeps the total work linear). */
const WINDOW_GROWTH = 8;

/** VM events that mean the stream did something before it ended (an import, a call, a mutation, an unknown limit). */
const EFFECT_EVENTS: ReadonlySet<PickleEvent['type']> = new Set([
  'global',
  'call',
  'build',
  'setitem-on-global',
  'nonconstant-global',
  'ext',
  'limit',
]);

/**
 * Whether CPython's find_class could import `module`: `__import__` of a name with whitespace, ASCII punctuation other
 * than `.` and `_`, or an empty dotted part finds no module that any package installs (only a file planted on the
 * victim's sys.path under that very name would match). This is why the first line of a Python source
 * (`import torch` read by INST as module `mport torch`) or of a licence text does not make it a pickle: the unpickler
 * raises at that opcode, before anything runs.
 */
export function importable(module: string): boolean {
  if (module.length === 0) return false;
  for (const part of module.split('.')) {
    if (part.length === 0) return false;
    if (/[\x00-\x20!-\-/:-@[-^`{-~\x7f]/.test(part)) return false;
  }
  return true;
}

/**
 * Whether a parse error was caused by the window end (more bytes of the source would let the stream go on), and
 * how many bytes the stream needs at least. `undefined`: the stream broke for good (more bytes would not help).
 */
function bytesNeeded(message: string, offset: number, window: number, size: number): number | undefined {
  if (window >= size) return undefined;
  const truncated = /^truncated: needs (\d+) bytes at offset (\d+)/.exec(message);
  if (truncated) {
    const need = Number(truncated[2]) + Number(truncated[1]);
    return need <= size ? need : undefined;
  }
  const pastEnd = /^length (\d+) runs past the end/.exec(message);
  if (pastEnd) {
    // opcode byte + 8-byte length, then the data.
    const need = offset + 9 + Number(pastEnd[1]);
    return need <= size ? need : undefined;
  }
  if (/without newline|ended without STOP/.test(message)) return window + 1;
  return undefined;
}

/**
 * Opcodes at which every loader's unpickler raises when it reads a file from offset 0: PERSID/BINPERSID (pickle.load
 * and joblib define no persistent_load; torch.load reads a non-zip, non-tar file's first pickle, the magic number,
 * with a plain unpickler too), NEXT_BUFFER (no out-of-band buffers are given), EXT1/EXT2/EXT4 (CPython's extension
 * registry is empty unless the loading process itself calls copyreg.add_extension, which no library does: "unregistered
 * extension code"; a msgpack file opening with a 2-entry map, 0x82, reads as EXT1).
 */
const REJECTING: ReadonlySet<string> = new Set(['PERSID', 'BINPERSID', 'NEXT_BUFFER', 'EXT1', 'EXT2', 'EXT4']);

/**
 * Offset of the first opcode in the first pickle (before `end`) at which every loader's unpickler raises (REJECTING):
 * nothing after it runs. Walks opcode boundaries by the argument layout of OPCODES.
 */
export function firstRejection(bytes: Uint8Array, end: number): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < end) {
    const at = pos;
    const info = OPCODES[bytes[pos] as number];
    if (!info) return undefined;
    pos++;
    if (REJECTING.has(info.name)) return at;
    if (info.name === 'STOP') return undefined;
    switch (info.arg) {
      case 'none':
        break;
      case 'u1':
        pos += 1;
        break;
      case 'u2':
        pos += 2;
        break;
      case 'i4':
      case 'u4':
        pos += 4;
        break;
      case 'u8':
      case 'f8':
        pos += 8;
        break;
      case 'bytes1':
      case 'long1':
        pos += 1 + (bytes[pos] ?? 0);
        break;
      case 'bytes4':
      case 'sbytes4':
      case 'long4':
        if (pos + 4 > bytes.length) return undefined;
        pos += 4 + view.getUint32(pos, true);
        break;
      case 'bytes8':
        if (pos + 8 > bytes.length) return undefined;
        pos += 8 + Number(view.getBigUint64(pos, true));
        break;
      case 'line':
      case 'line2':
        for (let lines = info.arg === 'line' ? 1 : 2; lines > 0; lines--) {
          const nl = bytes.indexOf(0x0a, pos);
          if (nl < 0) return undefined;
          pos = nl + 1;
        }
        break;
    }
  }
  return undefined;
}

function nextWindow(window: number, need: number, cap: number): number {
  return Math.min(cap, Math.max(window * WINDOW_GROWTH, need));
}

/**
 * Whether the pickle stream in `head` (the first bytes of a source of `size` bytes) breaks before any opcode with an
 * effect: `true` inert, `false` it acts, completes, or reaches an opcode a loader could act on given its own set-up
 * (PERSID with a persistent_load, EXT with registered extension codes: the pickle handler judges those), `undefined`
 * the head is too short to tell. Cheap (one VM run over the head); the engine uses it to check a detection that says
 * "pickle": `torch==2.3.1` is TUPLE without MARK, no pickle.
 */
export function inertWithin(head: Uint8Array, size: number): boolean | undefined {
  if (size === 0) return true;
  const run = runPickle(head, 0);
  if (run.error && bytesNeeded(run.error.message, run.error.offset, head.length, size) !== undefined) return undefined;
  if (firstRejection(head, run.end) !== undefined) return false;
  const first = run.events.find((e) => EFFECT_EVENTS.has(e.type));
  if (first?.type === 'global' && !importable(first.module)) return true;
  return !first && !run.stopped;
}

/** Reads `source` as a pickle stream from offset 0 (see the module comment). Never throws on input. */
export async function readAsPickle(source: ByteSource, ctx: ScanContext): Promise<PickleReading> {
  if (source.size === 0) return { findings: [], errors: [], inert: true, complete: false, acted: false };
  const cap = Math.min(source.size, MAX_PICKLE_BYTES);
  const where = { ...(ctx.members.length ? { members: [...ctx.members] } : {}) };
  const capFinding = () =>
    makeFinding(
      'MS-PKL-010',
      `Only the first ${MAX_PICKLE_BYTES} bytes were read as a pickle (MAX_PICKLE_BYTES); the stream goes on`,
      where,
      { limit: 'MAX_PICKLE_BYTES' },
    );
  const scan = (bytes: Uint8Array) =>
    scanPickleStream(bytes, {
      config: ctx.config,
      members: ctx.members,
      depth: ctx.depth,
      nested: async (inner, member) => {
        const nested = await ctx.scanNested(inner, member);
        return { findings: nested.findings, errors: nested.errors };
      },
    });
  let window = Math.min(cap, PICKLE_READING_FIRST_WINDOW);
  let bytes = await source.read(0, window);
  let rejectedAt: number | undefined;
  let acted = false;
  // 1. The first pickle, cheaply: inert streams (the common case) stop here.
  for (;;) {
    const run = runPickle(bytes, 0);
    const need = run.error ? bytesNeeded(run.error.message, run.error.offset, bytes.length, source.size) : undefined;
    if (need !== undefined && bytes.length < cap) {
      window = nextWindow(window, need, cap);
      bytes = await source.read(0, window);
      continue;
    }
    if (need !== undefined) {
      // The stream goes on past MAX_PICKLE_BYTES: what it does there was not inspected (never "inert" by silence).
      const result = await scan(bytes);
      return { findings: [...result.findings, capFinding()], errors: result.errors, inert: false, complete: false, acted: true };
    }
    rejectedAt = firstRejection(bytes, run.end);
    const first = run.events.find((e) => EFFECT_EVENTS.has(e.type) && (rejectedAt === undefined || e.offset < rejectedAt));
    const accepted = run.stopped && rejectedAt === undefined;
    // CPython stops at an import that cannot succeed: nothing after it runs.
    if (first?.type === 'global' && !importable(first.module))
      return { findings: [], errors: [], inert: true, complete: false, acted: false };
    if (!first && !accepted) return { findings: [], errors: [], inert: true, complete: false, acted: false };
    acted = first !== undefined;
    break;
  }
  // 2. The whole stream (every pickle in a row), as the pickle handler scans it; up to the rejection point if any.
  if (rejectedAt !== undefined) {
    const result = await scan(bytes.subarray(0, rejectedAt));
    return { findings: result.findings, errors: result.errors, inert: false, complete: false, acted };
  }
  for (;;) {
    const result = await scan(bytes);
    const last = result.errors[result.errors.length - 1];
    const need = last
      ? bytesNeeded(last.message, last.location?.offset ?? 0, bytes.length, source.size)
      : result.end >= bytes.length && bytes.length < source.size
        ? bytes.length + 1
        : undefined;
    if (need !== undefined && bytes.length < cap) {
      window = nextWindow(window, need, cap);
      bytes = await source.read(0, window);
      continue;
    }
    const findings = need !== undefined ? [...result.findings, capFinding()] : result.findings;
    return { findings, errors: result.errors, inert: false, complete: result.pickles > 0, acted };
  }
}
