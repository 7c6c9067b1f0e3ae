/**
 * A streaming JSON syntax checker (RFC 8259): one pass, constant memory apart from the nesting stack (bounded by
 * MAX_JSON_SCAN_DEPTH), no regular expressions. Detection feeds it the head of a file to decide whether the file
 * opens as JSON (a TOML table `[project]`, an INI section or Jinja's `{%` fail at their first token); the JSON
 * handler feeds it a whole document too large to parse in memory, and asks which object keys it met.
 */

/** Nesting accepted: real configs nest a few dozen levels; deeper is refused (the scan ends incomplete). */
export const MAX_JSON_SCAN_DEPTH = 512;
/** Longest key (decoded) recorded for `keysSeen` (longer keys are never among the keys a caller asks about). */
const MAX_RECORDED_KEY_CHARS = 64;
/**
 * Raw characters of a key kept for decoding: a key is bounded by its DECODED length, and one decoded character
 * (UTF-16 unit) is written in at most 6 raw ones (`\u005f`). Capping the raw text at MAX_RECORDED_KEY_CHARS would
 * let a watched key spelled with escapes (`"chat\u005ftemplate"`, which JSON.parse and Python's json read as
 * `chat_template`) go unrecorded, and a document too large to parse holding it pass as data.
 */
const MAX_RECORDED_KEY_RAW_CHARS = 6 * MAX_RECORDED_KEY_CHARS + 1;

type Ctx = 'object' | 'array';
type State =
  | 'value' // expecting a value (top level or after ':' / ',' in an array)
  | 'value-or-close' // right after '['
  | 'key-or-close' // right after '{'
  | 'key' // after ',' in an object
  | 'colon'
  | 'after-value' // expecting ',' or a closer, or end of document
  | 'done';

export interface JsonScanResult {
  /** Whether everything fed so far is a prefix of some valid JSON document (or a complete one, see `complete`). */
  ok: boolean;
  /** A whole top-level value has been read and nothing but whitespace follows it. */
  complete: boolean;
  /** Deepest nesting seen. */
  maxDepth: number;
  /** Why it is not JSON, when ok is false. */
  error?: string;
}

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

export class JsonScanner {
  private stack: Ctx[] = [];
  private state: State = 'value';
  private error: string | undefined;
  private maxDepth = 0;
  /** Inside a string: 0 = no, 1 = plain, 2 = after a backslash, 3..6 = reading \u hex digits. */
  private inString = 0;
  private hexLeft = 0;
  private stringIsKey = false;
  private keyRaw: string[] = [];
  private keyTooLong = false;
  /** Inside a literal (true/false/null) or number: the characters still expected, or the number state. */
  private literal = '';
  private pythonLiteral = false;
  private numberState = 0; // 0 none, 1 '-', 2 int zero, 3 int digits, 4 '.', 5 frac, 6 'e', 7 e sign, 8 exp digits
  private readonly keys = new Set<string>();
  /** Offsets (in what was fed) of Python's non-standard literals NaN, Infinity, -Infinity, with their length. */
  readonly pythonLiterals: Array<[number, number]> = [];
  private fed = 0;
  private literalStart = 0;

  constructor(private readonly watchKeys: ReadonlySet<string> = new Set()) {}

  /** Keys among `watchKeys` met as object keys (decoded as JSON.parse decodes them). */
  get keysSeen(): ReadonlySet<string> {
    return this.keys;
  }

  private fail(message: string): void {
    this.error ??= message;
  }

  private endValue(): void {
    this.state = this.stack.length === 0 ? 'done' : 'after-value';
  }

  private numberEnds(): boolean {
    // A number may end in states: int zero, int digits, frac digits, exp digits.
    return this.numberState === 2 || this.numberState === 3 || this.numberState === 5 || this.numberState === 8;
  }

  private finishKey(): void {
    if (this.keyTooLong || this.watchKeys.size === 0) return;
    try {
      const key = JSON.parse(`"${this.keyRaw.join('')}"`) as string;
      if (this.watchKeys.has(key)) this.keys.add(key);
    } catch {
      // The raw text was checked char by char; JSON.parse agrees, so this is unreachable.
    }
  }

