/**
 * A symbolic pickle machine: it walks the opcodes the way CPython's unpicklers do (Modules/_pickle.c and
 * Lib/pickle.py, 3.11), without executing anything, and records what loading would import, call and mutate.
 *
 * Values are symbolic but keep what a verdict needs: strings and bytes keep their content, integers their exact
 * value (parsed with CPython's rules, see operands.ts), tuples/lists/dicts/sets their first MAX_TRACKED_ITEMS items
 * (and their true length), globals their name, calls their callee and arguments, and objects the state BUILD gave
 * them and the items SETITEM/APPEND added. Mutable containers are mutated in place, so a memo entry and the value
 * on the stack stay the same object, as in CPython.
 *
 * Where the C unpickler (pickle.loads, torch.load) and the pure-Python one (joblib) differ, the VM follows the reading
 * under which the stream goes on, so that it sees every opcode either loader could run:
 * - FRAME: the C unpickler reads frames linearly (an opcode may cross a frame end); pickle.py refuses that. The VM
 *   reads linearly and reports the crossing (`frame-overrun`). A FRAME longer than the data is not an anomaly of its
 *   own (a truncated file): the C unpickler stops there, pickle.py goes on; the VM goes on.
 * - REDUCE/NEWOBJ arguments: the C unpickler requires a tuple, pickle.py unpacks any iterable: any container is a call.
 * - INT: `_pickle.c` accepts more forms than `int(data, 0)` (`010`, a NUL ending the digits): its reading is used.
 */
import {
  MAX_GLOBAL_NAME_BYTES,
  MAX_LINE_LENGTH,
  MAX_MEMO_ENTRIES,
  MAX_PICKLE_OPCODES,
  MAX_STACK_DEPTH,
  MAX_STRING_BYTES,
  MAX_TRACKED_ITEMS,
} from './limits.js';
import {
  decodePy2String,
  decodeUtf8Strict,
  decodeUtf8SurrogatePass,
  escapeDecode,
  latin1,
  parseFloatLine,
  parseIntLine,
  parseLongLine,
  parseMemoKeyLine,
  rawUnicodeEscapeDecode,
} from './operands.js';
import { resolveModuleName } from './python-names.js';

/** A global as find_class receives it (module and name decoded, before fix_imports). */
export interface GlobalValue {
  kind: 'global';
  module: string;
  name: string;
  opcode: 'GLOBAL' | 'STACK_GLOBAL' | 'INST';
  /** Pickle protocol in force when it was imported (find_class applies fix_imports only below 3). */
  protocol: number;
  /** The module name as the stream spells it, when `__import__` resolves it to another (`os\0` loads `os`). */
  spelled?: string;
  offset: number;
  opcodeIndex: number;
}

/** The result of a call (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ): an object whose value the VM does not know. */
export interface CallValue {
  kind: 'call';
  callee: SymValue;
  /** The argument tuple (REDUCE/NEWOBJ: whatever was on the stack; INST/OBJ: the items after the MARK). */
  args: SymValue;
  /** NEWOBJ_EX keyword arguments. */
  kwargs?: SymValue;
  opcode: 'REDUCE' | 'NEWOBJ' | 'NEWOBJ_EX' | 'INST' | 'OBJ';
  offset: number;
  opcodeIndex: number;
  /** States BUILD applied to this object, in order (kept up to MAX_TRACKED_ITEMS). */
  states?: SymValue[];
  /** Items SETITEM(S)/APPEND(S)/ADDITEMS added to this object (a dict subclass, an OrderedDict, a deque...). */
  items?: SymValue[];
}

export type SymValue =
  | { kind: 'str'; value: string }
  | { kind: 'bytes'; value: Uint8Array; bytearray?: true }
  | { kind: 'int'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'float'; value: number }
  | { kind: 'none' }
  | GlobalValue
  | CallValue
  | { kind: 'tuple'; items: SymValue[]; length: number }
  | { kind: 'list'; items: SymValue[]; length: number }
  | { kind: 'dict'; entries: [SymValue, SymValue][]; length: number }
  | { kind: 'set'; items: SymValue[]; length: number; frozen: boolean }
  | { kind: 'persid'; pid: SymValue }
  | { kind: 'ext'; code: number }
  | { kind: 'unknown'; why: string };

/** What a loader does after a BUILD (the joblib hook): raw bytes it reads, or a nested pickle it loads. */
export type AfterBuild =
  /** The loader reads `skip` raw bytes from the file position (joblib: an array's padding and data). */
  | { skip: number; value?: SymValue }
  /**
   * The loader runs `pickle.load(file)` from `start` (joblib: an object-dtype array); `end` when the caller already
   * knows where that pickle ends, else the VM runs it (with no hooks, as pickle.load does) to find its STOP.
   */
  | { nested: { start: number; end?: number }; value?: SymValue };

export interface RunOptions {
  /**
   * Called after every BUILD with the object built (left on the stack), the state BUILD applied, the position of
   * the loader's file handle and the data. The file position is where a `file.read()` made by the loader would read:
   * just after the BUILD, or, when a FRAME is open, at that frame's end (pickle.py reads a whole frame ahead; the
   * rest of the frame is still unpickled before the file is read again). Return how the loader goes on, or
   * undefined for an ordinary BUILD. `value` replaces the object on the stack (joblib: the array it read). `offset`
   * is the BUILD's own.
   */
  afterBuild?: (target: SymValue, state: SymValue, filePos: number, data: Uint8Array, offset: number) => AfterBuild | undefined;
  /**
   * The data is a window (a prefix) of a larger file: a line argument reaching its end is reported as needing more
   * data (`needEnd`) instead of being read as the file's last line.
   */
  window?: boolean;
  /**
   * Whether the loader has a persistent_load (torch's zip and legacy loaders reading their data pickle do). Without
   * one (`pickle.load`, `numpy.load`, joblib, the first pickle of a legacy torch file) PERSID and BINPERSID raise
   * UnpicklingError: the load stops there. Default true: the VM goes on (fail closed).
   */
  persistentLoad?: boolean;
}

