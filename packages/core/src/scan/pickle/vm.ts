/**
 * A symbolic pickle machine: it walks the opcodes the way CPython's unpickler does, without executing anything,
 * and records what loading would import, call and mutate. Values are symbolic: strings and bytes keep their
 * content (to resolve STACK_GLOBAL operands and find nested pickles), globals keep their resolved name, calls
 * remember their callee.
 */
import { MAX_LINE_LENGTH, MAX_MEMO_ENTRIES, MAX_PICKLE_OPCODES, MAX_STACK_DEPTH, MAX_TRACKED_ITEMS } from './limits.js';
import { OPCODES } from './opcodes.js';

export type SymValue =
  | { kind: 'str'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'num' }
  | { kind: 'none' }
  | { kind: 'global'; module: string; name: string; opcodeIndex: number }
  | { kind: 'call'; callee: SymValue }
  | { kind: 'tuple'; items: SymValue[] }
  | { kind: 'list' }
  | { kind: 'dict' }
  | { kind: 'persid' }
  | { kind: 'unknown'; why: string };

const MARK = Symbol('mark');
const NUM: SymValue = { kind: 'num' };

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
type Slot = SymValue | typeof MARK;

export type PickleEvent =
  | { type: 'global'; module: string; name: string; opcode: string; offset: number; opcodeIndex: number }
  | { type: 'call'; callee: SymValue; args: SymValue | undefined; opcode: string; offset: number; opcodeIndex: number }
  | { type: 'build'; target: SymValue; offset: number; opcodeIndex: number }
  | { type: 'setitem-on-global'; target: SymValue; offset: number; opcodeIndex: number }
  | { type: 'nonconstant-global'; detail: string; offset: number; opcodeIndex: number }
  | { type: 'ext'; code: number; offset: number; opcodeIndex: number }
  | { type: 'bytes'; value: Uint8Array; offset: number; opcodeIndex: number }
  | { type: 'text'; value: string; offset: number; opcodeIndex: number }
  | { type: 'frame-overrun'; offset: number; opcodeIndex: number }
  | { type: 'limit'; limit: string; offset: number; opcodeIndex: number };

export interface PickleRun {
  events: PickleEvent[];
  /** Offset just after STOP (or where parsing ended). */
  end: number;
  stopped: boolean;
  protocol: number;
  opcodes: number;
  error?: { message: string; offset: number; opcodeIndex: number };
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const latin1 = new TextDecoder('latin1');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** GLOBAL/INST operands: CPython decodes them as strict UTF-8 and fails (before importing) when invalid. */
function decodeName(bytes: Uint8Array, offset: number): string {
  try {
    return strictUtf8.decode(bytes).replace(/\r$/, '');
  } catch {
    throw new ParseError('GLOBAL operand is not valid UTF-8', offset);
  }
}

function decodeLine(bytes: Uint8Array): string {
  return latin1.decode(bytes).replace(/\r$/, '');
}

/** Python's STRING argument: a quoted repr; we only need its text (escapes are kept as written apart from quotes). */
function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && (t[0] === "'" || t[0] === '"') && t[t.length - 1] === t[0]) {
    return t
      .slice(1, -1)
      .replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/\\(.)/g, '$1');
  }
  return t;
}

/** Strings that can feed STACK_GLOBAL (str values; bytes are refused by Python but we decode to stay safe). */
function asText(value: SymValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.kind === 'str') return value.value;
  return undefined;
}

/**
 * Runs one pickle starting at `start` until STOP, an error, or a limit. Never throws on input.
 */
