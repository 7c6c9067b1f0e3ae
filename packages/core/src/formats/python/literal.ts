/**
 * A small exact parser for the Python literals `ast.literal_eval` accepts, as numpy evaluates a .npy header
 * (numpy.lib.utils.safe_eval): dict, list, tuple, set, str (single/double/triple quotes, r/b/u prefixes, escapes,
 * implicit concatenation of adjacent strings), bytes, int (0x/0o/0b, underscores; Python 2 `L` suffixes when
 * `allowLongSuffix`, as numpy's _filter_header strips them for format 1.0/2.0), float, True/False/None, one unary
 * sign on a number, parentheses, comments and line continuations. Linear time; nesting bounded.
 */

export type PyValue =
  | { type: 'str'; value: string }
  | { type: 'bytes'; value: string }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'none' }
  | { type: 'tuple'; items: PyValue[] }
  | { type: 'list'; items: PyValue[] }
  | { type: 'set'; items: PyValue[] }
  | { type: 'dict'; entries: Array<[PyValue, PyValue]> };

/** Containers nested inside one literal (Python's parser gives up near 100 levels; headers use 3). */
export const MAX_LITERAL_DEPTH = 100;

export class LiteralError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

export function parsePythonLiteral(text: string, options: { allowLongSuffix?: boolean } = {}): PyValue {
  let pos = 0;
  const fail = (why: string): never => {
    throw new LiteralError(`${why} at offset ${pos}`);
  };
  const skip = () => {
    while (pos < text.length) {
      const c = text[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') pos++;
      else if (c === '\\' && (text[pos + 1] === '\n' || (text[pos + 1] === '\r' && text[pos + 2] === '\n')))
        pos += text[pos + 1] === '\r' ? 3 : 2;
      else if (c === '#') while (pos < text.length && text[pos] !== '\n') pos++;
      else break;
    }
  };
  const stringAt = (): { bytes: boolean; value: string } | undefined => {
    const m = /^([rRbBuU]{0,2})(['"])/.exec(text.slice(pos, pos + 3));
    if (!m) return undefined;
    const prefix = (m[1] as string).toLowerCase();
    if (!['', 'r', 'b', 'u', 'br', 'rb'].includes(prefix)) return undefined;
    pos += prefix.length;
    const quote = text[pos] as string;
    const triple = text.startsWith(quote.repeat(3), pos);
    pos += triple ? 3 : 1;
    const raw = prefix.includes('r');
    let value = '';
    while (true) {
      if (pos >= text.length) fail('unterminated string');
      const c = text[pos] as string;
      if (triple ? text.startsWith(quote.repeat(3), pos) : c === quote) {
        pos += triple ? 3 : 1;
        break;
      }
      if (!triple && c === '\n') fail('newline in string');
      if (c !== '\\') {
        value += c;
        pos++;
        continue;
      }
      const e = text[pos + 1];
      if (e === undefined) fail('unterminated string');
      if (raw) {
        value += c + e;
        pos += 2;
        continue;
      }
      pos += 2;
      const e1 = e as string;
      if (Object.hasOwn(SIMPLE_ESCAPES, e1)) value += SIMPLE_ESCAPES[e1];
      else if (e1 >= '0' && e1 <= '7') {
        let digits = e1;
        while (digits.length < 3 && /[0-7]/.test(text[pos] ?? '')) digits += text[pos++];
        value += String.fromCodePoint(Number.parseInt(digits, 8));
      } else if (e1 === 'x' || (!prefix.includes('b') && (e1 === 'u' || e1 === 'U'))) {
        const n = e1 === 'x' ? 2 : e1 === 'u' ? 4 : 8;
        const hex = text.slice(pos, pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail('truncated escape');
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff) fail('escape out of range');
        value += String.fromCodePoint(code);
        pos += n;
      } else if (e1 === 'N' && !prefix.includes('b')) fail('\\N{...} escapes are not supported');
      else value += `\\${e1}`; // unknown escapes keep the backslash
    }
    return { bytes: prefix.includes('b'), value };
  };
  const number = (): PyValue | undefined => {
    const m =
      /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?)/.exec(
        text.slice(pos, pos + 4096),
      );
    const token = m?.[0] ?? '';
    if (!token || token === '.' || !/\d/.test(token)) return undefined;
    pos += token.length;
    if (/[a-zA-Z_]/.test(text[pos] ?? '') && !(options.allowLongSuffix && (text[pos] === 'L' || text[pos] === 'l'))) {
      if (!(options.allowLongSuffix && text[pos] === 'L')) fail('invalid number');
    }
    const clean = token.replace(/_/g, '');
    if (/[jJ]$/.test(clean)) fail('complex numbers are not supported');
    if (/^0[xXoObB]/.test(clean)) {
      const base = { x: 16, o: 8, b: 2 }[clean[1]?.toLowerCase() as 'x' | 'o' | 'b'];
      let v = 0n;
      for (const d of clean.slice(2)) v = v * BigInt(base) + BigInt(Number.parseInt(d, base));
      skipLong();
      return { type: 'int', value: v };
    }
    if (/[.eE]/.test(clean)) return { type: 'float', value: Number(clean) };
    if (clean.length > 1 && clean[0] === '0' && /[1-9]/.test(clean)) fail('leading zeros in a decimal integer');
    skipLong();
    return { type: 'int', value: BigInt(clean) };
  };
  const skipLong = () => {
    // numpy's _filter_header drops a NAME token 'L' right after a NUMBER (Python 2 longs).
    if (options.allowLongSuffix && text[pos] === 'L' && !/[\w]/.test(text[pos + 1] ?? '')) pos++;
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_LITERAL_DEPTH) fail('nesting too deep');
    skip();
    const c = text[pos];
    if (c === '+' || c === '-') {
      pos++;
      skip();
      const n = number();
      if (!n || (n.type !== 'int' && n.type !== 'float')) return fail('unary sign on a non-number');
      if (c === '+') return n;
      return n.type === 'int' ? { type: 'int', value: -n.value } : { type: 'float', value: -n.value };
    }
    const first = stringAt();
    if (first) {
      let { bytes, value: s } = first;
      while (true) {
        skip();
        const more = stringAt();
        if (!more) break;
        if (more.bytes !== bytes) fail('cannot mix bytes and str literals');
        s += more.value;
        bytes = more.bytes;
      }
      return { type: bytes ? 'bytes' : 'str', value: s };
    }
    const n = number();
    if (n) return n;
    const word = /^[A-Za-z_]\w*/.exec(text.slice(pos, pos + 64))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      pos += word.length;
      return word === 'None' ? { type: 'none' } : { type: 'bool', value: word === 'True' };
    }
    if (word === 'set') {
      pos += 3;
      skip();
      if (text[pos] !== '(') fail('expected set()');
      pos++;
      skip();
      if (text[pos] !== ')') fail('set() takes no arguments here');
      pos++;
      return { type: 'set', items: [] };
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      pos++;
      const items: PyValue[] = [];
      let comma = false;
      while (true) {
        skip();
        if (text[pos] === close) {
          pos++;
          break;
        }
        items.push(value(depth + 1));
        skip();
        if (text[pos] === ',') {
          comma = true;
          pos++;
        } else if (text[pos] !== close) fail(`expected , or ${close}`);
      }
      if (c === '(') return items.length === 1 && !comma ? (items[0] as PyValue) : { type: 'tuple', items };
      return { type: 'list', items };
    }
    if (c === '{') {
      pos++;
      skip();
      if (text[pos] === '}') {
        pos++;
        return { type: 'dict', entries: [] };
      }
      const firstKey = value(depth + 1);
      skip();
      if (text[pos] === ':') {
        const entries: Array<[PyValue, PyValue]> = [];
        let key: PyValue | undefined = firstKey;
        while (true) {
          if (key === undefined) {
            skip();
            if (text[pos] === '}') {
              pos++;
              break;
            }
            key = value(depth + 1);
            skip();
          }
          if (text[pos] !== ':') fail('expected :');
          pos++;
          entries.push([key, value(depth + 1)]);
          key = undefined;
          skip();
          if (text[pos] === ',') pos++;
          else if (text[pos] === '}') {
            pos++;
            break;
          } else fail('expected , or }');
        }
        return { type: 'dict', entries };
      }
      const items = [firstKey];
      while (true) {
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          break;
        } else fail('expected , or }');
        skip();
        if (text[pos] === '}') {
          pos++;
          break;
        }
        items.push(value(depth + 1));
      }
      return { type: 'set', items };
    }
    return fail('unexpected character');
  };
  const result = value(0);
  skip();
  if (pos !== text.length) fail('trailing characters');
  return result;
}

/** Python's dict lookup for a str key (the last duplicate wins, as in a dict display). */
export function dictGet(dict: PyValue, key: string): PyValue | undefined {
  if (dict.type !== 'dict') return undefined;
  let found: PyValue | undefined;
  for (const [k, v] of dict.entries) if (k.type === 'str' && k.value === key) found = v;
  return found;
}