export type PickleEvent =
  | {
      type: 'global';
      value: GlobalValue;
      /** Same as value.module / value.name / value.opcode. */
      module: string;
      name: string;
      opcode: GlobalValue['opcode'];
      offset: number;
      opcodeIndex: number;
    }
  | {
      type: 'call';
      value: CallValue;
      /** Same as value.callee / value.args / value.opcode. */
      callee: SymValue;
      args: SymValue;
      opcode: CallValue['opcode'];
      offset: number;
      opcodeIndex: number;
    }
  | { type: 'build'; target: SymValue; state: SymValue; offset: number; opcodeIndex: number }
  | { type: 'mutate'; target: SymValue; opcode: string; offset: number; opcodeIndex: number }
  /** An object built by a call put in a dict (as a key) or a set: its class's `__hash__` runs (no effect of its own). */
  | { type: 'hash'; value: CallValue; offset: number; opcodeIndex: number }
  | { type: 'nonconstant-global'; detail: string; operands: [SymValue, SymValue]; offset: number; opcodeIndex: number }
  | { type: 'ext'; code: number; offset: number; opcodeIndex: number }
  | { type: 'persid'; pid: SymValue; opcode: 'PERSID' | 'BINPERSID'; offset: number; opcodeIndex: number }
  | { type: 'bytes'; value: Uint8Array; offset: number; opcodeIndex: number }
  | { type: 'text'; value: string; offset: number; opcodeIndex: number }
  | { type: 'frame-overrun'; offset: number; opcodeIndex: number }
  | { type: 'skip'; start: number; end: number; offset: number; opcodeIndex: number }
  | { type: 'embedded'; start: number; end: number; run?: PickleRun; offset: number; opcodeIndex: number }
  | { type: 'limit'; limit: string; offset: number; opcodeIndex: number };

export interface PickleRun {
  events: PickleEvent[];
  /** Offset just after STOP (or where parsing ended). */
  end: number;
  stopped: boolean;
  /** Last PROTO seen (0 when none). */
  protocol: number;
  opcodes: number;
  /** True once an opcode with an effect ran: an import, a call, BUILD, a mutation of an object, EXT, BINPERSID. */
  effects: boolean;
  /** The value STOP returned. */
  result?: SymValue;
  /**
   * Set when the run failed because the data ended (`RunOptions.window`): the offset it needed to reach. Reading
   * more of the file could change the outcome.
   */
  needEnd?: number;
  error?: { message: string; offset: number; opcodeIndex: number };
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** Set when the data ended: the offset the read needed to reach (more data could change the outcome). */
    readonly needEnd?: number,
  ) {
    super(message);
  }
}

class LimitError extends Error {
  constructor(readonly limit: string) {
    super(limit);
  }
}

const MARK = Symbol('mark');
type Slot = SymValue | typeof MARK;

const NONE: SymValue = { kind: 'none' };
const TRUE: SymValue = { kind: 'bool', value: true };
const FALSE: SymValue = { kind: 'bool', value: false };
/** Cache of small ints (BININT1 and friends push them by the million). */
const SMALL_INTS: SymValue[] = Array.from({ length: 256 }, (_, i) => ({ kind: 'int', value: BigInt(i) }));

function intValue(n: number): SymValue {
  return n >= 0 && n < 256 ? (SMALL_INTS[n] as SymValue) : { kind: 'int', value: BigInt(n) };
}

/**
 * Cheap pre-check before trying a string as an encoded pickle: base64 of a protocol 2+ pickle starts with 'gA',
 * of a protocol 0/1 pickle with 'K' ('('), 'Y' ('c'), 'X' (']'), 'f' ('}'); hex with 80/28/63/5d/7d; raw with \x80.
 */
function mayEncodePickle(text: string): boolean {
  const c0 = text.charCodeAt(0);
  const c1 = text.charCodeAt(1);
  if (c0 === 0x80 || c0 === 0x4b || c0 === 0x59 || c0 === 0x58 || c0 === 0x66) return true;
  if (c0 === 0x67) return c1 === 0x41; // 'gA'
  if (c0 === 0x38) return c1 === 0x30; // '80'
  if (c0 === 0x32) return c1 === 0x38; // '28'
  if (c0 === 0x36) return c1 === 0x33; // '63'
  if (c0 === 0x35 || c0 === 0x37) return c1 === 0x64 || c1 === 0x44; // '5d' / '7d'
  return false;
}
/** Shortest string checked for a base64/hex-encoded pickle (a minimal pickle encodes to more than this). */
export const MIN_ENCODED_PICKLE_CHARS = 8;