export function runPickle(data: Uint8Array, start = 0): PickleRun {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const events: PickleEvent[] = [];
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, SymValue>();
  let pos = start;
  let opcodes = 0;
  let protocol = 0;
  let frameEnd = -1;
  let opStart = start;
  let opIndex = 0;

  const need = (n: number) => {
    if (n < 0 || pos + n > data.length) throw new ParseError(`truncated: needs ${n} bytes at offset ${pos}`, pos);
    if (frameEnd >= 0 && opStart < frameEnd && pos + n > frameEnd) {
      events.push({ type: 'frame-overrun', offset: opStart, opcodeIndex: opIndex });
      frameEnd = -1;
    }
  };
  const readLine = (): Uint8Array => {
    const limit = Math.min(data.length, pos + MAX_LINE_LENGTH);
    let i = pos;
    while (i < limit && data[i] !== 0x0a) i++;
    if (i >= limit) throw new ParseError(i >= data.length ? 'line argument without newline' : 'line argument too long', pos);
    const line = data.subarray(pos, i);
    need(i + 1 - pos);
    pos = i + 1;
    return line;
  };
  const skip = (n: number) => {
    need(n);
    pos += n;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const push = (value: Slot) => {
    if (stack.length >= MAX_STACK_DEPTH) throw new LimitError('MAX_STACK_DEPTH');
    stack.push(value);
  };
  const pop = (): SymValue => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= (floor ?? 0)) throw new ParseError('stack underflow', opStart);
    const value = stack.pop();
    if (value === MARK || value === undefined) throw new ParseError('stack underflow', opStart);
    return value;
  };
  const top = (): SymValue => {
    const value = stack[stack.length - 1];
    if (value === undefined || value === MARK) throw new ParseError('stack underflow', opStart);
    return value;
  };
  const popMark = (): SymValue[] => {
    const mark = marks.pop();
    if (mark === undefined) throw new ParseError('MARK missing', opStart);
    const items = stack.splice(mark) as SymValue[];
    items.shift(); // the MARK slot itself
    return items;
  };
  const memoPut = (key: number, value: SymValue) => {
    if (!memo.has(key) && memo.size >= MAX_MEMO_ENTRIES) throw new LimitError('MAX_MEMO_ENTRIES');
    memo.set(key, value);
  };
  const memoGet = (key: number): SymValue => {
    const value = memo.get(key);
    if (!value) throw new ParseError(`memo key ${key} missing`, opStart);
    return value;
  };
  const makeGlobal = (module: string, name: string, opcode: string): SymValue => {
    events.push({ type: 'global', module, name, opcode, offset: opStart, opcodeIndex: opIndex });
    return { kind: 'global', module, name, opcodeIndex: opIndex };
  };
  const call = (callee: SymValue, args: SymValue | undefined, opcode: string): SymValue => {
    events.push({ type: 'call', callee, args, opcode, offset: opStart, opcodeIndex: opIndex });
    return { kind: 'call', callee };
  };
  const pushBytes = (value: Uint8Array) => {
    events.push({ type: 'bytes', value, offset: opStart, opcodeIndex: opIndex });
    push({ kind: 'bytes', value });
  };
  const pushStr = (value: string) => {
    if (value.length >= MIN_ENCODED_PICKLE_CHARS && mayEncodePickle(value))
      events.push({ type: 'text', value, offset: opStart, opcodeIndex: opIndex });
    push({ kind: 'str', value });
  };

  try {
    while (true) {
      if (pos >= data.length) throw new ParseError('pickle ended without STOP', pos);
      if (opcodes >= MAX_PICKLE_OPCODES) throw new LimitError('MAX_PICKLE_OPCODES');
      opStart = pos;
      opIndex = opcodes;
      const code = data[pos] as number;
      const info = OPCODES[code];
      if (!info) throw new ParseError(`invalid opcode 0x${code.toString(16).padStart(2, '0')}`, pos);
      if (frameEnd >= 0 && pos >= frameEnd) frameEnd = -1;
      pos++;
      opcodes++;
      switch (code) {
        case 0x80: {
          // PROTO
          protocol = take(1)[0] as number;
          if (protocol > 5) throw new ParseError(`unsupported pickle protocol ${protocol}`, opStart);
          break;
        }
        case 0x95: {
          // FRAME
          need(8);
          const size = Number(view.getBigUint64(pos, true));
          pos += 8;
          // CPython refuses a frame longer than the data, but only after earlier opcodes ran: keep reading
          // linearly (fail closed) and report the overrun.
          if (pos + size > data.length) {
            events.push({ type: 'frame-overrun', offset: opStart, opcodeIndex: opIndex });
            frameEnd = -1;
          } else frameEnd = pos + size;
          break;
        }
        case 0x2e: // STOP
          pop();
          return { events, end: pos, stopped: true, protocol, opcodes };
        case 0x28: // MARK
          marks.push(stack.length);
          push(MARK);
          break;
        case 0x30: {
          // POP
          if (stack[stack.length - 1] === MARK) {
            stack.pop();
            marks.pop();
          } else pop();
          break;
        }
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          push(top());
          break;
        case 0x4e: // NONE
          push({ kind: 'none' });
          break;
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
          push({ kind: 'num' });
          break;
        case 0x49: // INT
        case 0x4c: // LONG
        case 0x46: // FLOAT
          readLine();
          push({ kind: 'num' });
          break;
        case 0x4a: // BININT
          skip(4);
          push(NUM);
          break;
        case 0x4b: // BININT1
          skip(1);
          push(NUM);
          break;
        case 0x4d: // BININT2
          skip(2);
          push(NUM);
          break;
        case 0x47: // BINFLOAT
          skip(8);
          push(NUM);
          break;
        case 0x8a: {
          // LONG1
          const n = take(1)[0] as number;
          take(n);
          push({ kind: 'num' });
          break;
        }
        case 0x8b: {
          // LONG4
          need(4);
          const n = view.getInt32(pos, true);
          pos += 4;
          if (n < 0) throw new ParseError('LONG4 with negative length', opStart);
          take(n);
          push({ kind: 'num' });
          break;
        }
        case 0x53: // STRING
          pushStr(unquote(decodeLine(readLine())));
          break;
        case 0x56: // UNICODE
          pushStr(
            decodeLine(readLine()).replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) =>
              String.fromCharCode(Number.parseInt(h, 16)),
            ),
          );
          break;
        case 0x54: {
          // BINSTRING
          need(4);
          const n = view.getInt32(pos, true);
          pos += 4;
          if (n < 0) throw new ParseError('BINSTRING with negative length', opStart);
          const bytes = take(n);
          events.push({ type: 'bytes', value: bytes, offset: opStart, opcodeIndex: opIndex });
          pushStr(latin1.decode(bytes));
          break;
        }
        case 0x55: {
          // SHORT_BINSTRING
          const bytes = take(take(1)[0] as number);
          events.push({ type: 'bytes', value: bytes, offset: opStart, opcodeIndex: opIndex });
          pushStr(latin1.decode(bytes));
          break;
        }
        case 0x58: // BINUNICODE
        case 0x8c: // SHORT_BINUNICODE
        case 0x8d: {
          // BINUNICODE8
          const n = lengthArg(info.arg);
          need(n);
          pushStr(buffer.toString('utf8', pos, pos + n));
          pos += n;
          break;
        }
        case 0x42: // BINBYTES
        case 0x43: // SHORT_BINBYTES
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          pushBytes(take(lengthArg(info.arg)));
          break;
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          if (info.name === 'NEXT_BUFFER') push({ kind: 'unknown', why: 'out-of-band buffer' });
          else top();
          break;
        case 0x29: // EMPTY_TUPLE
          push({ kind: 'tuple', items: [] });
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const last = pop();
          if (code === 0x85) push({ kind: 'tuple', items: [last] });
          else {
            const middle = pop();
            if (code === 0x86) push({ kind: 'tuple', items: [middle, last] });
            else push({ kind: 'tuple', items: [pop(), middle, last] });
          }
          break;
        }
        case 0x74: // TUPLE
          push({ kind: 'tuple', items: popMark().slice(0, MAX_TRACKED_ITEMS) });
          break;
        case 0x5d: // EMPTY_LIST
          push({ kind: 'list' });
          break;
        case 0x6c: // LIST
          popMark();
          push({ kind: 'list' });
          break;
        case 0x7d: // EMPTY_DICT
          push({ kind: 'dict' });
          break;
        case 0x64: // DICT
          popMark();
          push({ kind: 'dict' });
          break;
        case 0x8f: // EMPTY_SET
          push({ kind: 'list' });
          break;
        case 0x91: // FROZENSET
          popMark();
          push({ kind: 'list' });
          break;
        case 0x61: // APPEND
          pop();
          mutate(top(), 'APPEND');
          break;
        case 0x65: // APPENDS
        case 0x90: // ADDITEMS
          popMark();
          mutate(top(), info.name);
          break;
        case 0x73: // SETITEM
          pop();
          pop();
          mutate(top(), 'SETITEM');
          break;
        case 0x75: // SETITEMS
          popMark();
          mutate(top(), 'SETITEMS');
          break;
        case 0x67: // GET
          push(memoGet(Number.parseInt(decodeLine(readLine()), 10)));
          break;
        case 0x68: // BINGET
          push(memoGet(take(1)[0] as number));
          break;
        case 0x6a: // LONG_BINGET
          need(4);
          push(memoGet(view.getUint32(pos, true)));
          pos += 4;
          break;
        case 0x70: {
          // PUT
          const key = Number.parseInt(decodeLine(readLine()), 10);
          if (Number.isNaN(key)) throw new ParseError('PUT with a non-integer key', opStart);
          memoPut(key, top());
          break;
        }
        case 0x71: // BINPUT
          memoPut(take(1)[0] as number, top());
          break;
        case 0x72: // LONG_BINPUT
          need(4);
          memoPut(view.getUint32(pos, true), top());
          pos += 4;
          break;
        case 0x94: // MEMOIZE
          memoPut(memo.size, top());
          break;
        case 0x63: {
          // GLOBAL
          const module = decodeName(readLine(), opStart);
          const name = decodeName(readLine(), opStart);
          push(makeGlobal(module, name, 'GLOBAL'));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const nameValue = pop();
          const moduleValue = pop();
          const module = asText(moduleValue);
          const name = asText(nameValue);
          if (module === undefined || name === undefined) {
            events.push({
              type: 'nonconstant-global',
              detail: `STACK_GLOBAL operands are ${describe(moduleValue)} and ${describe(nameValue)}`,
              offset: opStart,
              opcodeIndex: opIndex,
            });
            push({ kind: 'global', module: module ?? '?', name: name ?? '?', opcodeIndex: opIndex });
          } else push(makeGlobal(module, name, 'STACK_GLOBAL'));
          break;
        }
        case 0x69: {
          // INST
          const module = decodeName(readLine(), opStart);
          const name = decodeName(readLine(), opStart);
          const callee = makeGlobal(module, name, 'INST');
          const args = popMark();
          push(call(callee, { kind: 'tuple', items: args.slice(0, MAX_TRACKED_ITEMS) }, 'INST'));
          break;
        }
        case 0x6f: {
          // OBJ
          const items = popMark();
          const callee = items.shift();
          if (!callee) throw new ParseError('OBJ without a class', opStart);
          push(call(callee, { kind: 'tuple', items: items.slice(0, MAX_TRACKED_ITEMS) }, 'OBJ'));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = pop();
          const callee = pop();
          push(call(callee, args, 'REDUCE'));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = pop();
          const cls = pop();
          push(call(cls, args, 'NEWOBJ'));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          pop();
          const args = pop();
          const cls = pop();
          push(call(cls, args, 'NEWOBJ_EX'));
          break;
        }
        case 0x62: {
          // BUILD
          pop();
          const target = top();
          if (target.kind === 'global') events.push({ type: 'build', target, offset: opStart, opcodeIndex: opIndex });
          break;
        }
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: {
          // EXT4
          const n = info.name === 'EXT1' ? 1 : info.name === 'EXT2' ? 2 : 4;
          need(n);
          const codeValue = n === 1 ? (data[pos] as number) : n === 2 ? view.getUint16(pos, true) : view.getInt32(pos, true);
          pos += n;
          events.push({ type: 'ext', code: codeValue, offset: opStart, opcodeIndex: opIndex });
          push({ kind: 'unknown', why: `extension registry code ${codeValue}` });
          break;
        }
        case 0x50: // PERSID
          readLine();
          push({ kind: 'persid' });
          break;
        case 0x51: // BINPERSID
          pop();
          push({ kind: 'persid' });
          break;
        default:
          throw new ParseError(`opcode ${info.name} not handled`, opStart);
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
        error: { message: `limit ${error.limit} reached`, offset: opStart, opcodeIndex: opIndex },
      };
    }
    const offset = error instanceof ParseError ? error.offset : opStart;
    const message = error instanceof Error ? error.message : String(error);
    return { events, end: pos, stopped: false, protocol, opcodes, error: { message, offset, opcodeIndex: opIndex } };
  }

  function lengthArg(arg: string): number {
    if (arg === 'bytes1') return take(1)[0] as number;
    if (arg === 'bytes4') {
      need(4);
      const n = view.getUint32(pos, true);
      pos += 4;
      return n;
    }
    need(8);
    const n = view.getBigUint64(pos, true);
    pos += 8;
    if (n > BigInt(data.length)) throw new ParseError(`length ${n} runs past the end`, opStart);
    return Number(n);
  }

  function mutate(target: SymValue, opcode: string) {
    // SETITEM/APPEND on a global (a module dict, a class) instead of a container mutates live objects.
    if (target.kind === 'global') events.push({ type: 'setitem-on-global', target, offset: opStart, opcodeIndex: opIndex });
    void opcode;
  }
}

class LimitError extends Error {
  constructor(readonly limit: string) {
    super(limit);
  }
}

export function describe(value: SymValue | undefined): string {
  if (!value) return 'nothing';
  switch (value.kind) {
    case 'global':
      return `global ${value.module}.${value.name}`;
    case 'call':
      return `the result of calling ${describe(value.callee)}`;
    case 'str':
      return `'${value.value.slice(0, 60)}'`;
    default:
      return value.kind;
  }
}
