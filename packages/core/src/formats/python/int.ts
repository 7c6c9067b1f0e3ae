/**
 * CPython's `int(text, base)` for a str argument (Objects/longobject.c `PyLong_FromUnicodeObject`): non-ASCII
 * whitespace becomes a space and Unicode decimal digits their ASCII digit, then surrounding C-locale whitespace
 * (space, \t \n \v \f \r: not \x1c-\x1f, which str.strip() does remove) is skipped, then an optional sign,
 * an optional base prefix matching the base (`0x`, `0o`, `0b`), digits of the base with single underscores between
 * them (and after a prefix). Anything else is a ValueError, here `undefined`. Never `parseInt`, which stops at the
 * first bad character and knows neither prefixes nor underscores.
 */

/** Characters str.isspace() is true for (Python's `_Py_ascii_whitespace` plus the Unicode spaces it recognises). */
const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function isPythonWhitespace(code: number): boolean {
  return PY_WHITESPACE.has(code);
}

/** C isspace() in the C locale (Py_ISSPACE), what PyLong_FromString skips around the number. */
function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** Python's str.strip() with no argument (strips every str.isspace() character). */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PY_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * The value of a Unicode decimal digit (general category Nd). Unicode encodes every decimal digit set as a run of
 * code points 0..9 (runs may touch, e.g. the mathematical digits), so the value is the distance to the start of
 * the run, modulo 10.
 */
function decimalValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  let start = code;
  while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (code - start) % 10;
}

/** Python's int(text, base) for base 2..36; undefined where Python raises ValueError. */
export function pythonInt(text: string, base: number): bigint | undefined {
  // _PyUnicode_TransformDecimalAndSpaceToASCII: decimal digits become ASCII digits, whitespace a space.
  let ascii = '';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code < 0x80) ascii += char;
    else if (PY_WHITESPACE.has(code)) ascii += ' ';
    else if (DECIMAL_DIGIT.test(char)) ascii += String(decimalValue(code));
    else return undefined;
  }
  let start = 0;
  let end = ascii.length;
  while (start < end && isCSpace(ascii.charCodeAt(start))) start++;
  while (end > start && isCSpace(ascii.charCodeAt(end - 1))) end--;
  let s = ascii.slice(start, end);
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  const prefix = s.slice(0, 2).toLowerCase();
  let underscoreOk = false;
  if ((base === 16 && prefix === '0x') || (base === 8 && prefix === '0o') || (base === 2 && prefix === '0b')) {
    s = s.slice(2);
    underscoreOk = true; // int('0x_1f', 16) == 31
  }
  if (s.length === 0) return undefined;
  let value = 0n;
  const big = BigInt(base);
  let sawDigit = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) {
      // A single underscore between digits (or right after a base prefix).
      if (!(sawDigit || (underscoreOk && i === 0)) || i === s.length - 1 || s.charCodeAt(i + 1) === 0x5f) return undefined;
      continue;
    }
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x7a ? c - 0x57 : c >= 0x41 && c <= 0x5a ? c - 0x37 : 99;
    if (digit >= base) return undefined;
    value = value * big + BigInt(digit);
    sawDigit = true;
  }
  if (!sawDigit) return undefined;
  return negative ? -value : value;
}