/** Bytes a number's line may hold before its newline (digits, letters of prefixes/inf/nan, sign, point, _, spaces). */
const NUMERIC_LINE_BYTES = (() => {
  const table = new Uint8Array(256);
  for (const ch of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_+-. \t\v\f\r') table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** Kinds CPython cannot unpack as call arguments (`func(*args)` raises): no call happens. */
function cannotBeArgs(value: SymValue): boolean {
  return value.kind === 'int' || value.kind === 'bool' || value.kind === 'float' || value.kind === 'none';
}

/** Appends to a tracked item list, bounded. */
function track<T>(items: T[], item: T): void {
  if (items.length < MAX_TRACKED_ITEMS) items.push(item);
}

/** CPython's message when a stream uses a persistent id and the loader has no persistent_load. */
const NO_PERSISTENT_LOAD = 'A load persistent id instruction was encountered, but no persistent_load function was specified';

/**
 * The state of one run and its opcode handlers. A class rather than closures over a function's locals: V8 keeps one
 * optimised copy of each method across runs (closures are created anew per run, and code inlined for one run's
 * closures is thrown away on the next), and the hot loop (run) stays small enough to be optimised at once.
 */
class PickleMachine {
  readonly data: Uint8Array;
  readonly start: number;
  readonly options: RunOptions;
  readonly view: DataView;
  readonly buffer: Buffer;
  readonly len: number;
  readonly events: PickleEvent[];
  /**
   * The stack is `stack[0..sp)`: slots above sp are stale and overwritten by the next push. Popping a batch (APPENDS
   * of 1000 items) moves sp only, so the array keeps its capacity (setting `length` lower would let V8 shrink the
   * backing store, to regrow it on the next batch: an allocation per few pushes).
   */
  readonly stack: Slot[];
  sp: number;
  readonly marks: number[];
  readonly memo: Map<bigint | number, SymValue>;
  readonly afterBuild: RunOptions['afterBuild'];
  readonly needMore: boolean;
  // Limits copied to fields: the hot loop compares against them for every opcode (an imported binding is a load
  // and a hole check each time).
  readonly maxStackDepth: number;
  readonly maxOpcodes: number;
  pos: number;
  opcodes: number;
  protocol: number;
  effects: boolean;
  /** End of the open FRAME, -1 when none. */
  frameEnd: number;
  /** Where reading resumes once the open frame is exhausted, when a hook read the file past it (pickle.py only). */
  resumeAfterFrame: number;
  opStart: number;
  floor: number; // stack index below which pops underflow (the latest MARK + 1)
  /** min(end of data, end of the open frame): reads within it need no further check (the hot path). */
  limitEnd: number;

  /** Index of the opcode being run (0 before the first): derived, so the hot loop stores one counter, not two. */
  get opIndex(): number {
    return this.opcodes > 0 ? this.opcodes - 1 : 0;
  }

  constructor(data: Uint8Array, start: number, options: RunOptions) {
    this.data = data;
    this.start = start;
    this.options = options;
    this.view = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    this.buffer = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    this.len = this.data.length;
    this.events = [];
    this.stack = [];
    this.sp = 0;
    this.marks = [];
    this.memo = new Map<bigint | number, SymValue>();
    this.afterBuild = this.options.afterBuild;
    this.needMore = this.options.window === true;
    this.maxStackDepth = MAX_STACK_DEPTH;
    this.maxOpcodes = MAX_PICKLE_OPCODES;
    this.pos = this.start;
    this.opcodes = 0;
    this.protocol = 0;
    this.effects = false;
    this.frameEnd = -1;
    this.resumeAfterFrame = -1;
    this.opStart = this.start;
    this.floor = 0;
    this.limitEnd = this.len;
  }

  /**
   * A string whose declared length is over MAX_STRING_BYTES. Past the end of a whole stream, the unpickler's read
   * fails first ("pickle data was truncated"): the same ParseError as any truncation, so a text file whose first
   * bytes read as a huge BINSTRING (any text starting with 'T') is judged by what ran before it (nothing: inert).
   * Within the data it is a limit: the string is there and is not inspected.
   */
  overLongString(n: number): never {
    if (!this.needMore) this.need(n);
    throw new LimitError('MAX_STRING_BYTES');
  }

  need(n: number) {
    if (this.pos + n <= this.limitEnd) return;
    if (n < 0 || this.pos + n > this.data.length)
      throw new ParseError(`pickle data was truncated at offset ${this.pos}`, this.pos, n < 0 ? undefined : this.pos + n);
    if (this.frameEnd >= 0 && this.pos + n > this.frameEnd && this.opStart < this.frameEnd) {
      // An argument crossing the end of its frame: the C unpickler reads it linearly, pickle.py raises.
      if (this.resumeAfterFrame >= 0) throw new ParseError('pickle exhausted before end of frame', this.opStart);
      this.events.push({ type: 'frame-overrun', offset: this.opStart, opcodeIndex: this.opIndex });
      this.frameEnd = -1;
      this.limitEnd = this.len;
    }
  }

  /**
   * A line argument as both unpicklers read it: up to and including the newline, or, at the end of the data, the
   * rest (whose last byte is then dropped as if it were the newline). `maxLength` bounds the scan: past it the
   * line is a limit (MS-PKL-010), or, with `tooLong`, the error CPython would end in anyway. `numeric` lines (INT,
   * LONG, FLOAT, GET, PUT) end at the first byte no number can hold (CPython reads the line, then fails to parse it:
   * the same outcome, found without scanning a long text for its newline).
   */
  readLine(maxLength = MAX_LINE_LENGTH, tooLong?: string, numeric = false): Uint8Array {
    const limit = Math.min(this.data.length, this.pos + maxLength);
    let nl: number;
    if (numeric) {
      nl = -1;
      let afterNul = false;
      for (let i = this.pos; i < limit; i++) {
        const c = this.data[i] as number;
        if (c === 0x0a) {
          nl = i - this.pos;
          break;
        }
        if (c === 0) afterNul = true;
        else if (!afterNul && NUMERIC_LINE_BYTES[c] !== 1) throw new ParseError('invalid literal for a number', this.opStart);
      }
    } else nl = this.data.subarray(this.pos, limit).indexOf(0x0a);
    if (nl < 0) {
      if (limit < this.data.length) {
        if (tooLong) throw new ParseError(tooLong, this.opStart);
        throw new LimitError('MAX_LINE_LENGTH');
      }
      // At the end of the data: the line may go on in bytes not read yet (a window of a larger file).
      if (this.needMore)
        throw new ParseError('pickle data was truncated (line without newline)', this.opStart, this.data.length + 1);
      const line = this.data.subarray(this.pos, this.data.length);
      this.need(line.length);
      this.pos = this.data.length;
      return line;
    }
    const line = this.data.subarray(this.pos, this.pos + nl + 1);
    this.need(nl + 1);
    this.pos += nl + 1;
    return line;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    if (this.pos + 1 > this.limitEnd) this.need(1);
    return this.data[this.pos++] as number;
  }

  u32(): number {
    this.need(4);
    const n = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return n;
  }

  i32(): number {
    this.need(4);
    const n = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return n;
  }

  u64(): number {
    this.need(8);
    const n = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    // Past 2^53 the read that follows fails anyway (no file is that long); clamp so arithmetic stays exact.
    return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  }

  push(value: Slot) {
    if (this.sp >= this.maxStackDepth) throw new LimitError('MAX_STACK_DEPTH');
    this.stack[this.sp++] = value;
  }

  pop(): SymValue {
    if (this.sp <= this.floor) throw new ParseError('unpickling stack underflow', this.opStart);
    return this.stack[--this.sp] as SymValue;
  }

  top(): SymValue {
    if (this.sp <= this.floor) throw new ParseError('unpickling stack underflow', this.opStart);
    return this.stack[this.sp - 1] as SymValue;
  }

  popMark(): SymValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw new ParseError('could not find MARK', this.opStart);
    const items = this.stack.slice(mark + 1, this.sp) as SymValue[];
    this.sp = mark;
    this.floor = this.marks.length ? (this.marks[this.marks.length - 1] as number) + 1 : 0;
    return items;
  }

  /**
   * APPENDS/SETITEMS/ADDITEMS: the items above the latest MARK are added to the object below it, read in place on
   * the stack (no copy: a batch of 1000 items costs no array), then removed. No callback: a closure made in run()
   * that captured the loop's `code` would make V8 allocate a context for every opcode.
   */
  addMarkItems(opcode: 'APPENDS' | 'ADDITEMS' | 'SETITEMS', pairs: boolean): void {
    const mark = this.marks.pop();
    if (mark === undefined) throw new ParseError('could not find MARK', this.opStart);
    const target = this.stack[mark - 1];
    const below = this.marks.length ? (this.marks[this.marks.length - 1] as number) + 1 : 0;
    if (target === undefined || target === MARK || mark - 1 < below)
      throw new ParseError('unpickling stack underflow', this.opStart);
    const from = mark + 1;
    const to = this.sp;
    if (pairs && (to - from) % 2 !== 0) throw new ParseError('odd number of items for SETITEMS', this.opStart);
    if (to > from) this.addItems(target, this.stack, from, to, opcode, pairs);
    this.sp = mark;
    this.floor = below;
  }

  memoKey(key: bigint): bigint | number {
    return key <= BigInt(Number.MAX_SAFE_INTEGER) && key >= 0n ? Number(key) : key;
  }

  memoPut(key: bigint | number, value: SymValue) {
    if (!this.memo.has(key) && this.memo.size >= MAX_MEMO_ENTRIES) throw new LimitError('MAX_MEMO_ENTRIES');
    this.memo.set(key, value);
  }

  memoGet(key: bigint | number): SymValue {
    const value = this.memo.get(key);
    if (!value) throw new ParseError(`Memo value not found at index ${key}`, this.opStart);
    return value;
  }

  importGlobal(module: string, name: string, opcode: GlobalValue['opcode']): GlobalValue {
    // find_class's `__import__` raises on a name that is not dot-separated identifiers, before importing anything
    // (both unpicklers): the load stops here with no effect (a `.py` file opening `import torch` read as INST).
    // A NUL-suffixed name of a frozen module loads that module (`os\0` is os): the global is the module it loads.
    const resolved = resolveModuleName(module);
    if (resolved === undefined) throw new ParseError(`No module named '${module.slice(0, 80)}'`, this.opStart);
    this.effects = true;
    const value: GlobalValue = {
      kind: 'global',
      module: resolved,
      name,
      opcode,
      protocol: this.protocol,
      offset: this.opStart,
      opcodeIndex: this.opIndex,
    };
    if (resolved !== module) value.spelled = module;
    this.events.push({ type: 'global', value, module: resolved, name, opcode, offset: this.opStart, opcodeIndex: this.opIndex });
    return value;
  }

  call(callee: SymValue, args: SymValue, opcode: CallValue['opcode'], kwargs?: SymValue): CallValue {
    this.effects = true;
    const value: CallValue = { kind: 'call', callee, args, opcode, offset: this.opStart, opcodeIndex: this.opIndex };
    if (kwargs) value.kwargs = kwargs;
    this.events.push({ type: 'call', value, callee, args, opcode, offset: this.opStart, opcodeIndex: this.opIndex });
    return value;
  }

  pushStr(value: string) {
    if (value.length >= MIN_ENCODED_PICKLE_CHARS && mayEncodePickle(value))
      this.events.push({ type: 'text', value, offset: this.opStart, opcodeIndex: this.opIndex });
    this.push({ kind: 'str', value });
  }

  pushBytes(value: Uint8Array, bytearray = false) {
    this.events.push({ type: 'bytes', value, offset: this.opStart, opcodeIndex: this.opIndex });
    this.push(bytearray ? { kind: 'bytes', value, bytearray: true } : { kind: 'bytes', value });
  }

  /**
   * A GLOBAL/INST operand line. The C unpickler refuses an empty one (bad_readline); pickle.py passes '' to
   * find_class, whose `__import__('')` raises (no import) but whose getattr(module, '') raises only after the module
   * was imported: an empty name still imports its module, which the VM reports.
   */
  lineName(what: 'module' | 'name', opcode: string): string {
    const line = this.readLine(MAX_GLOBAL_NAME_BYTES, `${opcode} ${what} longer than any importable name`);
    if (line.length === 0) throw new ParseError('pickle data was truncated', this.opStart);
    const bytes = line.subarray(0, line.length - 1);
    // GLOBAL names are strict UTF-8; INST names strict ASCII (both unpicklers).
    const name = opcode === 'INST' ? (bytes.every((b) => b < 0x80) ? latin1(bytes) : undefined) : decodeUtf8Strict(bytes);
    if (name === undefined)
      throw new ParseError(`${opcode} ${what} is not valid ${opcode === 'INST' ? 'ASCII' : 'UTF-8'}`, this.opStart);
    if (what === 'module' && name === '') throw new ParseError('Empty module name', this.opStart);
    return name;
  }

  /** Reports the objects among keys (every `step`-th slot from `from`) put in a dict or set: they are hashed. */
  hashed(items: readonly Slot[], from: number, to: number, step: number) {
    for (let i = from; i < to; i += step) {
      const key = items[i] as SymValue;
      if (key.kind === 'call') this.events.push({ type: 'hash', value: key, offset: this.opStart, opcodeIndex: this.opIndex });
    }
  }

  /** Items added to a container or an object by APPEND(S)/SETITEM(S)/ADDITEMS. */
  addItems(target: SymValue, items: readonly Slot[], from: number, to: number, opcode: string, pairs: boolean) {
    const count = to - from;
    switch (target.kind) {
      case 'list':
      case 'set':
        if (pairs) break;
        target.length += count;
        if (target.kind === 'set') this.hashed(items, from, to, 1);
        for (let i = from; i < to && target.items.length < MAX_TRACKED_ITEMS; i++) target.items.push(items[i] as SymValue);
        return;
      case 'dict':
        if (!pairs) break;
        target.length += count / 2;
        this.hashed(items, from, to, 2);
        for (let i = from; i + 1 < to && target.entries.length < MAX_TRACKED_ITEMS; i += 2)
          target.entries.push([items[i] as SymValue, items[i + 1] as SymValue]);
        return;
      case 'call': {
        // An object built by a call: its own __setitem__/append/extend/add runs (a method of its class).
        target.items ??= [];
        for (let i = from; i < to && target.items.length < MAX_TRACKED_ITEMS; i++) target.items.push(items[i] as SymValue);
        break;
      }
      default:
        break;
    }
    // Anything but a plain container: CPython calls a method of the object (or fails). Reported to the judge.
    this.effects = true;
    this.events.push({ type: 'mutate', target, opcode, offset: this.opStart, opcodeIndex: this.opIndex });
  }

  applyAfterBuild(next: AfterBuild, filePos: number) {
    let resume: number;
    if ('skip' in next) {
      if (!Number.isSafeInteger(next.skip) || next.skip < 0 || filePos + next.skip > this.data.length)
        throw new ParseError(`the loader reads ${next.skip} raw bytes past the end of the data`, this.opStart);
      resume = filePos + next.skip;
      this.events.push({ type: 'skip', start: filePos, end: resume, offset: this.opStart, opcodeIndex: this.opIndex });
    } else {
      const begin = next.nested.start;
      let end = next.nested.end;
      let run: PickleRun | undefined;
      if (end === undefined) {
        run = runPickle(this.data, begin);
        if (!run.stopped) {
          this.events.push({
            type: 'embedded',
            start: begin,
            end: run.end,
            run,
            offset: this.opStart,
            opcodeIndex: this.opIndex,
          });
          throw new ParseError(`nested pickle at ${begin}: ${run.error?.message ?? 'no STOP'}`, run.error?.offset ?? begin);
        }
        end = run.end;
      }
      if (!Number.isSafeInteger(end) || end < begin || end > this.data.length)
        throw new ParseError('nested pickle runs past the end of the data', this.opStart);
      this.events.push({
        type: 'embedded',
        start: begin,
        end,
        ...(run ? { run } : {}),
        offset: this.opStart,
        opcodeIndex: this.opIndex,
      });
      resume = end;
    }
    if (next.value) this.stack[this.sp - 1] = next.value;
    if (this.frameEnd >= 0 && this.pos < this.frameEnd) this.resumeAfterFrame = resume;
    else {
      this.pos = resume;
      this.frameEnd = -1;
      this.limitEnd = this.len;
    }
  }

  /**
   * Every opcode the hot loop of run() does not handle itself: kept out of run() so that run() stays small (V8
   * optimises a small loop in milliseconds; one switch over every opcode took it hundreds, which the loop spent in
   * the interpreter).
   */
  cold(code: number): void {
    switch (code) {
      case 0x80: {
        // PROTO
        const p = this.u8();
        if (p > 5) throw new ParseError(`unsupported pickle protocol: ${p}`, this.opStart);
        this.protocol = p;
        break;
      }
      case 0x95: {
        // FRAME
        const size = this.u64();
        if (this.frameEnd >= 0 && this.pos < this.frameEnd) {
          // pickle.py: "beginning of a new frame before end of current frame"; the C unpickler goes on.
          this.events.push({ type: 'frame-overrun', offset: this.opStart, opcodeIndex: this.opIndex });
        }
        this.frameEnd = this.pos + size <= this.data.length ? this.pos + size : -1;
        this.limitEnd = this.frameEnd >= 0 ? this.frameEnd : this.len;
        break;
      }
      case 0x31: // POP_MARK
        this.popMark();
        break;
      case 0x32: // DUP
        this.push(this.top());
        break;
      case 0x49: {
        // INT
        const value = parseIntLine(this.readLine(MAX_LINE_LENGTH, undefined, true));
        if (!value) throw new ParseError('could not convert string to int', this.opStart);
        this.push(value.kind === 'bool' ? (value.value ? TRUE : FALSE) : value);
        break;
      }
      case 0x4c: {
        // LONG
        const value = parseLongLine(this.readLine(MAX_LINE_LENGTH, undefined, true));
        if (value === undefined) throw new ParseError('invalid literal for int() with base 0', this.opStart);
        this.push({ kind: 'int', value });
        break;
      }
      case 0x46: {
        // FLOAT
        const value = parseFloatLine(this.readLine(MAX_LINE_LENGTH, undefined, true));
        if (value === undefined) throw new ParseError('could not convert string to float', this.opStart);
        this.push({ kind: 'float', value });
        break;
      }
      case 0x47: {
        // BINFLOAT
        this.need(8);
        const value = this.view.getFloat64(this.pos, false);
        this.pos += 8;
        this.push({ kind: 'float', value });
        break;
      }
      case 0x8a: {
        // LONG1
        this.push({ kind: 'int', value: decodeLong(this.take(this.u8())) });
        break;
      }
      case 0x8b: {
        // LONG4
        const n = this.i32();
        if (n < 0) throw new ParseError('LONG pickle has negative byte count', this.opStart);
        this.push({ kind: 'int', value: decodeLong(this.take(n)) });
        break;
      }
      case 0x53: {
        // STRING: the line without its newline must be quoted with the same quote at both ends.
        if (this.data[this.pos] !== 0x27 && this.data[this.pos] !== 0x22)
          throw new ParseError('the STRING opcode argument must be quoted', this.opStart);
        const line = this.readLine();
        const body = line.subarray(0, Math.max(0, line.length - 1));
        const q = body[0];
        if (body.length < 2 || (q !== 0x27 && q !== 0x22) || body[body.length - 1] !== q)
          throw new ParseError('the STRING opcode argument must be quoted', this.opStart);
        const decoded = escapeDecode(body.subarray(1, body.length - 1));
        if (!decoded) throw new ParseError('invalid escape in STRING', this.opStart);
        this.pushStr(decodePy2String(decoded));
        break;
      }
      case 0x56: {
        // UNICODE
        const line = this.readLine();
        const text = rawUnicodeEscapeDecode(line.subarray(0, Math.max(0, line.length - 1)));
        if (text === undefined) throw new ParseError("'rawunicodeescape' codec can't decode UNICODE", this.opStart);
        this.pushStr(text);
        break;
      }
      case 0x54: {
        // BINSTRING
        const n = this.i32();
        if (n < 0) throw new ParseError('BINSTRING pickle has negative byte count', this.opStart);
        if (n > MAX_STRING_BYTES) this.overLongString(n);
        const bytes = this.take(n);
        this.events.push({ type: 'bytes', value: bytes, offset: this.opStart, opcodeIndex: this.opIndex });
        this.pushStr(decodePy2String(bytes));
        break;
      }
      case 0x55: {
        // SHORT_BINSTRING
        const bytes = this.take(this.u8());
        this.events.push({ type: 'bytes', value: bytes, offset: this.opStart, opcodeIndex: this.opIndex });
        this.pushStr(decodePy2String(bytes));
        break;
      }
      case 0x42: // BINBYTES
        this.pushBytes(this.take(this.u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        this.pushBytes(this.take(this.u8()));
        break;
      case 0x8e: // BINBYTES8
        this.pushBytes(this.take(this.u64()));
        break;
      case 0x96: // BYTEARRAY8
        this.pushBytes(this.take(this.u64()), true);
        break;
      case 0x97: // NEXT_BUFFER: out-of-band data (only loaders given buffers= go on; none of the model loaders)
        this.push({ kind: 'unknown', why: 'out-of-band buffer' });
        break;
      case 0x98: // READONLY_BUFFER
        this.top();
        break;
      case 0x74: {
        // TUPLE
        const items = this.popMark();
        this.push({ kind: 'tuple', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length });
        break;
      }
      case 0x6c: {
        // LIST
        const items = this.popMark();
        this.push({ kind: 'list', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length });
        break;
      }
      case 0x64: {
        // DICT
        const items = this.popMark();
        if (items.length % 2 !== 0) throw new ParseError('odd number of items for DICT', this.opStart);
        this.hashed(items, 0, items.length, 2);
        const entries: [SymValue, SymValue][] = [];
        for (let i = 0; i + 1 < items.length && entries.length < MAX_TRACKED_ITEMS; i += 2)
          entries.push([items[i] as SymValue, items[i + 1] as SymValue]);
        this.push({ kind: 'dict', entries, length: items.length / 2 });
        break;
      }
      case 0x8f: // EMPTY_SET
        this.push({ kind: 'set', items: [], length: 0, frozen: false });
        break;
      case 0x91: {
        // FROZENSET
        const items = this.popMark();
        this.hashed(items, 0, items.length, 1);
        this.push({ kind: 'set', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length, frozen: true });
        break;
      }
      case 0x67: {
        // GET
        const key = parseMemoKeyLine(this.readLine(MAX_LINE_LENGTH, undefined, true));
        if (key === undefined) throw new ParseError('invalid literal for int() with base 10 (GET)', this.opStart);
        this.push(this.memoGet(this.memoKey(key)));
        break;
      }
      case 0x70: {
        // PUT
        const key = parseMemoKeyLine(this.readLine(MAX_LINE_LENGTH, undefined, true));
        if (key === undefined) throw new ParseError('invalid literal for int() with base 10 (PUT)', this.opStart);
        if (key < 0n) throw new ParseError('negative PUT argument', this.opStart);
        this.memoPut(this.memoKey(key), this.top());
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = this.lineName('module', 'GLOBAL');
        const name = this.lineName('name', 'GLOBAL');
        this.push(this.importGlobal(module, name, 'GLOBAL'));
        if (name === '') throw new ParseError(`Can't get attribute '' on module ${module}`, this.opStart);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL: both operands must be str at run time ("STACK_GLOBAL requires str").
        const nameValue = this.pop();
        const moduleValue = this.pop();
        if (moduleValue.kind === 'str' && nameValue.kind === 'str') {
          if (moduleValue.value === '') throw new ParseError('Empty module name', this.opStart);
          this.push(this.importGlobal(moduleValue.value, nameValue.value, 'STACK_GLOBAL'));
          if (nameValue.value === '') throw new ParseError(`Can't get attribute ''`, this.opStart);
          break;
        }
        if (!mayBeStr(moduleValue) || !mayBeStr(nameValue)) throw new ParseError('STACK_GLOBAL requires str', this.opStart);
        // An operand computed at load time (a call result could be a str): the name cannot be known statically.
        this.effects = true;
        this.events.push({
          type: 'nonconstant-global',
          detail: `STACK_GLOBAL operands are ${describe(moduleValue)} and ${describe(nameValue)}`,
          operands: [moduleValue, nameValue],
          offset: this.opStart,
          opcodeIndex: this.opIndex,
        });
        this.push({ kind: 'unknown', why: 'global with computed name' });
        break;
      }
      case 0x69: {
        // INST: pickle.py imports first and then pops the MARK (an import happens even without one).
        const module = this.lineName('module', 'INST');
        const name = this.lineName('name', 'INST');
        const callee = this.importGlobal(module, name, 'INST');
        if (name === '') throw new ParseError(`Can't get attribute '' on module ${module}`, this.opStart);
        const items = this.popMark();
        this.push(this.call(callee, { kind: 'tuple', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length }, 'INST'));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = this.popMark();
        const callee = items.shift();
        if (!callee) throw new ParseError('unpickling stack underflow', this.opStart);
        this.push(this.call(callee, { kind: 'tuple', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length }, 'OBJ'));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = this.pop();
        const callee = this.pop();
        if (cannotBeArgs(args)) throw new ParseError('REDUCE arguments are not iterable', this.opStart);
        this.push(this.call(callee, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = this.pop();
        const cls = this.pop();
        if (cannotBeArgs(args)) throw new ParseError('NEWOBJ args argument must be a tuple', this.opStart);
        this.push(this.call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        if (cannotBeArgs(args)) throw new ParseError('NEWOBJ_EX args argument must be a tuple', this.opStart);
        this.push(this.call(cls, args, 'NEWOBJ_EX', kwargs));
        break;
      }
      case 0x62: {
        // BUILD
        const state = this.pop();
        const target = this.top();
        this.effects = true;
        if (target.kind === 'call') {
          target.states ??= [];
          track(target.states, state);
        }
        this.events.push({ type: 'build', target, state, offset: this.opStart, opcodeIndex: this.opIndex });
        if (this.afterBuild) {
          const filePos =
            this.frameEnd >= 0 && this.pos < this.frameEnd
              ? this.resumeAfterFrame >= 0
                ? this.resumeAfterFrame
                : this.frameEnd
              : this.pos;
          const next = this.afterBuild(target, state, filePos, this.data, this.opStart);
          if (next) this.applyAfterBuild(next, filePos);
        }
        break;
      }
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: {
        // EXT4
        let ext: number;
        if (code === 0x82) ext = this.u8();
        else if (code === 0x83) {
          this.need(2);
          ext = this.view.getUint16(this.pos, true);
          this.pos += 2;
        } else ext = this.i32();
        if (ext <= 0) throw new ParseError('EXT specifies code <= 0', this.opStart);
        // copyreg's extension registry is empty unless the loading process filled it (no ML library does):
        // CPython raises "unregistered extension code" here, before importing anything. Reported (MS-PKL-011)
        // when the stream had effects before; a stream opening with it (msgpack's fixmap bytes) is inert.
        this.events.push({ type: 'ext', code: ext, offset: this.opStart, opcodeIndex: this.opIndex });
        throw new ParseError(`unregistered extension code ${ext}`, this.opStart);
      }
      case 0x50: {
        // PERSID: an ASCII id handed to the loader's persistent_load (pickle.loads has none and raises; torch's
        // loaders assert a tuple). The VM goes on (fail closed) but this is no effect of its own.
        const line = this.readLine();
        if (this.options.persistentLoad === false) throw new ParseError(NO_PERSISTENT_LOAD, this.opStart);
        const pid = { kind: 'str', value: latin1(line.subarray(0, Math.max(0, line.length - 1))) } as SymValue;
        this.events.push({ type: 'persid', pid, opcode: 'PERSID', offset: this.opStart, opcodeIndex: this.opIndex });
        this.push({ kind: 'persid', pid });
        break;
      }
      case 0x51: {
        // BINPERSID: persistent_load(pid) of the loader (torch: storages).
        const pid = this.pop();
        if (this.options.persistentLoad === false) throw new ParseError(NO_PERSISTENT_LOAD, this.opStart);
        this.effects = true;
        this.events.push({ type: 'persid', pid, opcode: 'BINPERSID', offset: this.opStart, opcodeIndex: this.opIndex });
        this.push({ kind: 'persid', pid });
        break;
      }
      default:
        throw new ParseError(`invalid load key, '\\x${code.toString(16).padStart(2, '0')}'`, this.opStart);
    }
  }

  /**
   * The opcodes that follow a constant push, while they are constant pushes too (NONE, NEWTRUE, NEWFALSE, BININT1,
   * BININT2, BININT: what a list of numbers, None and booleans is made of), run with the position, stack pointer and
   * count in locals. Each does what run() would do (push the same value, count the opcode); the loop leaves, for run()
   * to go on, at any other opcode and before anything run() checks could apply: fewer than 5 bytes left before the end
   * of the data or of the open frame, the stack depth limit, the opcode limit. opStart is left at the last opcode run,
   * as run() leaves it.
   */
  pushConstants(): void {
    const data = this.data;
    const stack = this.stack;
    const stop = this.limitEnd - 5;
    const maxSp = this.maxStackDepth;
    const maxOpcodes = this.maxOpcodes;
    let pos = this.pos;
    let sp = this.sp;
    let opcodes = this.opcodes;
    let opStart = this.opStart;
    while (pos <= stop && sp < maxSp && opcodes < maxOpcodes) {
      const code = data[pos] as number;
      let value: SymValue;
      if (code === 0x4b) value = SMALL_INTS[data[pos + 1] as number] as SymValue;
      else if (code === 0x4e) value = NONE;
      else if (code === 0x88) value = TRUE;
      else if (code === 0x89) value = FALSE;
      else if (code === 0x4d) value = intValue((data[pos + 1] as number) | ((data[pos + 2] as number) << 8));
      else if (code === 0x4a)
        value = intValue(
          (data[pos + 1] as number) |
            ((data[pos + 2] as number) << 8) |
            ((data[pos + 3] as number) << 16) |
            ((data[pos + 4] as number) << 24),
        );
      else break;
      opStart = pos;
      pos += code === 0x4b ? 2 : code === 0x4d ? 3 : code === 0x4a ? 5 : 1;
      stack[sp++] = value;
      opcodes++;
    }
    this.pos = pos;
    this.sp = sp;
    this.opcodes = opcodes;
    this.opStart = opStart;
  }

  run(): PickleRun {
    // The data and its length never change during a run: locals, not a field load per opcode.
    const data = this.data;
    const len = this.len;
    try {
      while (true) {
        if (this.frameEnd >= 0 && this.pos >= this.frameEnd) {
          this.frameEnd = -1;
          this.limitEnd = this.len;
          if (this.resumeAfterFrame >= 0) {
            this.pos = this.resumeAfterFrame;
            this.resumeAfterFrame = -1;
          }
        }
        if (this.pos >= len) throw new ParseError('pickle data was truncated (no STOP)', this.pos, this.pos + 1);
        if (this.opcodes >= this.maxOpcodes) throw new LimitError('MAX_PICKLE_OPCODES');
        this.opStart = this.pos;
        const code = data[this.pos] as number;
        this.pos++;
        this.opcodes++;
        switch (code) {
          case 0x2e: {
            // STOP
            const result = this.pop();
            return {
              events: this.events,
              end: this.pos,
              stopped: true,
              protocol: this.protocol,
              opcodes: this.opcodes,
              effects: this.effects,
              result,
            };
          }
          case 0x28: // MARK
            this.push(MARK);
            this.marks.push(this.sp - 1);
            this.floor = this.sp;
            break;
          case 0x30: // POP
            if (this.marks.length && this.marks[this.marks.length - 1] === this.sp - 1) this.popMark();
            else this.pop();
            break;
          case 0x4e: // NONE
            this.push(NONE);
            this.pushConstants();
            break;
          case 0x88: // NEWTRUE
            this.push(TRUE);
            this.pushConstants();
            break;
          case 0x89: // NEWFALSE
            this.push(FALSE);
            this.pushConstants();
            break;
          case 0x4a: // BININT
            this.push(intValue(this.i32()));
            this.pushConstants();
            break;
          case 0x4b: // BININT1
            this.push(SMALL_INTS[this.u8()] as SymValue);
            this.pushConstants();
            break;
          case 0x4d: {
            // BININT2
            this.need(2);
            const n = this.view.getUint16(this.pos, true);
            this.pos += 2;
            this.push(intValue(n));
            this.pushConstants();
            break;
          }
          case 0x58: // BINUNICODE
          case 0x8c: // SHORT_BINUNICODE
          case 0x8d: {
            // BINUNICODE8
            const n = code === 0x8c ? this.u8() : code === 0x58 ? this.u32() : this.u64();
            if (n > MAX_STRING_BYTES) this.overLongString(n);
            if (this.pos + n > this.limitEnd) this.need(n);
            let ascii = true;
            for (let i = this.pos, e = this.pos + n; i < e; i++) {
              if ((this.data[i] as number) >= 0x80) {
                ascii = false;
                break;
              }
            }
            const text = ascii
              ? this.buffer.toString('latin1', this.pos, this.pos + n)
              : decodeUtf8SurrogatePass(this.data.subarray(this.pos, this.pos + n));
            if (text === undefined) throw new ParseError("'utf-8' codec can't decode BINUNICODE", this.opStart);
            this.pos += n;
            this.pushStr(text);
            break;
          }
          case 0x29: // EMPTY_TUPLE
            this.push({ kind: 'tuple', items: [], length: 0 });
            break;
          case 0x85: {
            // TUPLE1
            const a = this.pop();
            this.push({ kind: 'tuple', items: [a], length: 1 });
            break;
          }
          case 0x86: {
            // TUPLE2
            const b = this.pop();
            const a = this.pop();
            this.push({ kind: 'tuple', items: [a, b], length: 2 });
            break;
          }
          case 0x87: {
            // TUPLE3
            const c = this.pop();
            const b = this.pop();
            const a = this.pop();
            this.push({ kind: 'tuple', items: [a, b, c], length: 3 });
            break;
          }
          case 0x5d: // EMPTY_LIST
            this.push({ kind: 'list', items: [], length: 0 });
            break;
          case 0x7d: // EMPTY_DICT
            this.push({ kind: 'dict', entries: [], length: 0 });
            break;
          case 0x61: {
            // APPEND
            const item = this.pop();
            this.addItems(this.top(), [item], 0, 1, 'APPEND', false);
            break;
          }
          case 0x65: // APPENDS
          case 0x90: {
            // ADDITEMS
            this.addMarkItems(code === 0x65 ? 'APPENDS' : 'ADDITEMS', false);
            break;
          }
          case 0x73: {
            // SETITEM
            const value = this.pop();
            const key = this.pop();
            this.addItems(this.top(), [key, value], 0, 2, 'SETITEM', true);
            break;
          }
          case 0x75: {
            // SETITEMS
            this.addMarkItems('SETITEMS', true);
            break;
          }
          case 0x68: // BINGET
            this.push(this.memoGet(this.u8()));
            break;
          case 0x6a: // LONG_BINGET
            this.push(this.memoGet(this.u32()));
            break;
          case 0x71: // BINPUT
            this.memoPut(this.u8(), this.top());
            break;
          case 0x72: // LONG_BINPUT
            this.memoPut(this.u32(), this.top());
            break;
          case 0x94: // MEMOIZE
            this.memoPut(this.memo.size, this.top());
            break;
          default:
            this.cold(code);
        }
      }
    } catch (error) {
      if (error instanceof LimitError) {
        this.events.push({ type: 'limit', limit: error.limit, offset: this.opStart, opcodeIndex: this.opIndex });
        return {
          events: this.events,
          end: this.pos,
          stopped: false,
          protocol: this.protocol,
          opcodes: this.opcodes,
          effects: this.effects,
          error: { message: `limit ${error.limit} reached`, offset: this.opStart, opcodeIndex: this.opIndex },
        };
      }
      if (!(error instanceof ParseError)) throw error;
      return {
        events: this.events,
        end: this.pos,
        stopped: false,
        protocol: this.protocol,
        opcodes: this.opcodes,
        effects: this.effects,
        error: { message: error.message, offset: error.offset, opcodeIndex: this.opIndex },
        ...(error.needEnd !== undefined ? { needEnd: error.needEnd } : {}),
      };
    }
  }
}

/**
 * Runs one pickle starting at `start` until STOP, an error, or a limit. Never throws on input.
 */
export function runPickle(data: Uint8Array, start = 0, options: RunOptions = {}): PickleRun {
  return new PickleMachine(data, start, options).run();
}

/** A value that could be a str when the loader runs (a call result, a computed global, ...). */
function mayBeStr(value: SymValue): boolean {
  // A global can be a str too (`os.name` is 'posix').
  return (
    value.kind === 'str' ||
    value.kind === 'call' ||
    value.kind === 'global' ||
    value.kind === 'unknown' ||
    value.kind === 'persid' ||
    value.kind === 'ext'
  );
}

/** pickle.decode_long: little-endian two's complement. */
function decodeLong(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number);
  if ((bytes[bytes.length - 1] as number) & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** A short human description of a symbolic value (messages and evidence). */
export function describe(value: SymValue | undefined): string {
  if (!value) return 'nothing';
  switch (value.kind) {
    case 'global':
      return `global ${value.module}.${value.name}`;
    case 'call':
      return `the result of calling ${describe(value.callee)}`;
    case 'str':
      return `'${value.value.slice(0, 60)}'`;
    case 'int':
      return `int ${value.value}`;
    case 'bytes':
      return `${value.bytearray ? 'bytearray' : 'bytes'} of length ${value.value.length}`;
    default:
      return value.kind;
  }
}