  /** Feeds text; returns false as soon as it cannot be JSON. */
  feed(text: string): boolean {
    for (let i = 0; i < text.length && this.error === undefined; i++, this.fed++)
      this.step(text.charCodeAt(i), text[i] as string);
    return this.error === undefined;
  }

  private step(c: number, ch: string): void {
    if (this.inString !== 0) {
      this.stringChar(c, ch);
      return;
    }
    if (this.literal !== '') {
      if (ch !== this.literal[0]) {
        this.fail('invalid literal');
        return;
      }
      this.literal = this.literal.slice(1);
      if (this.literal === '') {
        if (this.pythonLiteral) this.pythonLiterals.push([this.literalStart, this.fed + 1 - this.literalStart]);
        this.endValue();
      }
      return;
    }
    if (this.numberState === 1 && ch === 'I') {
      // Python's json reads -Infinity (json.dump writes it for float('-inf')).
      this.numberState = 0;
      this.literal = 'nfinity';
      this.pythonLiteral = true;
      return;
    }
    if (this.numberState !== 0) {
      if (this.numberChar(c)) return;
      if (!this.numberEnds()) {
        this.fail('invalid number');
        return;
      }
      this.numberState = 0;
      this.endValue();
      // fall through: c is the character after the number
    }
    if (isWs(c)) return;
    switch (this.state) {
      case 'done':
        this.fail('data after the top-level value');
        return;
      case 'colon':
        if (c === 0x3a) this.state = 'value';
        else this.fail("expected ':'");
        return;
      case 'key-or-close':
      case 'key':
        if (c === 0x22) {
          this.startString(true);
        } else if (c === 0x7d && this.state === 'key-or-close') {
          this.close('object');
        } else this.fail('expected a key');
        return;
      case 'after-value': {
        const top = this.stack[this.stack.length - 1];
        if (c === 0x2c) this.state = top === 'object' ? 'key' : 'value';
        else if (c === 0x7d && top === 'object') this.close('object');
        else if (c === 0x5d && top === 'array') this.close('array');
        else this.fail("expected ',' or a closing bracket");
        return;
      }
      case 'value-or-close':
        if (c === 0x5d) {
          this.close('array');
          return;
        }
        this.startValue(c, ch);
        return;
      case 'value':
        this.startValue(c, ch);
        return;
    }
  }

  private close(ctx: Ctx): void {
    this.stack.pop();
    void ctx;
    this.endValue();
  }

  private open(ctx: Ctx): void {
    if (this.stack.length >= MAX_JSON_SCAN_DEPTH) {
      this.fail(`nested deeper than MAX_JSON_SCAN_DEPTH (${MAX_JSON_SCAN_DEPTH})`);
      return;
    }
    this.stack.push(ctx);
    this.maxDepth = Math.max(this.maxDepth, this.stack.length);
    this.state = ctx === 'object' ? 'key-or-close' : 'value-or-close';
  }

  private startString(isKey: boolean): void {
    this.inString = 1;
    this.stringIsKey = isKey;
    this.keyRaw = [];
    this.keyTooLong = false;
  }

  private startValue(c: number, ch: string): void {
    if (c === 0x7b) this.open('object');
    else if (c === 0x5b) this.open('array');
    else if (c === 0x22) this.startString(false);
    else if (ch === 't') this.setLiteral('rue', false);
    else if (ch === 'f') this.setLiteral('alse', false);
    else if (ch === 'n') this.setLiteral('ull', false);
    // Python's json reads (and json.dump writes) NaN and Infinity: trainer_state.json holds them.
    else if (ch === 'N') this.setLiteral('aN', true);
    else if (ch === 'I') this.setLiteral('nfinity', true);
    else if (c === 0x2d) {
      this.numberState = 1;
      this.literalStart = this.fed;
    } else if (c === 0x30) this.numberState = 2;
    else if (isDigit(c)) this.numberState = 3;
    else this.fail('expected a value');
  }

