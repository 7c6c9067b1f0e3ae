/**
 * The pickle reading of ANY file: what `pickle.load` / `torch.load` / `joblib.load` / `numpy.load(allow_pickle=True)`
 * would do if pointed at it. Detection chooses the handlers; it never decides whether a file meets the pickle VM.
 *
 * `inert` is true when CPython rejects the bytes before any opcode with an effect (an import, a call, BUILD, a
 * mutation of an object, EXT, BINPERSID): loading it as a pickle does nothing, so the reading has nothing to say
 * (that is how `requirements.txt` opening `torch==2.3.1` is clean: `t` is TUPLE with no MARK, an error before any
 * effect). Otherwise the stream is judged like any pickle (scan-pickle.ts), including a text file whose first lines
 * read `c<module>\n<name>\n` (an import, then a break: MS-PKL-014, low).
 *
 * The loaders that read any file from offset 0 (`pickle.load`, `numpy.load`, joblib, the magic-number pickle of
 * torch's legacy format) have no persistent_load: a PERSID before any effect ends the load (a zip's `PK` reads so).
 *
 * Cost: most files fail within their first bytes. The VM runs on a first window; only when the run needs bytes
 * past it (a long opcode argument before any effect) is a larger window read, up to MAX_PICKLE_BYTES. A file whose
 * reading has effects is read whole (capped) and scanned: that is a pickle.
 */
import type { ByteSource } from '../../formats/byte-source.js';
import type { HandlerResult, ScanContext } from '../types.js';
import { makeFinding } from './findings.js';
import { isImportableModuleName } from './globals.js';
import { MAX_PICKLE_BYTES } from './limits.js';
import { scanPickleStream } from './scan-pickle.js';
import { runPickle } from './vm.js';

/** First window the pickle reading looks at: enough for the opening opcodes of any pickle and of most files. */
export const PICKLE_READING_FIRST_WINDOW = 64 * 1024;
/** Each larger window is this many times the previous one (a long argument before any effect is rare). */
const WINDOW_GROWTH = 16;

/** What the engine learns from the pickle reading of a source. */
export interface PickleReading extends HandlerResult {
  /** CPython would reject the stream before any opcode with an effect: loading these bytes does nothing but raise. */
  inert: boolean;
  /** The first pickle of the stream ran to STOP: `pickle.load` accepts these bytes. */
  complete: boolean;
  /**
   * An opcode with an effect ran before the stream ended or was rejected. A complete pickle without one (`N.`, `}.`)
   * returns a constant: bytes of another format that happen to read so are no second format worth reporting.
   */
  acted: boolean;
}

/** Whether find_class could import `module` (dot-separated Python identifiers); see globals.ts. */
export const importable = isImportableModuleName;

/**
 * Whether the pickle stream in `head` (the first bytes of a source of `size` bytes) breaks before any opcode with an
 * effect: `true` inert, `false` it acts or completes, `undefined` the head is too short to tell. One VM run over the
 * head; the engine uses it to check a detection that says "pickle" (`torch==2.3.1` is TUPLE without MARK, no pickle).
 */
export function inertWithin(head: Uint8Array, size: number): boolean | undefined {
  if (size === 0) return true;
  const run = runPickle(head, 0, { window: head.length < size, persistentLoad: false });
  if (run.effects || run.stopped) return false;
  if (run.needEnd !== undefined && run.needEnd <= size && head.length < size) return undefined;
  return true;
}

const INERT: PickleReading = Object.freeze({ findings: [], errors: [], inert: true, complete: false, acted: false });

export async function readAsPickle(source: ByteSource, ctx: ScanContext): Promise<PickleReading> {
  const size = source.size;
  if (size === 0) return { ...INERT, findings: [], errors: [] };
  let acted = false;
  let windowSize = Math.min(size, PICKLE_READING_FIRST_WINDOW);
  let window = await source.read(0, windowSize);
  while (true) {
    const run = runPickle(window, 0, { window: window.length < size, persistentLoad: false });
    const limited = run.events.some((e) => e.type === 'limit');
    acted = run.effects || limited;
    if (run.effects || limited || run.stopped) break;
    // No effect yet and the run stopped short of this window's end: decided, unless it needs bytes the file has.
    if (run.needEnd === undefined || run.needEnd > size || window.length >= size) return { ...INERT, findings: [], errors: [] };
    if (window.length >= MAX_PICKLE_BYTES) {
      const at = { ...(ctx.members.length ? { members: [...ctx.members] } : {}), offset: 0 };
      return {
        findings: [
          makeFinding(
            'MS-PKL-010',
            `The pickle reading needs more than MAX_PICKLE_BYTES (${MAX_PICKLE_BYTES}) bytes before its first effect`,
            at,
            { limit: 'MAX_PICKLE_BYTES' },
          ),
        ],
        errors: [],
        inert: false,
        complete: false,
        acted: true,
      };
    }
    windowSize = Math.min(size, MAX_PICKLE_BYTES, Math.max(run.needEnd, windowSize * WINDOW_GROWTH));
    window = await source.read(0, windowSize);
  }
  const findings: HandlerResult['findings'] = [];
  if (size > MAX_PICKLE_BYTES) {
    findings.push(
      makeFinding(
        'MS-PKL-010',
        `Only the first ${MAX_PICKLE_BYTES} bytes were read as a pickle (MAX_PICKLE_BYTES)`,
        { ...(ctx.members.length ? { members: [...ctx.members] } : {}) },
        { limit: 'MAX_PICKLE_BYTES' },
      ),
    );
  }
  const bytes =
    window.length >= Math.min(size, MAX_PICKLE_BYTES) ? window : await source.read(0, Math.min(size, MAX_PICKLE_BYTES));
  const result = await scanPickleStream(bytes, {
    config: ctx.config,
    members: ctx.members,
    depth: ctx.depth,
    budget: ctx.budget,
    nested: async (inner, member) => {
      const nested = await ctx.scanNested(inner, member);
      return { findings: nested.findings, errors: nested.errors };
    },
  });
  return {
    findings: [...findings, ...result.findings],
    errors: result.errors,
    inert: result.inert,
    complete: result.pickles > 0,
    acted,
  };
}
