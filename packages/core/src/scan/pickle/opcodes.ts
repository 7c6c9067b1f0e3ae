/**
 * The pickle opcode table (protocols 0-5), as CPython's Modules/_pickle.c reads them. `arg` says how the
 * argument is laid out after the opcode byte.
 */
export type OpArg =
  | 'none'
  | 'u1'
  | 'u2'
  | 'i4'
  | 'u4'
  | 'u8'
  | 'f8'
  | 'line'
  | 'line2'
  | 'bytes1'
  | 'bytes4'
  | 'bytes8'
  | 'sbytes4'
  | 'long1'
  | 'long4';

export interface OpInfo {
  readonly name: string;
  readonly arg: OpArg;
}

const TABLE: Record<string, [string, OpArg]> = {
  '(': ['MARK', 'none'],
  '.': ['STOP', 'none'],
  '0': ['POP', 'none'],
  '1': ['POP_MARK', 'none'],
  '2': ['DUP', 'none'],
  F: ['FLOAT', 'line'],
  I: ['INT', 'line'],
  J: ['BININT', 'i4'],
  K: ['BININT1', 'u1'],
  L: ['LONG', 'line'],
  M: ['BININT2', 'u2'],
  N: ['NONE', 'none'],
  P: ['PERSID', 'line'],
  Q: ['BINPERSID', 'none'],
  R: ['REDUCE', 'none'],
  S: ['STRING', 'line'],
  T: ['BINSTRING', 'sbytes4'],
  U: ['SHORT_BINSTRING', 'bytes1'],
  V: ['UNICODE', 'line'],
  X: ['BINUNICODE', 'bytes4'],
  a: ['APPEND', 'none'],
  b: ['BUILD', 'none'],
  c: ['GLOBAL', 'line2'],
  d: ['DICT', 'none'],
  '}': ['EMPTY_DICT', 'none'],
  e: ['APPENDS', 'none'],
  g: ['GET', 'line'],
  h: ['BINGET', 'u1'],
  i: ['INST', 'line2'],
  j: ['LONG_BINGET', 'u4'],
  l: ['LIST', 'none'],
  ']': ['EMPTY_LIST', 'none'],
  o: ['OBJ', 'none'],
  p: ['PUT', 'line'],
  q: ['BINPUT', 'u1'],
  r: ['LONG_BINPUT', 'u4'],
  s: ['SETITEM', 'none'],
  t: ['TUPLE', 'none'],
  ')': ['EMPTY_TUPLE', 'none'],
  u: ['SETITEMS', 'none'],
  G: ['BINFLOAT', 'f8'],
  '\x80': ['PROTO', 'u1'],
  '\x81': ['NEWOBJ', 'none'],
  '\x82': ['EXT1', 'u1'],
  '\x83': ['EXT2', 'u2'],
  '\x84': ['EXT4', 'i4'],
  '\x85': ['TUPLE1', 'none'],
  '\x86': ['TUPLE2', 'none'],
  '\x87': ['TUPLE3', 'none'],
  '\x88': ['NEWTRUE', 'none'],
  '\x89': ['NEWFALSE', 'none'],
  '\x8a': ['LONG1', 'long1'],
  '\x8b': ['LONG4', 'long4'],
  B: ['BINBYTES', 'bytes4'],
  C: ['SHORT_BINBYTES', 'bytes1'],
  '\x8c': ['SHORT_BINUNICODE', 'bytes1'],
  '\x8d': ['BINUNICODE8', 'bytes8'],
  '\x8e': ['BINBYTES8', 'bytes8'],
  '\x8f': ['EMPTY_SET', 'none'],
  '\x90': ['ADDITEMS', 'none'],
  '\x91': ['FROZENSET', 'none'],
  '\x92': ['NEWOBJ_EX', 'none'],
  '\x93': ['STACK_GLOBAL', 'none'],
  '\x94': ['MEMOIZE', 'none'],
  '\x95': ['FRAME', 'u8'],
  '\x96': ['BYTEARRAY8', 'bytes8'],
  '\x97': ['NEXT_BUFFER', 'none'],
  '\x98': ['READONLY_BUFFER', 'none'],
};

/** Opcode byte -> info; undefined for bytes that are not opcodes. */
export const OPCODES: readonly (OpInfo | undefined)[] = (() => {
  const table: (OpInfo | undefined)[] = new Array(256).fill(undefined);
  for (const [char, [name, arg]] of Object.entries(TABLE)) table[char.charCodeAt(0)] = { name, arg };
  return table;
})();

/** Opcode byte of a name, for builders and tests. */
export function opcodeByte(name: string): number {
  const index = OPCODES.findIndex((info) => info?.name === name);
  if (index < 0) throw new Error(`unknown pickle opcode ${name}`);
  return index;
}