  private setLiteral(rest: string, python: boolean): void {
    this.literal = rest;
    this.pythonLiteral = python;
    this.literalStart = this.fed;
  }

  private numberChar(c: number): boolean {
    switch (this.numberState) {
      case 1:
        if (c === 0x30) this.numberState = 2;
        else if (isDigit(c)) this.numberState = 3;
        else this.fail('invalid number');
        return true;
      case 2:
        if (c === 0x2e) this.numberState = 4;
        else if (c === 0x65 || c === 0x45) this.numberState = 6;
        else return false;
        return true;
      case 3:
        if (isDigit(c)) return true;
        if (c === 0x2e) this.numberState = 4;
        else if (c === 0x65 || c === 0x45) this.numberState = 6;
        else return false;
        return true;
      case 4:
        if (isDigit(c)) this.numberState = 5;
        else this.fail('invalid number');
        return true;
      case 5:
        if (isDigit(c)) return true;
        if (c === 0x65 || c === 0x45) this.numberState = 6;
        else return false;
        return true;
      case 6:
        if (c === 0x2b || c === 0x2d) this.numberState = 7;
        else if (isDigit(c)) this.numberState = 8;
        else this.fail('invalid number');
        return true;
      case 7:
        if (isDigit(c)) this.numberState = 8;
        else this.fail('invalid number');
        return true;
      case 8:
        return isDigit(c);
      default:
        return false;
    }
  }

  private stringChar(c: number, ch: string): void {
    if (this.stringIsKey) {
      if (this.keyRaw.length < MAX_RECORDED_KEY_RAW_CHARS) this.keyRaw.push(ch);
      else this.keyTooLong = true;
    }
    if (this.inString === 1) {
      if (c === 0x22) {
        if (this.stringIsKey) {
          this.keyRaw.pop();
          this.finishKey();
          this.inString = 0;
          this.state = 'colon';
        } else {
          this.inString = 0;
          this.endValue();
        }
      } else if (c === 0x5c) this.inString = 2;
      else if (c < 0x20) this.fail('control character in a string');
      return;
    }
    if (this.inString === 2) {
      if (ch === 'u') {
        this.inString = 3;
        this.hexLeft = 4;
      } else if ('"\\/bfnrt'.includes(ch)) this.inString = 1;
      else this.fail('invalid escape');
      return;
    }
    // \u hex digits
    if (!isHex(c)) {
      this.fail('invalid \\u escape');
      return;
    }
    if (--this.hexLeft === 0) this.inString = 1;
  }

  /** The verdict on everything fed so far. */
  result(): JsonScanResult {
    if (this.error !== undefined) return { ok: false, complete: false, maxDepth: this.maxDepth, error: this.error };
    const complete =
      this.state === 'done' || (this.stack.length === 0 && this.numberState !== 0 && this.numberEnds() && this.inString === 0);
    return { ok: true, complete, maxDepth: this.maxDepth };
  }
}

/**
 * Parses JSON as Python's `json.loads` reads it: also NaN, Infinity and -Infinity (read here as null; their value
 * never matters to the scan). Throws SyntaxError when it is not JSON.
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const scanner = new JsonScanner();
    if (!scanner.feed(text) || !scanner.result().complete || scanner.pythonLiterals.length === 0) throw error;
    let out = '';
    let last = 0;
    for (const [start, length] of scanner.pythonLiterals) {
      out += `${text.slice(last, start)}null`;
      last = start + length;
    }
    return JSON.parse(out + text.slice(last));
  }
}

/** Whether `text` is a prefix of a JSON document whose top-level value is an object or an array. */
export function opensAsJsonContainer(text: string): boolean {
  let i = 0;
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  const first = text.charCodeAt(i);
  if (first !== 0x7b && first !== 0x5b) return false;
  const scanner = new JsonScanner();
  return scanner.feed(text);
}
