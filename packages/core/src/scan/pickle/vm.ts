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
   * undefined for an ordinary BUILD. `value` replaces the object on the stack (joblib: the array it read).
   */
  afterBuild?: (target: SymValue, state: SymValue, filePos: number, data: Uint8Array) => AfterBuild | undefined;
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

/**
 * Runs one pickle starting at `start` until STOP, an error, or a limit. Never throws on input.
 */
/** CPython's message when a stream uses a persistent id and the loader has no persistent_load. */
const NO_PERSISTENT_LOAD = 'A load persistent id instruction was encountered, but no persistent_load function was specified';

export function runPickle(data: Uint8Array, start = 0, options: RunOptions = {}): PickleRun {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const len = data.length;
  const events: PickleEvent[] = [];
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<bigint | number, SymValue>();
  const afterBuild = options.afterBuild;
  const needMore = options.window === true;
  // Limits copied to locals: the hot loop compares against them for every opcode (an imported binding is a load
  // and a hole check each time; a local const is a register).
  const maxStackDepth = MAX_STACK_DEPTH;
  const maxOpcodes = MAX_PICKLE_OPCODES;
  let pos = start;
  let opcodes = 0;
  let protocol = 0;
  let effects = false;
  /** End of the open FRAME, -1 when none. */
  let frameEnd = -1;
  /** Where reading resumes once the open frame is exhausted, when a hook read the file past it (pickle.py only). */
  let resumeAfterFrame = -1;
  let opStart = start;
  let opIndex = 0;
  let floor = 0; // stack index below which pops underflow (the latest MARK + 1)
  /** min(end of data, end of the open frame): reads within it need no further check (the hot path). */
  let limitEnd = len;

  const need = (n: number) => {
    if (pos + n <= limitEnd) return;
    if (n < 0 || pos + n > data.length)
      throw new ParseError(`pickle data was truncated at offset ${pos}`, pos, n < 0 ? undefined : pos + n);
    if (frameEnd >= 0 && pos + n > frameEnd && opStart < frameEnd) {
      // An argument crossing the end of its frame: the C unpickler reads it linearly, pickle.py raises.
      if (resumeAfterFrame >= 0) throw new ParseError('pickle exhausted before end of frame', opStart);
      events.push({ type: 'frame-overrun', offset: opStart, opcodeIndex: opIndex });
      frameEnd = -1;
      limitEnd = len;
    }
  };
  /**
   * A line argument as both unpicklers read it: up to and including the newline, or, at the end of the data, the
   * rest (whose last byte is then dropped as if it were the newline). `maxLength` bounds the scan: past it the
   * line is a limit (MS-PKL-010), or, with `tooLong`, the error CPython would end in anyway. `numeric` lines (INT,
   * LONG, FLOAT, GET, PUT) end at the first byte no number can hold (CPython reads the line, then fails to parse it:
   * the same outcome, found without scanning a long text for its newline).
   */
  const readLine = (maxLength = MAX_LINE_LENGTH, tooLong?: string, numeric = false): Uint8Array => {
    const limit = Math.min(data.length, pos + maxLength);
    let nl: number;
    if (numeric) {
      nl = -1;
      let afterNul = false;
      for (let i = pos; i < limit; i++) {
        const c = data[i] as number;
        if (c === 0x0a) {
          nl = i - pos;
          break;
        }
        if (c === 0) afterNul = true;
        else if (!afterNul && NUMERIC_LINE_BYTES[c] !== 1) throw new ParseError('invalid literal for a number', opStart);
      }
    } else nl = data.subarray(pos, limit).indexOf(0x0a);
    if (nl < 0) {
      if (limit < data.length) {
        if (tooLong) throw new ParseError(tooLong, opStart);
        throw new LimitError('MAX_LINE_LENGTH');
      }
      // At the end of the data: the line may go on in bytes not read yet (a window of a larger file).
      if (needMore) throw new ParseError('pickle data was truncated (line without newline)', opStart, data.length + 1);
      const line = data.subarray(pos, data.length);
      need(line.length);
      pos = data.length;
      return line;
    }
    const line = data.subarray(pos, pos + nl + 1);
    need(nl + 1);
    pos += nl + 1;
    return line;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => {
    if (pos + 1 > limitEnd) need(1);
    return data[pos++] as number;
  };
  const u32 = (): number => {
    need(4);
    const n = view.getUint32(pos, true);
    pos += 4;
    return n;
  };
  const i32 = (): number => {
    need(4);
    const n = view.getInt32(pos, true);
    pos += 4;
    return n;
  };
  const u64 = (): number => {
    need(8);
    const n = view.getBigUint64(pos, true);
    pos += 8;
    // Past 2^53 the read that follows fails anyway (no file is that long); clamp so arithmetic stays exact.
    return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  };
  const push = (value: Slot) => {
    if (stack.length >= maxStackDepth) throw new LimitError('MAX_STACK_DEPTH');
    stack.push(value);
  };
  const pop = (): SymValue => {
    if (stack.length <= floor) throw new ParseError('unpickling stack underflow', opStart);
    return stack.pop() as SymValue;
  };
  const top = (): SymValue => {
    if (stack.length <= floor) throw new ParseError('unpickling stack underflow', opStart);
    return stack[stack.length - 1] as SymValue;
  };
  const popMark = (): SymValue[] => {
    const mark = marks.pop();
    if (mark === undefined) throw new ParseError('could not find MARK', opStart);
    const items = stack.splice(mark + 1) as SymValue[];
    stack.length = mark;
    floor = marks.length ? (marks[marks.length - 1] as number) + 1 : 0;
    return items;
  };
  /** The object below the latest MARK (APPENDS/SETITEMS/ADDITEMS target) and the items above it. */
  /**
   * APPENDS/SETITEMS/ADDITEMS: the object below the latest MARK and the items above it, as a range of the stack
   * (no copy: a batch of 1000 items costs no array), removed once `use` has read them.
   */
  const withMarkItems = (use: (target: SymValue, items: readonly Slot[], from: number) => void) => {
    const mark = marks.pop();
    if (mark === undefined) throw new ParseError('could not find MARK', opStart);
    const target = stack[mark - 1];
    const below = marks.length ? (marks[marks.length - 1] as number) + 1 : 0;
    if (target === undefined || target === MARK || mark - 1 < below) throw new ParseError('unpickling stack underflow', opStart);
    use(target, stack, mark + 1);
    stack.length = mark;
    floor = below;
  };
  const memoKey = (key: bigint): bigint | number => (key <= BigInt(Number.MAX_SAFE_INTEGER) && key >= 0n ? Number(key) : key);
  const memoPut = (key: bigint | number, value: SymValue) => {
    if (!memo.has(key) && memo.size >= MAX_MEMO_ENTRIES) throw new LimitError('MAX_MEMO_ENTRIES');
    memo.set(key, value);
  };
  const memoGet = (key: bigint | number): SymValue => {
    const value = memo.get(key);
    if (!value) throw new ParseError(`Memo value not found at index ${key}`, opStart);
    return value;
  };
  const importGlobal = (module: string, name: string, opcode: GlobalValue['opcode']): GlobalValue => {
    // find_class's `__import__` raises on a name that is not dot-separated identifiers, before importing anything
    // (both unpicklers): the load stops here with no effect (a `.py` file opening `import torch` read as INST).
    // A NUL-suffixed name of a frozen module loads that module (`os\0` is os): the global is the module it loads.
    const resolved = resolveModuleName(module);
    if (resolved === undefined) throw new ParseError(`No module named '${module.slice(0, 80)}'`, opStart);
    effects = true;
    const value: GlobalValue = {
      kind: 'global',
      module: resolved,
      name,
      opcode,
      protocol,
      offset: opStart,
      opcodeIndex: opIndex,
    };
    if (resolved !== module) value.spelled = module;
    events.push({ type: 'global', value, module: resolved, name, opcode, offset: opStart, opcodeIndex: opIndex });
    return value;
  };
  const call = (callee: SymValue, args: SymValue, opcode: CallValue['opcode'], kwargs?: SymValue): CallValue => {
    effects = true;
    const value: CallValue = { kind: 'call', callee, args, opcode, offset: opStart, opcodeIndex: opIndex };
    if (kwargs) value.kwargs = kwargs;
    events.push({ type: 'call', value, callee, args, opcode, offset: opStart, opcodeIndex: opIndex });
    return value;
  };
  const pushStr = (value: string) => {
    if (value.length >= MIN_ENCODED_PICKLE_CHARS && mayEncodePickle(value))
      events.push({ type: 'text', value, offset: opStart, opcodeIndex: opIndex });
    push({ kind: 'str', value });
  };
  const pushBytes = (value: Uint8Array, bytearray = false) => {
    events.push({ type: 'bytes', value, offset: opStart, opcodeIndex: opIndex });
    push(bytearray ? { kind: 'bytes', value, bytearray: true } : { kind: 'bytes', value });
  };
  /**
   * A GLOBAL/INST operand line. The C unpickler refuses an empty one (bad_readline); pickle.py passes '' to
   * find_class, whose `__import__('')` raises (no import) but whose getattr(module, '') raises only after the module
   * was imported: an empty name still imports its module, which the VM reports.
   */
  const lineName = (what: 'module' | 'name', opcode: string): string => {
    const line = readLine(MAX_GLOBAL_NAME_BYTES, `${opcode} ${what} longer than any importable name`);
    if (line.length === 0) throw new ParseError('pickle data was truncated', opStart);
    const bytes = line.subarray(0, line.length - 1);
    // GLOBAL names are strict UTF-8; INST names strict ASCII (both unpicklers).
    const name = opcode === 'INST' ? (bytes.every((b) => b < 0x80) ? latin1(bytes) : undefined) : decodeUtf8Strict(bytes);
    if (name === undefined)
      throw new ParseError(`${opcode} ${what} is not valid ${opcode === 'INST' ? 'ASCII' : 'UTF-8'}`, opStart);
    if (what === 'module' && name === '') throw new ParseError('Empty module name', opStart);
    return name;
  };
  /** Items added to a container or an object by APPEND(S)/SETITEM(S)/ADDITEMS. */
  const addItems = (target: SymValue, items: readonly Slot[], from: number, opcode: string, pairs: boolean) => {
    const count = items.length - from;
    switch (target.kind) {
      case 'list':
      case 'set':
        if (pairs) break;
        target.length += count;
        for (let i = from; i < items.length && target.items.length < MAX_TRACKED_ITEMS; i++)
          target.items.push(items[i] as SymValue);
        return;
      case 'dict':
        if (!pairs) break;
        target.length += count / 2;
        for (let i = from; i + 1 < items.length && target.entries.length < MAX_TRACKED_ITEMS; i += 2)
          target.entries.push([items[i] as SymValue, items[i + 1] as SymValue]);
        return;
      case 'call': {
        // An object built by a call: its own __setitem__/append/extend/add runs (a method of its class).
        target.items ??= [];
        for (let i = from; i < items.length && target.items.length < MAX_TRACKED_ITEMS; i++)
          target.items.push(items[i] as SymValue);
        break;
      }
      default:
        break;
    }
    // Anything but a plain container: CPython calls a method of the object (or fails). Reported to the judge.
    effects = true;
    events.push({ type: 'mutate', target, opcode, offset: opStart, opcodeIndex: opIndex });
  };

  try {
    while (true) {
      if (frameEnd >= 0 && pos >= frameEnd) {
        frameEnd = -1;
        limitEnd = len;
        if (resumeAfterFrame >= 0) {
          pos = resumeAfterFrame;
          resumeAfterFrame = -1;
        }
      }
      if (pos >= data.length) throw new ParseError('pickle data was truncated (no STOP)', pos, pos + 1);
      if (opcodes >= maxOpcodes) throw new LimitError('MAX_PICKLE_OPCODES');
      opStart = pos;
      opIndex = opcodes;
      const code = data[pos] as number;
      pos++;
      opcodes++;
      switch (code) {
        case 0x80: {
          // PROTO
          const p = u8();
          if (p > 5) throw new ParseError(`unsupported pickle protocol: ${p}`, opStart);
          protocol = p;
          break;
        }
        case 0x95: {
          // FRAME
          const size = u64();
          if (frameEnd >= 0 && pos < frameEnd) {
            // pickle.py: "beginning of a new frame before end of current frame"; the C unpickler goes on.
            events.push({ type: 'frame-overrun', offset: opStart, opcodeIndex: opIndex });
          }
          frameEnd = pos + size <= data.length ? pos + size : -1;
          limitEnd = frameEnd >= 0 ? frameEnd : len;
          break;
        }
        case 0x2e: {
          // STOP
          const result = pop();
          return { events, end: pos, stopped: true, protocol, opcodes, effects, result };
        }
        case 0x28: // MARK
          push(MARK);
          marks.push(stack.length - 1);
          floor = stack.length;
          break;
        case 0x30: // POP
          if (marks.length && marks[marks.length - 1] === stack.length - 1) popMark();
          else pop();
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          push(top());
          break;
        case 0x4e: // NONE
          push(NONE);
          break;
        case 0x88: // NEWTRUE
          push(TRUE);
          break;
        case 0x89: // NEWFALSE
          push(FALSE);
          break;
        case 0x49: {
          // INT
          const value = parseIntLine(readLine(MAX_LINE_LENGTH, undefined, true));
          if (!value) throw new ParseError('could not convert string to int', opStart);
          push(value.kind === 'bool' ? (value.value ? TRUE : FALSE) : value);
          break;
        }
        case 0x4c: {
          // LONG
          const value = parseLongLine(readLine(MAX_LINE_LENGTH, undefined, true));
          if (value === undefined) throw new ParseError('invalid literal for int() with base 0', opStart);
          push({ kind: 'int', value });
          break;
        }
        case 0x46: {
          // FLOAT
          const value = parseFloatLine(readLine(MAX_LINE_LENGTH, undefined, true));
          if (value === undefined) throw new ParseError('could not convert string to float', opStart);
          push({ kind: 'float', value });
          break;
        }
        case 0x4a: // BININT
          push(intValue(i32()));
          break;
        case 0x4b: // BININT1
          push(SMALL_INTS[u8()] as SymValue);
          break;
        case 0x4d: {
          // BININT2
          need(2);
          const n = view.getUint16(pos, true);
          pos += 2;
          push(intValue(n));
          break;
        }
        case 0x47: {
          // BINFLOAT
          need(8);
          const value = view.getFloat64(pos, false);
          pos += 8;
          push({ kind: 'float', value });
          break;
        }
        case 0x8a: {
          // LONG1
          push({ kind: 'int', value: decodeLong(take(u8())) });
          break;
        }
        case 0x8b: {
          // LONG4
          const n = i32();
          if (n < 0) throw new ParseError('LONG pickle has negative byte count', opStart);
          push({ kind: 'int', value: decodeLong(take(n)) });
          break;
        }
        case 0x53: {
          // STRING: the line without its newline must be quoted with the same quote at both ends.
          if (data[pos] !== 0x27 && data[pos] !== 0x22)
            throw new ParseError('the STRING opcode argument must be quoted', opStart);
          const line = readLine();
          const body = line.subarray(0, Math.max(0, line.length - 1));
          const q = body[0];
          if (body.length < 2 || (q !== 0x27 && q !== 0x22) || body[body.length - 1] !== q)
            throw new ParseError('the STRING opcode argument must be quoted', opStart);
          const decoded = escapeDecode(body.subarray(1, body.length - 1));
          if (!decoded) throw new ParseError('invalid escape in STRING', opStart);
          pushStr(decodePy2String(decoded));
          break;
        }
        case 0x56: {
          // UNICODE
          const line = readLine();
          const text = rawUnicodeEscapeDecode(line.subarray(0, Math.max(0, line.length - 1)));
          if (text === undefined) throw new ParseError("'rawunicodeescape' codec can't decode UNICODE", opStart);
          pushStr(text);
          break;
        }
        case 0x54: {
          // BINSTRING
          const n = i32();
          if (n < 0) throw new ParseError('BINSTRING pickle has negative byte count', opStart);
          if (n > MAX_STRING_BYTES) throw new LimitError('MAX_STRING_BYTES');
          const bytes = take(n);
          events.push({ type: 'bytes', value: bytes, offset: opStart, opcodeIndex: opIndex });
          pushStr(decodePy2String(bytes));
          break;
        }
        case 0x55: {
          // SHORT_BINSTRING
          const bytes = take(u8());
          events.push({ type: 'bytes', value: bytes, offset: opStart, opcodeIndex: opIndex });
          pushStr(decodePy2String(bytes));
          break;
        }
        case 0x58: // BINUNICODE
        case 0x8c: // SHORT_BINUNICODE
        case 0x8d: {
          // BINUNICODE8
          const n = code === 0x8c ? u8() : code === 0x58 ? u32() : u64();
          if (n > MAX_STRING_BYTES) throw new LimitError('MAX_STRING_BYTES');
          if (pos + n > limitEnd) need(n);
          let ascii = true;
          for (let i = pos, e = pos + n; i < e; i++) {
            if ((data[i] as number) >= 0x80) {
              ascii = false;
              break;
            }
          }
          const text = ascii ? buffer.toString('latin1', pos, pos + n) : decodeUtf8SurrogatePass(data.subarray(pos, pos + n));
          if (text === undefined) throw new ParseError("'utf-8' codec can't decode BINUNICODE", opStart);
          pos += n;
          pushStr(text);
          break;
        }
        case 0x42: // BINBYTES
          pushBytes(take(u32()));
          break;
        case 0x43: // SHORT_BINBYTES
          pushBytes(take(u8()));
          break;
        case 0x8e: // BINBYTES8
          pushBytes(take(u64()));
          break;
        case 0x96: // BYTEARRAY8
          pushBytes(take(u64()), true);
          break;
        case 0x97: // NEXT_BUFFER: out-of-band data (only loaders given buffers= go on; none of the model loaders)
          push({ kind: 'unknown', why: 'out-of-band buffer' });
          break;
        case 0x98: // READONLY_BUFFER
          top();
          break;
        case 0x29: // EMPTY_TUPLE
          push({ kind: 'tuple', items: [], length: 0 });
          break;
        case 0x85: {
          // TUPLE1
          const a = pop();
          push({ kind: 'tuple', items: [a], length: 1 });
          break;
        }
        case 0x86: {
          // TUPLE2
          const b = pop();
          const a = pop();
          push({ kind: 'tuple', items: [a, b], length: 2 });
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = pop();
          const b = pop();
          const a = pop();
          push({ kind: 'tuple', items: [a, b, c], length: 3 });
          break;
        }
        case 0x74: {
          // TUPLE
          const items = popMark();
          push({ kind: 'tuple', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length });
          break;
        }
        case 0x5d: // EMPTY_LIST
          push({ kind: 'list', items: [], length: 0 });
          break;
        case 0x6c: {
          // LIST
          const items = popMark();
          push({ kind: 'list', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length });
          break;
        }
        case 0x7d: // EMPTY_DICT
          push({ kind: 'dict', entries: [], length: 0 });
          break;
        case 0x64: {
          // DICT
          const items = popMark();
          if (items.length % 2 !== 0) throw new ParseError('odd number of items for DICT', opStart);
          const entries: [SymValue, SymValue][] = [];
          for (let i = 0; i + 1 < items.length && entries.length < MAX_TRACKED_ITEMS; i += 2)
            entries.push([items[i] as SymValue, items[i + 1] as SymValue]);
          push({ kind: 'dict', entries, length: items.length / 2 });
          break;
        }
        case 0x8f: // EMPTY_SET
          push({ kind: 'set', items: [], length: 0, frozen: false });
          break;
        case 0x91: {
          // FROZENSET
          const items = popMark();
          push({ kind: 'set', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length, frozen: true });
          break;
        }
        case 0x61: {
          // APPEND
          const item = pop();
          addItems(top(), [item], 0, 'APPEND', false);
          break;
        }
        case 0x65: // APPENDS
        case 0x90: {
          // ADDITEMS
          withMarkItems((target, items, from) => {
            if (items.length > from) addItems(target, items, from, code === 0x65 ? 'APPENDS' : 'ADDITEMS', false);
          });
          break;
        }
        case 0x73: {
          // SETITEM
          const value = pop();
          const key = pop();
          addItems(top(), [key, value], 0, 'SETITEM', true);
          break;
        }
        case 0x75: {
          // SETITEMS
          withMarkItems((target, items, from) => {
            if ((items.length - from) % 2 !== 0) throw new ParseError('odd number of items for SETITEMS', opStart);
            if (items.length > from) addItems(target, items, from, 'SETITEMS', true);
          });
          break;
        }
        case 0x67: {
          // GET
          const key = parseMemoKeyLine(readLine(MAX_LINE_LENGTH, undefined, true));
          if (key === undefined) throw new ParseError('invalid literal for int() with base 10 (GET)', opStart);
          push(memoGet(memoKey(key)));
          break;
        }
        case 0x68: // BINGET
          push(memoGet(u8()));
          break;
        case 0x6a: // LONG_BINGET
          push(memoGet(u32()));
          break;
        case 0x70: {
          // PUT
          const key = parseMemoKeyLine(readLine(MAX_LINE_LENGTH, undefined, true));
          if (key === undefined) throw new ParseError('invalid literal for int() with base 10 (PUT)', opStart);
          if (key < 0n) throw new ParseError('negative PUT argument', opStart);
          memoPut(memoKey(key), top());
          break;
        }
        case 0x71: // BINPUT
          memoPut(u8(), top());
          break;
        case 0x72: // LONG_BINPUT
          memoPut(u32(), top());
          break;
        case 0x94: // MEMOIZE
          memoPut(memo.size, top());
          break;
        case 0x63: {
          // GLOBAL
          const module = lineName('module', 'GLOBAL');
          const name = lineName('name', 'GLOBAL');
          push(importGlobal(module, name, 'GLOBAL'));
          if (name === '') throw new ParseError(`Can't get attribute '' on module ${module}`, opStart);
          break;
        }
        case 0x93: {
          // STACK_GLOBAL: both operands must be str at run time ("STACK_GLOBAL requires str").
          const nameValue = pop();
          const moduleValue = pop();
          if (moduleValue.kind === 'str' && nameValue.kind === 'str') {
            if (moduleValue.value === '') throw new ParseError('Empty module name', opStart);
            push(importGlobal(moduleValue.value, nameValue.value, 'STACK_GLOBAL'));
            if (nameValue.value === '') throw new ParseError(`Can't get attribute ''`, opStart);
            break;
          }
          if (!mayBeStr(moduleValue) || !mayBeStr(nameValue)) throw new ParseError('STACK_GLOBAL requires str', opStart);
          // An operand computed at load time (a call result could be a str): the name cannot be known statically.
          effects = true;
          events.push({
            type: 'nonconstant-global',
            detail: `STACK_GLOBAL operands are ${describe(moduleValue)} and ${describe(nameValue)}`,
            operands: [moduleValue, nameValue],
            offset: opStart,
            opcodeIndex: opIndex,
          });
          push({ kind: 'unknown', why: 'global with computed name' });
          break;
        }
        case 0x69: {
          // INST: pickle.py imports first and then pops the MARK (an import happens even without one).
          const module = lineName('module', 'INST');
          const name = lineName('name', 'INST');
          const callee = importGlobal(module, name, 'INST');
          if (name === '') throw new ParseError(`Can't get attribute '' on module ${module}`, opStart);
          const items = popMark();
          push(call(callee, { kind: 'tuple', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length }, 'INST'));
          break;
        }
        case 0x6f: {
          // OBJ
          const items = popMark();
          const callee = items.shift();
          if (!callee) throw new ParseError('unpickling stack underflow', opStart);
          push(call(callee, { kind: 'tuple', items: items.slice(0, MAX_TRACKED_ITEMS), length: items.length }, 'OBJ'));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = pop();
          const callee = pop();
          if (cannotBeArgs(args)) throw new ParseError('REDUCE arguments are not iterable', opStart);
          push(call(callee, args, 'REDUCE'));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = pop();
          const cls = pop();
          if (cannotBeArgs(args)) throw new ParseError('NEWOBJ args argument must be a tuple', opStart);
          push(call(cls, args, 'NEWOBJ'));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = pop();
          const args = pop();
          const cls = pop();
          if (cannotBeArgs(args)) throw new ParseError('NEWOBJ_EX args argument must be a tuple', opStart);
          push(call(cls, args, 'NEWOBJ_EX', kwargs));
          break;
        }
        case 0x62: {
          // BUILD
          const state = pop();
          const target = top();
          effects = true;
          if (target.kind === 'call') {
            target.states ??= [];
            track(target.states, state);
          }
          events.push({ type: 'build', target, state, offset: opStart, opcodeIndex: opIndex });
          if (afterBuild) {
            const filePos = frameEnd >= 0 && pos < frameEnd ? (resumeAfterFrame >= 0 ? resumeAfterFrame : frameEnd) : pos;
            const next = afterBuild(target, state, filePos, data);
            if (next) applyAfterBuild(next, filePos);
          }
          break;
        }
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: {
          // EXT4
          let ext: number;
          if (code === 0x82) ext = u8();
          else if (code === 0x83) {
            need(2);
            ext = view.getUint16(pos, true);
            pos += 2;
          } else ext = i32();
          if (ext <= 0) throw new ParseError('EXT specifies code <= 0', opStart);
          // copyreg's extension registry is empty unless the loading process filled it (no ML library does):
          // CPython raises "unregistered extension code" here, before importing anything. Reported (MS-PKL-011)
          // when the stream had effects before; a stream opening with it (msgpack's fixmap bytes) is inert.
          events.push({ type: 'ext', code: ext, offset: opStart, opcodeIndex: opIndex });
          throw new ParseError(`unregistered extension code ${ext}`, opStart);
        }
        case 0x50: {
          // PERSID: an ASCII id handed to the loader's persistent_load (pickle.loads has none and raises; torch's
          // loaders assert a tuple). The VM goes on (fail closed) but this is no effect of its own.
          const line = readLine();
          if (options.persistentLoad === false) throw new ParseError(NO_PERSISTENT_LOAD, opStart);
          const pid = { kind: 'str', value: latin1(line.subarray(0, Math.max(0, line.length - 1))) } as SymValue;
          events.push({ type: 'persid', pid, opcode: 'PERSID', offset: opStart, opcodeIndex: opIndex });
          push({ kind: 'persid', pid });
          break;
        }
        case 0x51: {
          // BINPERSID: persistent_load(pid) of the loader (torch: storages).
          const pid = pop();
          if (options.persistentLoad === false) throw new ParseError(NO_PERSISTENT_LOAD, opStart);
          effects = true;
          events.push({ type: 'persid', pid, opcode: 'BINPERSID', offset: opStart, opcodeIndex: opIndex });
          push({ kind: 'persid', pid });
          break;
        }
        default:
          throw new ParseError(`invalid load key, '\\x${code.toString(16).padStart(2, '0')}'`, opStart);
      }
    }
  } catch (error) {
    if (error instanceof LimitError) {
      events.push({ type: 'limit', limit: error.limit, offset: opStart, opcodeIndex: opIndex });
      return {
        events,
        end: pos,
        stopped: false,
        protocol,
        opcodes,
        effects,
        error: { message: `limit ${error.limit} reached`, offset: opStart, opcodeIndex: opIndex },
      };
    }
    if (!(error instanceof ParseError)) throw error;
    return {
      events,
      end: pos,
      stopped: false,
      protocol,
      opcodes,
      effects,
      error: { message: error.message, offset: error.offset, opcodeIndex: opIndex },
      ...(error.needEnd !== undefined ? { needEnd: error.needEnd } : {}),
    };
  }

  function applyAfterBuild(next: AfterBuild, filePos: number) {
    let resume: number;
    if ('skip' in next) {
      if (!Number.isSafeInteger(next.skip) || next.skip < 0 || filePos + next.skip > data.length)
        throw new ParseError(`the loader reads ${next.skip} raw bytes past the end of the data`, opStart);
      resume = filePos + next.skip;
      events.push({ type: 'skip', start: filePos, end: resume, offset: opStart, opcodeIndex: opIndex });
    } else {
      const begin = next.nested.start;
      let end = next.nested.end;
      let run: PickleRun | undefined;
      if (end === undefined) {
        run = runPickle(data, begin);
        if (!run.stopped) {
          events.push({ type: 'embedded', start: begin, end: run.end, run, offset: opStart, opcodeIndex: opIndex });
          throw new ParseError(`nested pickle at ${begin}: ${run.error?.message ?? 'no STOP'}`, run.error?.offset ?? begin);
        }
        end = run.end;
      }
      if (!Number.isSafeInteger(end) || end < begin || end > data.length)
        throw new ParseError('nested pickle runs past the end of the data', opStart);
      events.push({ type: 'embedded', start: begin, end, ...(run ? { run } : {}), offset: opStart, opcodeIndex: opIndex });
      resume = end;
    }
    if (next.value) stack[stack.length - 1] = next.value;
    if (frameEnd >= 0 && pos < frameEnd) resumeAfterFrame = resume;
    else {
      pos = resume;
      frameEnd = -1;
      limitEnd = len;
    }
  }
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
