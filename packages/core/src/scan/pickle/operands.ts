/**
 * Opcode operands decoded exactly as CPython 3.11 decodes them (Modules/_pickle.c, the C unpickler used by
 * pickle.loads and torch.load; Lib/pickle.py, the pure-Python `_Unpickler` used by joblib). Where the two differ,
 * the reading under which the stream goes on (and so runs more) is taken. Pinned by differential vectors made
 * with CPython itself (fixtures/scripts/pickle-oracle/, tests/core/scan/pickle-oracle.test.ts).
 *
 * Every function here is linear in its input and never throws on input: `undefined` means "CPython raises here".
 */

/** Py_ISSPACE in the C locale: space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return 99;
}

/** The C string CPython sees: `_Unpickler_CopyLine` NUL-terminates the line, so parsing stops at the first NUL. */
function cString(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

/**
 * `PyLong_FromString(s, NULL, base)` on a NUL-terminated string (and so also Python's `int(bytes, base)` when the
 * bytes hold no NUL): leading/trailing whitespace, one sign, base prefixes (base 0: 0x/0o/0b, and no leading zeros
 * on a non-zero decimal), single underscores between digits (and after a base prefix). Undefined when it raises.
 */
export function parsePyLong(input: Uint8Array, base: 0 | 10): bigint | undefined {
  const s = cString(input);
  let i = 0;
  const n = s.length;
  while (i < n && isSpace(s[i] as number)) i++;
  let negative = false;
  if (s[i] === 0x2b || s[i] === 0x2d) {
    negative = s[i] === 0x2d;
    i++;
  }
  let radix: number = base === 0 ? 10 : base;
  let prefixed = false;
  if (base === 0 && s[i] === 0x30) {
    const p = (s[i + 1] ?? 0) | 0x20;
    if (p === 0x78) radix = 16;
    else if (p === 0x6f) radix = 8;
    else if (p === 0x62) radix = 2;
    if (radix !== 10) {
      i += 2;
      prefixed = true;
    }
  }
  // One underscore may follow a base prefix directly ("0x_1f"); otherwise single underscores only between digits.
  if (prefixed && s[i] === 0x5f) i++;
  const digitsStart = i;
  let value = 0n;
  let digits = 0;
  let allZero = true;
  let lastUnderscore = false;
  const big = BigInt(radix);
  // Small values accumulate in a number, then in a bigint.
  let small = 0;
  let useBig = false;
  for (; i < n; i++) {
    const c = s[i] as number;
    if (c === 0x5f) {
      if (lastUnderscore || digits === 0) return undefined;
      lastUnderscore = true;
      continue;
    }
    const d = digitValue(c);
    if (d >= radix) break;
    if (d !== 0) allZero = false;
    digits++;
    lastUnderscore = false;
    if (!useBig) {
      small = small * radix + d;
      if (small > Number.MAX_SAFE_INTEGER / 64) {
        useBig = true;
        value = BigInt(small);
      }
    } else value = value * big + BigInt(d);
  }
  if (digits === 0 || lastUnderscore) return undefined;
  // int('010', 0) raises: base 0 forbids leading zeros on a non-zero decimal.
  if (base === 0 && radix === 10 && s[digitsStart] === 0x30 && !allZero) return undefined;
  while (i < n && isSpace(s[i] as number)) i++;
  if (i !== n) return undefined;
  const result = useBig ? value : BigInt(small);
  return negative ? -result : result;
}

/**
 * C `strtol(s, &end, 0)` as `load_int` calls it: leading whitespace, a sign, 0x (hex) or 0 (octal) prefixes, no
 * underscores; success only when it stops at the newline or the NUL and does not overflow a C long.
 */
function strtol0(line: Uint8Array): bigint | undefined {
  const s = cString(line);
  let i = 0;
  const n = s.length;
  while (i < n && isSpace(s[i] as number)) i++;
  let negative = false;
  if (s[i] === 0x2b || s[i] === 0x2d) {
    negative = s[i] === 0x2d;
    i++;
  }
  let radix = 10;
  if (s[i] === 0x30) {
    if (((s[i + 1] ?? 0) | 0x20) === 0x78 && digitValue(s[i + 2] ?? 0) < 16) {
      radix = 16;
      i += 2;
    } else radix = 8;
  }
  const start = i;
  let value = 0n;
  const big = BigInt(radix);
  for (; i < n; i++) {
    const d = digitValue(s[i] as number);
    if (d >= radix) break;
    value = value * big + BigInt(d);
  }
  if (i === start) return undefined;
  // endptr must be at the newline or the end of the C string.
  if (i < n && s[i] !== 0x0a) return undefined;
  const result = negative ? -value : value;
  if (result > 0x7fffffffffffffffn || result < -0x8000000000000000n) return undefined; // ERANGE
  return result;
}

export type IntOperand = { kind: 'int'; value: bigint } | { kind: 'bool'; value: boolean };

/**
 * INT's line (with its newline): `_pickle.c` load_int (strtol base 0, else PyLong_FromString base 0; a 3-byte line
 * holding 0 or 1 is a bool) — it accepts everything `pickle.py`'s `int(data, 0)` accepts and more (`010`, a NUL
 * ending the digits), so it is the reading under which the stream goes on.
 */
export function parseIntLine(line: Uint8Array): IntOperand | undefined {
  if (line.length < 2) return undefined; // bad_readline
  const viaStrtol = strtol0(line);
  if (viaStrtol !== undefined) {
    if (line.length === 3 && (viaStrtol === 0n || viaStrtol === 1n)) return { kind: 'bool', value: viaStrtol === 1n };
    return { kind: 'int', value: viaStrtol };
  }
  const value = parsePyLong(line, 0);
  return value === undefined ? undefined : { kind: 'int', value };
}

/** LONG's line (with its newline): one trailing `L` dropped, then PyLong_FromString base 0. */
export function parseLongLine(line: Uint8Array): bigint | undefined {
  if (line.length < 2) return undefined;
  const body = line[line.length - 2] === 0x4c ? line.subarray(0, line.length - 2) : line.subarray(0, line.length - 1);
  return parsePyLong(body, 0);
}

/** GET/PUT's line (with its newline): PyLong_FromString base 10 (`int(line[:-1])` in pickle.py). */
export function parseMemoKeyLine(line: Uint8Array): bigint | undefined {
  if (line.length < 2) return undefined;
  return parsePyLong(line, 10);
}

/**
 * FLOAT's line: the C unpickler refuses leading whitespace (PyOS_string_to_double) where `float()` strips it; the
 * stream goes on when either accepts. Only the value's validity matters to the scan.
 */
export function parseFloatLine(line: Uint8Array): number | undefined {
  if (line.length < 2) return undefined;
  const text = latin1(cString(line.subarray(0, line.length - 1))).trim();
  if (!FLOAT_LITERAL.test(text)) return undefined;
  const plain = text.replace(/_/g, '').toLowerCase();
  if (plain.endsWith('inf') || plain.endsWith('infinity')) return plain.startsWith('-') ? -Infinity : Infinity;
  if (plain.endsWith('nan')) return Number.NaN;
  return Number(plain);
}

/** What `float()` accepts from ASCII (digits may be grouped by single underscores). Linear: no nested quantifiers overlap. */
const FLOAT_LITERAL =
  /^[+-]?(?:(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?|inf|infinity|nan)$/i;

/**
 * `codecs.escape_decode` (`_PyBytes_DecodeEscape`): \\ \' \" \a \b \f \n \r \t \v, \<newline> (dropped), octal
 * \o \oo \ooo (kept modulo 256), \xHH (exactly two hex digits, else it raises); any other escape keeps its
 * backslash; a trailing lone backslash raises.
 */
export function escapeDecode(input: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(input.length);
  let o = 0;
  const n = input.length;
  for (let i = 0; i < n; ) {
    const c = input[i++] as number;
    if (c !== 0x5c) {
      out[o++] = c;
      continue;
    }
    if (i >= n) return undefined; // "Trailing \ in string"
    const e = input[i++] as number;
    switch (e) {
      case 0x0a: // backslash-newline: line continuation
        break;
      case 0x5c:
        out[o++] = 0x5c;
        break;
      case 0x27:
        out[o++] = 0x27;
        break;
      case 0x22:
        out[o++] = 0x22;
        break;
      case 0x62:
        out[o++] = 0x08;
        break;
      case 0x66:
        out[o++] = 0x0c;
        break;
      case 0x74:
        out[o++] = 0x09;
        break;
      case 0x6e:
        out[o++] = 0x0a;
        break;
      case 0x72:
        out[o++] = 0x0d;
        break;
      case 0x76:
        out[o++] = 0x0b;
        break;
      case 0x61:
        out[o++] = 0x07;
        break;
      case 0x78: {
        const h1 = digitValue(input[i] ?? 0);
        const h2 = digitValue(input[i + 1] ?? 0);
        if (i + 1 >= n || h1 >= 16 || h2 >= 16) return undefined; // "invalid \x escape"
        out[o++] = h1 * 16 + h2;
        i += 2;
        break;
      }
      default:
        if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          if (i < n && (input[i] as number) >= 0x30 && (input[i] as number) <= 0x37) {
            v = v * 8 + ((input[i++] as number) - 0x30);
            if (i < n && (input[i] as number) >= 0x30 && (input[i] as number) <= 0x37)
              v = v * 8 + ((input[i++] as number) - 0x30);
          }
          out[o++] = v & 0xff;
        } else {
          out[o++] = 0x5c;
          out[o++] = e;
        }
    }
  }
  return out.subarray(0, o);
}

/**
 * The `raw-unicode-escape` codec (UNICODE's operand): only \uXXXX (4 hex digits) and \UXXXXXXXX (8, at most
 * 0x10FFFF) are escapes, a backslash followed by anything else is kept with that character (so `\\u0041` stays),
 * every other byte is its Latin-1 code point. Undefined when the codec raises (truncated or out-of-range escape).
 */
export function rawUnicodeEscapeDecode(input: Uint8Array): string | undefined {
  let out = '';
  let runStart = 0;
  const n = input.length;
  const flush = (end: number) => {
    for (let j = runStart; j < end; j++) out += String.fromCharCode(input[j] as number);
  };
  for (let i = 0; i < n; ) {
    if (input[i] !== 0x5c) {
      i++;
      continue;
    }
    if (i + 1 >= n) break; // a lone trailing backslash is written as is
    const e = input[i + 1] as number;
    if (e !== 0x75 && e !== 0x55) {
      i += 2; // backslash + that character, both kept
      continue;
    }
    flush(i);
    const count = e === 0x75 ? 4 : 8;
    let cp = 0;
    for (let k = 0; k < count; k++) {
      const d = digitValue(input[i + 2 + k] ?? 0x100);
      if (i + 2 + k >= n || d >= 16) return undefined;
      cp = cp * 16 + d;
    }
    if (cp > 0x10ffff) return undefined;
    out += String.fromCodePoint(cp);
    i += 2 + count;
    runStart = i;
  }
  flush(n);
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 "strict" (GLOBAL/STACK_GLOBAL names, INST in pickle.py is ASCII): undefined when invalid. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1(bytes);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Latin-1 (every byte its code point), fast for the short operands pickles are made of. */
export function latin1(bytes: Uint8Array): string {
  // One flat string (a char-by-char concatenation would build a rope that every later read flattens).
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * UTF-8 with "surrogatepass" (BINUNICODE, SHORT_BINUNICODE, BINUNICODE8): like strict UTF-8 but encoded lone
 * surrogates (ED A0 80 .. ED BF BF) are accepted. Undefined when CPython raises UnicodeDecodeError.
 */
export function decodeUtf8SurrogatePass(bytes: Uint8Array): string | undefined {
  const strict = decodeUtf8Strict(bytes);
  if (strict !== undefined) return strict;
  let out = '';
  const n = bytes.length;
  for (let i = 0; i < n; ) {
    const b0 = bytes[i] as number;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    } else return undefined;
    if (i + need >= n) return undefined;
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff) return undefined;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/**
 * The str a protocol 0/1 STRING or BINSTRING becomes: the unpickler decodes it with its `encoding` (ASCII by default,
 * UTF-8 under torch.load, Latin-1 for numpy's Python 2 pickles). UTF-8 when valid, else Latin-1: the readings under
 * which the stream goes on.
 */
export function decodePy2String(bytes: Uint8Array): string {
  return decodeUtf8Strict(bytes) ?? latin1(bytes);
}
