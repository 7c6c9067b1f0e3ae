/**
 * Server-side template injection in Jinja chat templates, judged on a real parse of the template.
 *
 * 1. String literals are decoded the way Python's Jinja2 lexer decodes them (`unicode-escape`: `\x5f`, `\u005f`,
 *    `\U0000005f`, `\137`, `\N{LOW LINE}`...), then re-encoded for the parser of `@huggingface/jinja` (the Jinja
 *    implementation of the Hugging Face JS stack), which parses the template. A template it cannot parse is not
 *    judged: `incomplete`.
 * 2. The AST is evaluated abstractly: every expression yields the values it may take (strings and numbers when
 *    they are constants of the template, folded through `~`, `+`, `*`, `%`, `|join`, `|format`, `|lower`,
 *    `|upper`, `|replace`, `|reverse`, slicing, `dict(k=...)` keys, str methods...; `built` when the template
 *    builds a string we do not fold; `unknown` for data of the caller: messages, tools...). Variables set by
 *    `set`, loop variables over constant lists, namespace attributes and macro parameters (bound from every call
 *    site) carry their values, flow-insensitively.
 * 3. What is critical (MS-GGUF-001 / MS-TPL-001), each reaching Python internals the way Jinja2 resolves names:
 *    - an attribute name (`.x`, `|attr(x)`, `map(attribute=x)`, `selectattr(x)`, `sort(attribute=x)`... and
 *      `str.format` field lookups `{0.x}`) that starts with `_` or is a Python frame/function/code internal
 *      (`mro`, `f_globals`, `gi_frame`, `func_globals`...): Jinja's own sandbox refuses exactly these;
 *    - a subscript key that is a dunder (`x['__class__']`: Jinja2's getitem falls back to getattr);
 *    - an attribute name or subscript key the template builds but that does not fold to a constant (computed
 *      names exist only to hide one), and `|attr`/`.format` on any computed value;
 *    - any attribute of Jinja's own globals (`cycler`, `joiner`, `namespace`, `lipsum`, `range`, `dict`, `self`):
 *      their `__init__.__globals__` reach the os module; normal templates call them, never look inside.
 * Ordinary templates (loops, `raise_exception`, `strftime_now`, `namespace()` used as a namespace) are clean.
 */
import { createRequire } from 'node:module';

type HfJinja = typeof import('@huggingface/jinja');
const require = createRequire(import.meta.url);
let hfJinja: HfJinja | undefined;
/** @huggingface/jinja, loaded on the first template judged (its CommonJS build, so judging stays synchronous). */
function jinja(): HfJinja {
  hfJinja ??= require('@huggingface/jinja') as HfJinja;
  return hfJinja;
}

/** Largest template judged: real chat templates are a few KB to ~60 KB. */
export const MAX_TEMPLATE_CHARS = 1024 * 1024;
/** Values an expression may take before they are merged into `built`/`unknown` (bounds the folding). */
const MAX_VALUES = 32;
/** Longest string kept as a constant while folding (longer strings become `built`). */
const MAX_FOLDED_CHARS = 64 * 1024;
/** Items of a constant list or dict kept while folding. */
const MAX_FOLDED_ITEMS = 1024;
/** Expressions evaluated in one template (bounds work on adversarial templates; hitting it is `incomplete`). */
const MAX_EVALUATIONS = 2_000_000;
/**
 * Characters folding may read and build in one template. Each fold costs the length of its strings (up to
 * MAX_FOLDED_CHARS), so a template reusing one long constant in many expressions (`{{ a|replace(...) }}` over and
 * over) cost its size times 64 K: a 90 KB template took 25 s, 1 MB would take minutes. Real templates fold a few
 * hundred KB; hitting the bound is `incomplete`.
 */
const MAX_FOLD_WORK_CHARS = 16 * 1024 * 1024;
/** Fold work spent by the template being judged (judging is synchronous: reset by judgeTemplate). */
let foldWork = 0;
/** Charges `chars` of fold work; TemplateTooComplex past MAX_FOLD_WORK_CHARS. */
function chargeFold(chars: number): void {
  foldWork += chars;
  if (foldWork > MAX_FOLD_WORK_CHARS) throw new TemplateTooComplex('more folded characters than MAX_FOLD_WORK_CHARS');
}

export interface SstiHit {
  /** The name reached (`__class__`, `__globals__`, `_TemplateReference__context`) or what was computed. */
  token: string;
  how: 'attribute' | 'item' | 'attr-filter' | 'computed-name' | 'format-field' | 'jinja-global' | 'identifier';
}

export type TemplateVerdict = { ok: true; hits: SstiHit[] } | { ok: false; reason: string };

// ── 1. String literals as Jinja2 decodes them ────────────────────────────────────────────────────────────────

/** Unicode names of the printable ASCII characters, for `\N{...}` (Python looks names up case-insensitively). */
const ASCII_NAMES: ReadonlyMap<string, string> = (() => {
  const names: Record<string, string> = {
    SPACE: ' ',
    'EXCLAMATION MARK': '!',
    'QUOTATION MARK': '"',
    'NUMBER SIGN': '#',
    'DOLLAR SIGN': '$',
    'PERCENT SIGN': '%',
    AMPERSAND: '&',
    APOSTROPHE: "'",
    'LEFT PARENTHESIS': '(',
    'RIGHT PARENTHESIS': ')',
    ASTERISK: '*',
    'PLUS SIGN': '+',
    COMMA: ',',
    'HYPHEN-MINUS': '-',
    'FULL STOP': '.',
    SOLIDUS: '/',
    COLON: ':',
    SEMICOLON: ';',
    'LESS-THAN SIGN': '<',
    'EQUALS SIGN': '=',
    'GREATER-THAN SIGN': '>',
    'QUESTION MARK': '?',
    'COMMERCIAL AT': '@',
    'LEFT SQUARE BRACKET': '[',
    'REVERSE SOLIDUS': '\\',
    'RIGHT SQUARE BRACKET': ']',
    'CIRCUMFLEX ACCENT': '^',
    'LOW LINE': '_',
    'GRAVE ACCENT': '`',
    'LEFT CURLY BRACKET': '{',
    'VERTICAL LINE': '|',
    'RIGHT CURLY BRACKET': '}',
    TILDE: '~',
    'LINE FEED': '\n',
    'CHARACTER TABULATION': '\t',
  };
  const digits = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];
  digits.forEach((d, i) => {
    names[`DIGIT ${d}`] = String(i);
  });
  for (let c = 65; c <= 90; c++) {
    names[`LATIN CAPITAL LETTER ${String.fromCharCode(c)}`] = String.fromCharCode(c);
    names[`LATIN SMALL LETTER ${String.fromCharCode(c)}`] = String.fromCharCode(c + 32);
  }
  return new Map(Object.entries(names));
})();

class Undecodable extends Error {}

const isHexDigit = (c: string) => /^[0-9a-fA-F]$/.test(c);

/** Python's `unicode-escape` decoding of a string literal's body (as Jinja2's lexer applies it). */
export function decodeJinjaString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Undecodable('backslash at the end of a string');
    const simple: Record<string, string> = {
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
      '\n': '',
    };
    if (Object.hasOwn(simple, e)) {
      out += simple[e];
    } else if (e >= '0' && e <= '7') {
      let digits = e;
      while (digits.length < 3 && (body[i + 1] ?? '') >= '0' && (body[i + 1] ?? '') <= '7') digits += body[++i];
      out += String.fromCodePoint(Number.parseInt(digits, 8));
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (hex.length !== n || ![...hex].every(isHexDigit)) throw new Undecodable(`truncated \\${e} escape`);
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw new Undecodable('escape beyond U+10FFFF');
      out += String.fromCodePoint(code);
      i += n;
    } else if (e === 'N') {
      const close = body.indexOf('}', i);
      if (body[i + 1] !== '{' || close < 0) throw new Undecodable('malformed \\N{...} escape');
      const name = body.slice(i + 2, close).toUpperCase();
      const ch = ASCII_NAMES.get(name);
      if (ch === undefined) throw new Undecodable(`\\N{${name}} is not decoded by modelsec`);
      out += ch;
      i = close;
    } else out += `\\${e}`; // Python keeps unknown escapes as written
  }
  return out;
}

/** Re-encodes a decoded string for the @huggingface/jinja lexer (which knows \n \t \r \b \f \v \' \" \\ \xHH \uHHHH). */
function encodeForHf(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * `(` at `i` opens an empty tuple (`()` not after a callee: a name, `)`, `]`, `}` or a string). Looks back in the
 * template itself, never in the output being built: indexing that growing string made V8 flatten it at every
 * `()` (quadratic: a 400 KB template of `f()~f()~...` took minutes). The template and the output agree on what
 * precedes `(`: a string literal ends in a quote in both, and `()` rewritten as `[]` ends in a bracket.
 */
function isEmptyTupleAt(template: string, i: number): boolean {
  let j = i + 1;
  while (j < template.length && /\s/.test(template[j] as string)) j++;
  if (template[j] !== ')') return false;
  let k = i - 1;
  while (k >= 0 && /\s/.test(template[k] as string)) k--;
  const prev = template[k] ?? '';
  if (/[)\]}"']/.test(prev)) return false;
  if (!/\w/.test(prev)) return true;
  // After a word: a call, unless the word is a keyword that an operand follows (`for x in ()`, `not ()`).
  let w = k;
  while (w >= 0 && /\w/.test(template[w] as string)) w--;
  return OPERAND_KEYWORDS.has(template.slice(w + 1, k + 1));
}

/** Jinja keywords after which `(` opens an operand, not a call. */
const OPERAND_KEYWORDS = new Set(['in', 'not', 'and', 'or', 'if', 'elif', 'else', 'is', 'return', 'set', 'do', 'with']);

/**
 * Rewrites every string literal inside `{{ }}` and `{% %}` with its Jinja2-decoded value, leaving text and
 * comments as they are. Block ends inside strings do not end the block (as in both lexers).
 */
export function normaliseStringLiterals(template: string): string {
  let out = '';
  let i = 0;
  const n = template.length;
  while (i < n) {
    const open = template.indexOf('{', i);
    if (open < 0 || open + 1 >= n) {
      out += template.slice(i);
      break;
    }
    const kind = template[open + 1];
    if (kind !== '{' && kind !== '%' && kind !== '#') {
      out += template.slice(i, open + 1);
      i = open + 1;
      continue;
    }
    out += template.slice(i, open + 2);
    i = open + 2;
    if (kind === '#') {
      const close = template.indexOf('#}', i);
      const end = close < 0 ? n : close + 2;
      out += template.slice(i, end);
      i = end;
      continue;
    }
    const closer = kind === '{' ? '}}' : '%}';
    let depth = 0;
    while (i < n) {
      const c = template[i] as string;
      if (c === "'" || c === '"') {
        let j = i + 1;
        while (j < n && template[j] !== c) j += template[j] === '\\' ? 2 : 1;
        if (j >= n) throw new Undecodable('unterminated string literal');
        out += encodeForHf(decodeJinjaString(template.slice(i + 1, j)));
        i = j + 1;
        continue;
      }
      if (depth === 0 && template.startsWith(closer, i)) {
        out += closer;
        i += 2;
        break;
      }
      if (c === '(' && isEmptyTupleAt(template, i)) {
        // `()` as an operand is Python's empty tuple, which @huggingface/jinja does not parse: judged as `[]`.
        const close = template.indexOf(')', i);
        out += '[]';
        i = close + 1;
        continue;
      }
      if (c === '{' || c === '[' || c === '(') depth++;
      else if ((c === '}' || c === ']' || c === ')') && depth > 0) depth--;
      out += c;
      i++;
    }
  }
  return out;
}

// ── 2. Abstract values ───────────────────────────────────────────────────────────────────────────────────────

type V =
  | { k: 'str'; v: string }
  | { k: 'num'; v: number }
  | { k: 'bool' }
  | { k: 'none' }
  | { k: 'list'; items: V[] }
  | { k: 'dict'; entries: Array<[string, V]> }
  | { k: 'method'; recv: V; name: string }
  /** A number computed from caller data (an index, a length): never a name. */
  | { k: 'numvar' }
  /**
   * A string the template builds without our folding it. `chars`: the characters its constant inputs hold (the
   * only ones it can contain), or 'any' when it may hold any (a number turned into a character by an operation we
   * do not model, a special token from the model's own config, the text of a Jinja object).
   */
  | { k: 'built'; chars: ReadonlySet<string> | 'any' }
  | { k: 'unknown' };

const BUILT: V = { k: 'built', chars: 'any' };
const UNKNOWN: V = { k: 'unknown' };
const NUMVAR: V = { k: 'numvar' };
const str = (v: string): V => {
  chargeFold(v.length);
  return v.length > MAX_FOLDED_CHARS ? { k: 'built', chars: new Set(v) } : { k: 'str', v };
};
const num = (v: number): V => ({ k: 'num', v });

/** The characters a value may contribute to a string built from it (undefined: none, it is caller data). */
function charsOf(v: V): Set<string> | 'any' | undefined {
  switch (v.k) {
    case 'str':
      chargeFold(v.v.length);
      return new Set(v.v);
    case 'num':
      return 'any'; // an operation we do not model may turn a number into any character (chr, %c, translate)
    case 'built':
      return v.chars === 'any' ? 'any' : new Set(v.chars);
    case 'list': {
      let out: Set<string> | 'any' | undefined;
      for (const item of v.items) out = mergeChars(out, charsOf(item));
      return out;
    }
    case 'dict': {
      let out: Set<string> | 'any' | undefined;
      for (const [key, item] of v.entries) out = mergeChars(mergeChars(out, new Set(key)), charsOf(item));
      return out;
    }
    case 'method':
      return charsOf(v.recv);
    case 'bool':
    case 'none':
      return new Set('TrueFalseNone');
    case 'numvar':
      return 'any';
    default:
      return undefined;
  }
}

function mergeChars(a: Set<string> | 'any' | undefined, b: Set<string> | 'any' | undefined): Set<string> | 'any' | undefined {
  if (a === 'any' || b === 'any') return 'any';
  if (a === undefined) return b;
  if (b === undefined) return a;
  return new Set([...a, ...b]);
}

/** Whether a value may be a string holding `ch` (a built name that could start with `_`, a format field...). */
function mayHold(v: V, ch: string): boolean {
  if (v.k === 'str') return v.v.includes(ch);
  if (v.k !== 'built') return false;
  return v.chars === 'any' || v.chars.has(ch);
}

/** The result of an operation we do not fold on these inputs: built from their characters, or caller data. */
function opaque(...inputs: V[][]): V[] {
  let chars: Set<string> | 'any' | undefined;
  for (const vs of inputs) for (const v of vs) chars = mergeChars(chars, charsOf(v));
  return chars === undefined ? [UNKNOWN] : [{ k: 'built', chars }];
}

function cap(values: V[]): V[] {
  if (values.length <= MAX_VALUES) return values;
  return opaque(values);
}

function union(...sets: V[][]): V[] {
  return cap(sets.flat());
}

/** Python str() of a constant, when we know it. */
function pyStr(v: V): string | undefined {
  if (v.k === 'str') return v.v;
  if (v.k === 'num') return Number.isInteger(v.v) ? String(v.v) : String(v.v);
  return undefined;
}

/** Python `%` formatting of a constant format string (the conversions templates would use to build names). */
function percentFormat(format: string, args: V[]): string | undefined {
  let out = '';
  let a = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    let j = i + 1;
    while (j < format.length && '-+ #0123456789.'.includes(format[j] as string)) j++;
    const conv = format[j];
    i = j;
    if (conv === '%') {
      out += '%';
      continue;
    }
    const arg = args[a++];
    if (arg === undefined) return undefined;
    if (conv === 's' || conv === 'r' || conv === 'a') {
      const s = pyStr(arg);
      if (s === undefined) return undefined;
      out += conv === 's' ? s : arg.k === 'str' ? `'${s}'` : s;
    } else if (conv === 'c') {
      if (arg.k === 'num' && Number.isInteger(arg.v) && arg.v >= 0 && arg.v <= 0x10ffff) out += String.fromCodePoint(arg.v);
      else if (arg.k === 'str' && [...arg.v].length === 1) out += arg.v;
      else return undefined;
    } else if ((conv === 'd' || conv === 'i' || conv === 'u') && arg.k === 'num') out += String(Math.trunc(arg.v));
    else if ((conv === 'x' || conv === 'X' || conv === 'o') && arg.k === 'num' && Number.isInteger(arg.v)) {
      const s = arg.v.toString(conv === 'o' ? 8 : 16);
      out += conv === 'X' ? s.toUpperCase() : s;
    } else return undefined;
  }
  return a === args.length ? out : undefined;
}

/** Names Jinja's sandbox calls unsafe besides the `_` prefix (jinja2/sandbox.py: function, method, frame, code...). */
const UNSAFE_ATTRIBUTES = new Set([
  'mro',
  'func_closure',
  'func_code',
  'func_dict',
  'func_defaults',
  'func_globals',
  'im_class',
  'im_func',
  'im_self',
  'gi_frame',
  'gi_code',
  'gi_yieldfrom',
  'cr_frame',
  'cr_code',
  'cr_await',
  'ag_frame',
  'ag_code',
  'ag_await',
  'tb_frame',
  'tb_next',
  'f_back',
  'f_builtins',
  'f_code',
  'f_globals',
  'f_locals',
  'co_code',
]);
/** Jinja's own globals: their attributes (`__init__.__globals__`, `_TemplateReference__context`) reach Python. */
const JINJA_GLOBALS = new Set(['cycler', 'joiner', 'namespace', 'lipsum', 'range', 'dict', 'self']);
/** Special tokens transformers and llama.cpp pass to chat templates, taken from the model's own files. */
const SPECIAL_TOKENS = new Set([
  'bos_token',
  'eos_token',
  'unk_token',
  'pad_token',
  'sep_token',
  'cls_token',
  'mask_token',
  'additional_special_tokens',
]);
/** Functions the renderers add (transformers, llama.cpp, vLLM) and Jinja's per-call names. */
const TEMPLATE_HELPERS = new Set(['raise_exception', 'strftime_now', 'caller', 'varargs', 'kwargs']);
/** `loop` attributes and what they hold. */
const LOOP_NUMBERS = new Set(['index', 'index0', 'revindex', 'revindex0', 'length', 'depth', 'depth0']);
/** Names that are literals in Jinja (`true`, `none`...), not variables. */
const LITERAL_NAMES: ReadonlyMap<string, V> = new Map([
  ['true', { k: 'bool' }],
  ['false', { k: 'bool' }],
  ['True', { k: 'bool' }],
  ['False', { k: 'bool' }],
  ['none', { k: 'none' }],
  ['None', { k: 'none' }],
]);

/** Filters whose argument is an attribute name: `(positional index or -1, keyword)`. */
const ATTRIBUTE_FILTERS: Readonly<Record<string, ReadonlyArray<[number, string]>>> = {
  attr: [[0, 'name']],
  map: [[-1, 'attribute']],
  selectattr: [[0, 'attribute']],
  rejectattr: [[0, 'attribute']],
  sort: [[-1, 'attribute']],
  groupby: [[0, 'attribute']],
  sum: [[-1, 'attribute']],
  unique: [[-1, 'attribute']],
  min: [[-1, 'attribute']],
  max: [[-1, 'attribute']],
};

// ── 3. The evaluator ─────────────────────────────────────────────────────────────────────────────────────────

// The AST of @huggingface/jinja, as plain objects (its classes are not part of its public types).
interface Node {
  type: string;
  [key: string]: unknown;
}

type Binding = { kind: 'value'; expr: Node } | { kind: 'element'; expr: Node; index?: number } | { kind: 'const'; value: V };

class Judge {
  readonly hits = new Map<string, SstiHit>();
  private readonly bindings = new Map<string, Binding[]>();
  private readonly memo = new Map<string, V[]>();
  private readonly inProgress = new Set<string>();
  private readonly macros = new Map<string, Node>();
  private evaluations = 0;

  hit(token: string, how: SstiHit['how']): void {
    const key = `${how}:${token}`;
    if (!this.hits.has(key)) this.hits.set(key, { token: token.slice(0, 200), how });
  }

  /** An attribute name reached (dot, attr filter, map attribute, format field). */
  judgeAttribute(name: string, how: SstiHit['how']): void {
    for (const part of name.split('.')) {
      if (part.startsWith('_') || UNSAFE_ATTRIBUTES.has(part)) this.hit(part, how);
    }
  }

  /** A subscript key reached (Jinja2's getitem falls back to getattr for a missing key). */
  judgeItem(name: string): void {
    if (name.startsWith('__') || UNSAFE_ATTRIBUTES.has(name)) this.hit(name, 'item');
  }

  bind(name: string, binding: Binding): void {
    const list = this.bindings.get(name) ?? [];
    list.push(binding);
    this.bindings.set(name, list);
  }

  // ── pass 1: bindings (set, for, namespace(), macro parameters) ──

  collect(node: unknown): void {
    if (Array.isArray(node)) {
      for (const n of node) this.collect(n);
      return;
    }
    if (!isNode(node)) return;
    switch (node.type) {
      case 'Set': {
        const assignee = node.assignee as Node;
        const value = node.value as Node | null;
        if (value) this.bindTarget(assignee, { kind: 'value', expr: value });
        else this.bindTarget(assignee, { kind: 'const', value: BUILT }); // {% set x %}...{% endset %}
        if (value && assignee.type === 'Identifier' && isCall(value, 'namespace')) {
          for (const arg of value.args as Node[]) {
            if (arg.type === 'KeywordArgumentExpression')
              this.bind(`${(assignee as Node).value}.${(arg.key as Node).value}`, { kind: 'value', expr: arg.value as Node });
          }
        }
        break;
      }
      case 'For':
        this.bindLoop(node.loopvar as Node, node.iterable as Node);
        break;
      case 'Macro': {
        const name = (node.name as Node).value as string;
        this.macros.set(name, node);
        for (const arg of node.args as Node[]) {
          if (arg.type === 'Identifier') this.bind(arg.value as string, { kind: 'const', value: UNKNOWN });
          else if (arg.type === 'KeywordArgumentExpression')
            this.bind((arg.key as Node).value as string, { kind: 'value', expr: arg.value as Node });
        }
        break;
      }
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value) || isNode(value)) this.collect(value);
      else if (value instanceof Map) for (const [k, v] of value) this.collect([k, v]);
    }
  }

  /** Binds macro parameters from every call site (after pass 1 knows the macros). */
  collectCalls(node: unknown): void {
    if (Array.isArray(node)) {
      for (const n of node) this.collectCalls(n);
      return;
    }
    if (!isNode(node)) return;
    if (node.type === 'CallExpression' && (node.callee as Node).type === 'Identifier') {
      const macro = this.macros.get((node.callee as Node).value as string);
      if (macro) {
        const params = (macro.args as Node[]).map((p) =>
          p.type === 'Identifier' ? (p.value as string) : ((p.key as Node).value as string),
        );
        let index = 0;
        for (const arg of node.args as Node[]) {
          if (arg.type === 'KeywordArgumentExpression')
            this.bind((arg.key as Node).value as string, { kind: 'value', expr: arg.value as Node });
          else if (arg.type === 'SpreadExpression')
            for (const p of params) this.bind(p, { kind: 'element', expr: arg.argument as Node });
          else {
            const p = params[index++];
            if (p !== undefined) this.bind(p, { kind: 'value', expr: arg });
          }
        }
      }
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value) || isNode(value)) this.collectCalls(value);
      else if (value instanceof Map) for (const [k, v] of value) this.collectCalls([k, v]);
    }
  }

  private bindTarget(target: Node, binding: Binding): void {
    if (target.type === 'Identifier') this.bind(target.value as string, binding);
    else if (target.type === 'MemberExpression' && !target.computed) {
      const path = pathOf(target);
      if (path) this.bind(path, binding);
    } else if (target.type === 'TupleLiteral' || target.type === 'ArrayLiteral') {
      (target.value as Node[]).forEach((t, index) => {
        if (binding.kind === 'value') this.bindTarget(t, { kind: 'element', expr: binding.expr, index });
        else this.bindTarget(t, binding);
      });
    }
  }

  private bindLoop(loopvar: Node, iterable: Node): void {
    const source = iterable.type === 'SelectExpression' ? (iterable.lhs as Node) : iterable;
    if (loopvar.type === 'Identifier') this.bind(loopvar.value as string, { kind: 'element', expr: source });
    else if (loopvar.type === 'TupleLiteral')
      (loopvar.value as Node[]).forEach((t, index) => {
        if (t.type === 'Identifier') this.bind(t.value as string, { kind: 'element', expr: source, index });
      });
  }

  // ── pass 2: evaluation (every expression evaluated once in place; variables lazily) ──

  private lookup(name: string): V[] | undefined {
    const bindings = this.bindings.get(name);
    if (!bindings) return undefined;
    const cached = this.memo.get(name);
    if (cached) return cached;
    // A value built from itself (`set ns.s = ns.s ~ c`, `set messages = messages[1:]`): its value before the
    // template sets it is the caller's (unknown); what the binding adds to it is folded on top of that.
    if (this.inProgress.has(name)) return [UNKNOWN];
    this.inProgress.add(name);
    const values: V[][] = [];
    for (const b of bindings) {
      if (b.kind === 'const') values.push([b.value]);
      else if (b.kind === 'value') values.push(this.eval(b.expr));
      else {
        const elements = this.eval(b.expr).flatMap(elementsOf);
        values.push(b.index === undefined ? elements : elements.flatMap((e) => itemAt(e, b.index as number)));
      }
    }
    this.inProgress.delete(name);
    const result = union(...values);
    this.memo.set(name, result);
    return result;
  }

  run(program: Node): void {
    this.collect(program);
    this.collectCalls(program);
    this.walk(program);
  }

  /** Evaluates every expression of every statement (checks fire during evaluation). */
  private walk(node: unknown): void {
    if (Array.isArray(node)) {
      for (const n of node) this.walk(n);
      return;
    }
    if (!isNode(node)) return;
    switch (node.type) {
      case 'Program':
        this.walk(node.body);
        return;
      case 'If':
        this.eval(node.test as Node);
        this.walk(node.body);
        this.walk(node.alternate);
        return;
      case 'For':
        this.eval(node.iterable as Node);
        this.walk(node.body);
        this.walk(node.defaultBlock);
        return;
      case 'Set':
        if (node.value) this.eval(node.value as Node);
        this.evalTarget(node.assignee as Node);
        this.walk(node.body);
        return;
      case 'Macro':
        for (const arg of node.args as Node[]) if (arg.type === 'KeywordArgumentExpression') this.eval(arg.value as Node);
        this.walk(node.body);
        return;
      case 'CallStatement':
        this.eval(node.call as Node);
        for (const arg of (node.callerArgs as Node[] | null) ?? [])
          if (arg.type === 'KeywordArgumentExpression') this.eval(arg.value as Node);
        this.walk(node.body);
        return;
      case 'FilterStatement':
        this.applyFilter([BUILT], node.filter as Node);
        this.walk(node.body);
        return;
      case 'Comment':
      case 'Break':
      case 'Continue':
        return;
      default:
        this.eval(node);
    }
  }

  /** A `set` target: `ns.attr` is an attribute access too (judged), `x` is not. */
  private evalTarget(target: Node): void {
    if (target.type === 'MemberExpression') {
      this.eval(target.object as Node);
      if (!target.computed) this.judgeAttribute(String((target.property as Node).value), 'attribute');
    } else if (target.type === 'TupleLiteral' || target.type === 'ArrayLiteral') {
      for (const t of target.value as Node[]) this.evalTarget(t);
    }
  }

  eval(node: Node): V[] {
    if (++this.evaluations > MAX_EVALUATIONS) throw new TemplateTooComplex('more expressions than MAX_EVALUATIONS');
    switch (node.type) {
      case 'StringLiteral':
        return [str(node.value as string)];
      case 'IntegerLiteral':
      case 'FloatLiteral':
      case 'NumericLiteral':
        return [num(Number(node.value))];
      case 'ArrayLiteral':
      case 'TupleLiteral': {
        const items = (node.value as Node[]).map((e) => single(this.eval(e)));
        return [items.length > MAX_FOLDED_ITEMS ? (opaque(items)[0] as V) : { k: 'list', items }];
      }
      case 'ObjectLiteral': {
        const entries: Array<[string, V]> = [];
        let exact = true;
        for (const [k, v] of node.value as Map<Node, Node>) {
          const keys = this.eval(k);
          const value = single(this.eval(v));
          const key = keys.length === 1 ? pyStr(keys[0] as V) : undefined;
          if (key === undefined) exact = false;
          else entries.push([key, value]);
        }
        return exact ? [{ k: 'dict', entries }] : opaque(entries.map(([, v]) => v));
      }
      case 'Identifier': {
        const name = node.value as string;
        const literal = LITERAL_NAMES.get(name);
        if (literal) return [literal];
        if (name.startsWith('__')) this.hit(name, 'identifier');
        const bound = this.lookup(name);
        if (bound) return bound;
        // The model's own special tokens (tokenizer_config.json / GGUF vocab: the attacker's strings) and the
        // text of Jinja's objects and helpers (`<function generate_lorem_ipsum ...>`) may hold any character.
        if (SPECIAL_TOKENS.has(name) || JINJA_GLOBALS.has(name) || TEMPLATE_HELPERS.has(name)) return [BUILT];
        return [UNKNOWN]; // data of the caller: messages, tools, add_generation_prompt...
      }
      case 'MemberExpression':
        return this.member(node);
      case 'CallExpression':
        return this.call(node);
      case 'FilterExpression':
        return this.applyFilter(this.eval(node.operand as Node), node.filter as Node);
      case 'BinaryExpression':
        return this.binary(node);
      case 'UnaryExpression': {
        const v = this.eval(node.argument as Node);
        const op = (node.operator as { value: string }).value;
        if (op === '-') return v.map((x) => (x.k === 'num' ? num(-x.v) : (opaque([x])[0] as V)));
        return [{ k: 'bool' }];
      }
      case 'Ternary':
        this.eval(node.condition as Node);
        return union(this.eval(node.trueExpr as Node), this.eval(node.falseExpr as Node));
      case 'SelectExpression':
        this.eval(node.test as Node);
        return union(this.eval(node.lhs as Node), [{ k: 'none' }]);
      case 'TestExpression':
        this.eval(node.operand as Node);
        return [{ k: 'bool' }];
      case 'KeywordArgumentExpression':
        return this.eval(node.value as Node);
      case 'SpreadExpression':
      case 'KeywordSpreadExpression':
        return this.eval(node.argument as Node);
      case 'SliceExpression':
        for (const part of [node.start, node.stop, node.step]) if (isNode(part)) this.eval(part);
        return [UNKNOWN];
      default: {
        // A node kind this judge does not model: every expression inside it is still evaluated (and judged).
        const inner: V[][] = [];
        for (const value of Object.values(node)) {
          if (isNode(value)) inner.push(this.eval(value));
          else if (Array.isArray(value)) for (const v of value) if (isNode(v)) inner.push(this.eval(v));
        }
        return opaque(...inner);
      }
    }
  }

  private member(node: Node): V[] {
    const objectNode = node.object as Node;
    const objects = this.eval(objectNode);
    if (!node.computed) {
      const name = String((node.property as Node).value);
      this.judgeAttribute(name, 'attribute');
      if (
        objectNode.type === 'Identifier' &&
        JINJA_GLOBALS.has(objectNode.value as string) &&
        !this.bindings.has(objectNode.value as string)
      )
        this.hit(`${objectNode.value}.${name}`, 'jinja-global');
      if (objectNode.type === 'Identifier' && objectNode.value === 'loop' && !this.bindings.has('loop')) {
        if (LOOP_NUMBERS.has(name)) return [NUMVAR];
        if (name === 'first' || name === 'last' || name === 'changed') return [{ k: 'bool' }];
        if (name === 'cycle') return [{ k: 'method', recv: UNKNOWN, name: 'cycle' }];
        return [UNKNOWN]; // previtem, nextitem: the caller's items
      }
      const path = pathOf(node);
      const bound = path ? this.lookup(path) : undefined;
      const found = objects.flatMap((o) => attributeOf(o, name));
      return bound ? union(bound, found) : cap(found);
    }
    const property = node.property as Node;
    if (property.type === 'SliceExpression') {
      const bounds = [property.start, property.stop, property.step].map((p) => (isNode(p) ? single(this.eval(p)) : undefined));
      return cap(objects.map((o) => slice(o, bounds)));
    }
    const keys = this.eval(property);
    for (const key of keys) {
      if (key.k === 'str') this.judgeItem(key.v);
      else if (key.k === 'built' && mayHold(key, '_')) this.hit(`[${describe(property)}]`, 'computed-name');
    }
    return cap(objects.flatMap((o) => keys.flatMap((key) => itemOf(o, key))));
  }

  private call(node: Node): V[] {
    const calleeNode = node.callee as Node;
    const args = (node.args as Node[]).map((a) => ({ node: a, values: this.eval(a) }));
    const callees = this.eval(calleeNode);
    const positional = args.filter((a) => a.node.type !== 'KeywordArgumentExpression');
    if (calleeNode.type === 'Identifier' && !this.bindings.has(calleeNode.value as string)) {
      const name = calleeNode.value as string;
      if (name === 'dict') {
        const entries: Array<[string, V]> = args
          .filter((a) => a.node.type === 'KeywordArgumentExpression')
          .map((a) => [String(((a.node as Node).key as Node).value), single(a.values)]);
        return [{ k: 'dict', entries }];
      }
      if (this.macros.has(name)) return opaque(...args.map((a) => a.values));
      if (name === 'range') return [{ k: 'list', items: [NUMVAR] }];
      if (name === 'cycler') return [{ k: 'method', recv: UNKNOWN, name: 'cycler' }];
      if (JINJA_GLOBALS.has(name) || TEMPLATE_HELPERS.has(name)) return opaque(...args.map((a) => a.values));
    }
    // A constant naming a Python internal handed to any function (`getattr(x, '__class__')` where the renderer
    // exposes one): only introspection passes such names around.
    for (const a of args) for (const v of a.values) if (v.k === 'str' && v.v.length < 64) this.judgeItem(v.v);
    const out: V[] = [];
    for (const callee of callees) {
      if (callee.k !== 'method') {
        out.push(...opaque(...args.map((a) => a.values)));
        continue;
      }
      if (callee.name === 'cycle' && callee.recv.k === 'unknown') {
        out.push(...union(...positional.map((a) => a.values)));
        continue;
      }
      if (callee.name === 'format' || callee.name === 'format_map') {
        this.judgeFormatReceiver(callee.recv, calleeNode);
        out.push(BUILT);
        continue;
      }
      out.push(
        ...strMethod(
          callee.recv,
          callee.name,
          positional.map((a) => single(a.values)),
        ),
      );
    }
    return cap(out);
  }

  /** `'{0.__class__}'.format(x)`: str.format looks up attributes and items named in its fields. */
  private judgeFormatReceiver(recv: V, where: Node): void {
    if (recv.k === 'built') {
      if (mayHold(recv, '{')) this.hit(`${describe(where)} on a computed string`, 'computed-name');
      return;
    }
    if (recv.k !== 'str') return;
    const text = recv.v;
    for (let i = 0; i < text.length; i++) {
      if (text[i] !== '{') continue;
      if (text[i + 1] === '{') {
        i++;
        continue;
      }
      const close = text.indexOf('}', i);
      if (close < 0) break;
      const field = (text.slice(i + 1, close).split(/[!:]/)[0] ?? '').trim();
      let j = 0;
      while (j < field.length) {
        const c = field[j];
        if (c === '.') {
          let k = j + 1;
          while (k < field.length && field[k] !== '.' && field[k] !== '[') k++;
          this.judgeAttribute(field.slice(j + 1, k), 'format-field');
          j = k;
        } else if (c === '[') {
          const end = field.indexOf(']', j);
          const key = field.slice(j + 1, end < 0 ? field.length : end);
          this.judgeItem(key);
          if (key.startsWith('_')) this.hit(key, 'format-field');
          j = end < 0 ? field.length : end + 1;
        } else j++;
      }
      i = close;
    }
  }

  private binary(node: Node): V[] {
    const op = (node.operator as { value: string }).value;
    const left = this.eval(node.left as Node);
    const right = this.eval(node.right as Node);
    if (op === 'and' || op === 'or') return union(left, right); // Python returns one of the operands
    if (!['~', '+', '*', '%', '-', '/', '//', '**'].includes(op)) return [{ k: 'bool' }];
    if (op === '-' || op === '/' || op === '//' || op === '**') {
      // Only numbers support these: the result is a number (folded when both sides are constants).
      if (!left.every((l) => l.k === 'num') || !right.every((r) => r.k === 'num')) return [NUMVAR];
    }
    const out: V[] = [];
    for (const l of left) {
      for (const r of right) {
        out.push(binaryOp(op, l, r));
        if (out.length > MAX_VALUES) return cap(out);
      }
    }
    return cap(out);
  }

  private applyFilter(operand: V[], filter: Node): V[] {
    let name: string;
    let args: Node[] = [];
    if (filter.type === 'Identifier') name = filter.value as string;
    else if (filter.type === 'CallExpression' && (filter.callee as Node).type === 'Identifier') {
      name = (filter.callee as Node).value as string;
      args = filter.args as Node[];
    } else {
      this.eval(filter);
      this.hit(describe(filter), 'computed-name');
      return [BUILT];
    }
    const evaluated = args.map((a) => ({ node: a, values: this.eval(a) }));
    const positional = evaluated.filter((a) => a.node.type !== 'KeywordArgumentExpression');
    const keyword = (key: string) =>
      evaluated.find((a) => a.node.type === 'KeywordArgumentExpression' && ((a.node as Node).key as Node).value === key);
    // Attribute names given to filters.
    for (const [index, key] of ATTRIBUTE_FILTERS[name] ?? []) {
      const arg = keyword(key) ?? (index >= 0 ? positional[index] : undefined);
      if (arg) this.judgeNameArgument(arg.values, name === 'attr' ? 'attr-filter' : 'attribute', arg.node);
    }
    if (name === 'map' && positional[0]) {
      // map('attr', name) / map(filtername): the filter is named by a string.
      const filterNames = positional[0].values;
      for (const f of filterNames) {
        if (f.k !== 'str') this.hit(`map(${describe(positional[0].node)})`, 'computed-name');
        else if (f.v === 'attr' && positional[1]) this.judgeNameArgument(positional[1].values, 'attr-filter', positional[1].node);
      }
    }
    if (name === 'attr') {
      const names = positional[0]?.values ?? keyword('name')?.values ?? [];
      return cap(operand.flatMap((o) => names.flatMap((n) => (n.k === 'str' ? attributeOf(o, n.v) : opaque([o])))));
    }
    const args1 = positional.map((a) => single(a.values));
    return cap(operand.flatMap((o) => foldFilter(name, o, args1, keyword('attribute') !== undefined)));
  }

  private judgeNameArgument(values: V[], how: SstiHit['how'], node: Node): void {
    for (const v of values) {
      if (v.k === 'str') this.judgeAttribute(v.v, how);
      else if (v.k !== 'num') this.hit(`${describe(node)} (a computed attribute name)`, 'computed-name');
    }
  }
}

class TemplateTooComplex extends Error {}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string' && !(value instanceof Map);
}

function isCall(node: Node, name: string): boolean {
  return node.type === 'CallExpression' && (node.callee as Node).type === 'Identifier' && (node.callee as Node).value === name;
}

/** `ns.attr` (a dotted path of identifiers), the key namespace attributes are bound under. */
function pathOf(node: Node): string | undefined {
  if (node.type === 'Identifier') return node.value as string;
  if (node.type === 'MemberExpression' && !node.computed) {
    const base = pathOf(node.object as Node);
    return base === undefined ? undefined : `${base}.${(node.property as Node).value}`;
  }
  return undefined;
}

function describe(node: Node): string {
  if (node.type === 'Identifier') return String(node.value);
  if (node.type === 'StringLiteral') return JSON.stringify(node.value);
  const path = pathOf(node);
  return path ?? node.type;
}

function single(values: V[]): V {
  if (values.length === 1) return values[0] as V;
  return opaque(values)[0] as V;
}

function elementsOf(v: V): V[] {
  if (v.k === 'list') return v.items.length > 0 ? v.items : [];
  if (v.k === 'dict') return v.entries.map(([k]) => str(k));
  if (v.k === 'str') return [...v.v].slice(0, MAX_FOLDED_ITEMS).map(str);
  return opaque([v]);
}

function itemAt(v: V, index: number): V[] {
  if (v.k === 'list') return [v.items[index] ?? UNKNOWN];
  if (v.k === 'str') return [...v.v][index] !== undefined ? [str([...v.v][index] as string)] : [UNKNOWN];
  return opaque([v]);
}

function attributeOf(o: V, name: string): V[] {
  if (o.k === 'dict') {
    const hit = o.entries.find(([k]) => k === name);
    if (hit) return [hit[1]];
    if (['items', 'keys', 'values', 'get'].includes(name)) return [{ k: 'method', recv: o, name }];
    return [UNKNOWN];
  }
  if (o.k === 'str' || o.k === 'built') return [{ k: 'method', recv: o, name }];
  if (o.k === 'unknown') return [{ k: 'method', recv: o, name }];
  return opaque([o]);
}

function itemOf(o: V, key: V): V[] {
  if (o.k === 'unknown') return [UNKNOWN]; // an item of the caller's data is the caller's data
  if (o.k === 'dict' && key.k === 'str') return [o.entries.find(([k]) => k === key.v)?.[1] ?? UNKNOWN];
  if ((o.k === 'list' || o.k === 'str') && key.k === 'num' && Number.isInteger(key.v)) {
    const items = o.k === 'list' ? o.items : [...o.v].map(str);
    const i = key.v < 0 ? items.length + key.v : key.v;
    return [items[i] ?? UNKNOWN];
  }
  return opaque([o], [key]);
}

function slice(o: V, bounds: Array<V | undefined>): V {
  const ints = bounds.map((b) => (b === undefined ? undefined : b.k === 'num' && Number.isInteger(b.v) ? b.v : Number.NaN));
  if (ints.some((n) => Number.isNaN(n)) || (o.k !== 'str' && o.k !== 'list')) return single(opaque([o]));
  const items: V[] = o.k === 'list' ? o.items : [...o.v].map(str);
  const step = ints[2] ?? 1;
  if (step === 0) return UNKNOWN;
  const len = items.length;
  const norm = (n: number | undefined, dflt: number) => {
    if (n === undefined) return dflt;
    const m = n < 0 ? n + len : n;
    return step > 0 ? Math.min(Math.max(m, 0), len) : Math.min(Math.max(m, -1), len - 1);
  };
  const start = norm(ints[0], step > 0 ? 0 : len - 1);
  const stop = norm(ints[1], step > 0 ? len : -1);
  const picked: V[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) picked.push(items[i] as V);
  if (o.k === 'list') return { k: 'list', items: picked };
  return str(picked.map((p) => (p as { v: string }).v).join(''));
}

function binaryOp(op: string, l: V, r: V): V {
  if (op === '~') {
    const a = pyStr(l);
    const b = pyStr(r);
    return a !== undefined && b !== undefined ? str(a + b) : (opaque([l], [r])[0] as V);
  }
  if ((l.k === 'numvar' || r.k === 'numvar') && (l.k === 'num' || l.k === 'numvar') && (r.k === 'num' || r.k === 'numvar'))
    return op === '~' ? (opaque([l], [r])[0] as V) : NUMVAR;
  if (op !== '~' && ((l.k === 'unknown' && (r.k === 'num' || r.k === 'numvar')) || (r.k === 'unknown' && l.k === 'numvar')))
    return op === '*' ? UNKNOWN : NUMVAR; // caller data in arithmetic (or a caller string repeated)
  if (l.k === 'num' && r.k === 'num') {
    const n = {
      '+': l.v + r.v,
      '-': l.v - r.v,
      '*': l.v * r.v,
      '/': l.v / r.v,
      '//': Math.floor(l.v / r.v),
      '%': l.v % r.v,
      '**': l.v ** r.v,
    }[op];
    return n === undefined || !Number.isFinite(n) ? UNKNOWN : num(n);
  }
  if (op === '+' && l.k === 'str' && r.k === 'str') return str(l.v + r.v);
  if (op === '+' && l.k === 'list' && r.k === 'list')
    return { k: 'list', items: [...l.items, ...r.items].slice(0, MAX_FOLDED_ITEMS) };
  if (op === '*' && ((l.k === 'str' && r.k === 'num') || (l.k === 'num' && r.k === 'str'))) {
    const s = (l.k === 'str' ? l.v : (r as { v: string }).v) as string;
    const n = (l.k === 'num' ? l.v : (r as { v: number }).v) as number;
    return Number.isInteger(n) && n >= 0 && s.length * n <= MAX_FOLDED_CHARS ? str(s.repeat(n)) : (opaque([str(s)])[0] as V);
  }
  if (op === '%' && l.k === 'str') {
    const args = r.k === 'list' ? r.items : [r];
    const s = percentFormat(l.v, args);
    return s === undefined ? BUILT : str(s);
  }
  return opaque([l], [r])[0] as V;
}

/** str methods whose result holds only characters of the receiver. */
const RECEIVER_ONLY_METHODS = new Set([
  'split',
  'rsplit',
  'splitlines',
  'partition',
  'rpartition',
  'strip',
  'lstrip',
  'rstrip',
  'lower',
  'upper',
  'title',
  'capitalize',
  'swapcase',
  'casefold',
  'removeprefix',
  'removesuffix',
]);

/** Python str methods on a constant receiver (those that can turn constants into a name). */
function strMethod(recv: V, name: string, args: V[]): V[] {
  if (recv.k === 'dict') {
    if (name === 'items') return [{ k: 'list', items: recv.entries.map(([k, v]) => ({ k: 'list', items: [str(k), v] })) }];
    if (name === 'keys') return [{ k: 'list', items: recv.entries.map(([k]) => str(k)) }];
    if (name === 'values') return [{ k: 'list', items: recv.entries.map(([, v]) => v) }];
    if (name === 'get' && args[0]?.k === 'str') {
      const key = args[0].v;
      return [recv.entries.find(([k]) => k === key)?.[1] ?? args[1] ?? { k: 'none' }];
    }
  }
  if (recv.k === 'unknown' && RECEIVER_ONLY_METHODS.has(name)) return [UNKNOWN]; // pieces of the caller's string
  if (recv.k !== 'str')
    return opaque(
      [recv],
      args.flatMap((a) => [a]),
    );
  const s = recv.v;
  chargeFold(s.length);
  const a0 = args[0]?.k === 'str' ? args[0].v : undefined;
  const a1 = args[1]?.k === 'str' ? args[1].v : undefined;
  switch (name) {
    case 'upper':
      return [str(s.toUpperCase())];
    case 'lower':
    case 'casefold':
      return [str(s.toLowerCase())];
    case 'title':
      return [str(s.replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))];
    case 'capitalize':
      return [str(s.charAt(0).toUpperCase() + s.slice(1).toLowerCase())];
    case 'swapcase':
      return [str([...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''))];
    case 'strip':
    case 'lstrip':
    case 'rstrip': {
      if (args.length > 0 && a0 === undefined) return opaque([recv], args);
      const chars = a0 ?? ' \t\n\r\x0b\x0c';
      let b = 0;
      let e = s.length;
      if (name !== 'rstrip') while (b < e && chars.includes(s[b] as string)) b++;
      if (name !== 'lstrip') while (e > b && chars.includes(s[e - 1] as string)) e--;
      return [str(s.slice(b, e))];
    }
    case 'replace':
      return a0 !== undefined && a1 !== undefined ? [str(s.split(a0).join(a1))] : opaque([recv], args);
    case 'split':
      if (args.length === 0) return [{ k: 'list', items: s.split(/\s+/).filter(Boolean).slice(0, MAX_FOLDED_ITEMS).map(str) }];
      return a0 ? [{ k: 'list', items: s.split(a0).slice(0, MAX_FOLDED_ITEMS).map(str) }] : opaque([recv], args);
    case 'join': {
      const items = args[0]?.k === 'list' ? args[0].items.map(pyStr) : undefined;
      return items?.every((x) => x !== undefined) ? [str(items.join(s))] : opaque([recv], args);
    }
    case 'startswith':
    case 'endswith':
    case 'isdigit':
    case 'isalpha':
      return [{ k: 'bool' }];
    case 'find':
    case 'index':
    case 'rfind':
    case 'count':
      return [NUMVAR];
    default:
      return opaque([recv], args);
  }
}

/** Characters `tojson` adds around and inside what it serialises (quotes, escapes, brackets, separators). */
const TOJSON_CHARS = '"\\u0123456789abcdef{}[],: \n';

/** Jinja filters folded on constants. */
function foldFilter(name: string, o: V, args: V[], byAttribute: boolean): V[] {
  const s = o.k === 'str' ? o.v : undefined;
  chargeFold(s?.length ?? 0);
  switch (name) {
    case 'lower':
    case 'upper':
    case 'capitalize':
    case 'title':
      return s === undefined ? opaque([o]) : strMethod(o, name, []);
    case 'trim':
      return s === undefined ? opaque([o]) : strMethod(o, 'strip', args);
    case 'replace':
      return s === undefined ? opaque([o], args) : strMethod(o, 'replace', args);
    case 'string':
    case 'safe':
    case 'e':
    case 'escape':
    case 'forceescape': {
      const t = pyStr(o);
      if (t === undefined) return opaque([o]);
      return name === 'string' || name === 'safe'
        ? [str(t)]
        : [
            str(
              t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
            ),
          ];
    }
    case 'reverse':
      if (s !== undefined) return [str([...s].reverse().join(''))];
      if (o.k === 'list') return [{ k: 'list', items: [...o.items].reverse() }];
      return opaque([o]);
    case 'list':
      if (o.k === 'list') return [o];
      if (o.k === 'str' || o.k === 'dict') return [{ k: 'list', items: elementsOf(o) }];
      return opaque([o]);
    case 'first':
    case 'last': {
      if (o.k !== 'list' && o.k !== 'str' && o.k !== 'dict') return opaque([o]);
      const items = elementsOf(o);
      const v = name === 'first' ? items[0] : items[items.length - 1];
      return [v ?? UNKNOWN];
    }
    case 'join': {
      if (byAttribute || o.k !== 'list') return opaque([o], args);
      const sep = args[0] === undefined ? '' : pyStr(args[0]);
      const items = o.items.map(pyStr);
      return sep !== undefined && items.every((x) => x !== undefined) ? [str(items.join(sep))] : opaque([o], args);
    }
    case 'format':
      if (s === undefined) return opaque([o], args);
      return [((v) => (v === undefined ? BUILT : str(v)))(percentFormat(s, args))];
    case 'items':
      return o.k === 'dict' ? strMethod(o, 'items', []) : opaque([o]);
    case 'default':
    case 'd':
      return union([o], args.length > 0 ? [args[0] as V] : []);
    case 'length':
    case 'count':
    case 'int':
    case 'float':
    case 'abs':
    case 'round':
    case 'wordcount':
      return [o.k === 'num' && name !== 'length' && name !== 'count' ? o : NUMVAR];
    case 'tojson':
      return opaque([o], [str(TOJSON_CHARS)]);
    case 'select':
    case 'reject':
    case 'selectattr':
    case 'rejectattr':
    case 'unique':
    case 'sort':
    case 'batch':
    case 'slice':
    case 'dictsort':
      // Filtering and reordering filters return (groups of) the operand's own elements.
      return o.k === 'unknown' ? [UNKNOWN] : o.k === 'list' ? [o] : opaque([o]);
    case 'random':
    case 'min':
    case 'max':
      return o.k === 'list' && !byAttribute ? o.items.slice(0, MAX_VALUES) : o.k === 'unknown' ? [UNKNOWN] : opaque([o]);
    default:
      return opaque(
        [o],
        args.flatMap((a) => [a]),
      );
  }
}

/**
 * Judges a Jinja template. `{ ok: false }` when it cannot be parsed (or decoded as Jinja2 decodes its strings):
 * the caller reports it as not inspected.
 */
export function judgeTemplate(template: string): TemplateVerdict {
  if (template.length > MAX_TEMPLATE_CHARS)
    return { ok: false, reason: `longer than MAX_TEMPLATE_CHARS (${MAX_TEMPLATE_CHARS})` };
  let program: Node;
  try {
    program = jinja().parse(jinja().tokenize(normaliseStringLiterals(template))) as unknown as Node;
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const judge = new Judge();
  foldWork = 0;
  try {
    judge.run(program);
  } catch (error) {
    if (error instanceof TemplateTooComplex) return { ok: false, reason: error.message };
    if (error instanceof RangeError) return { ok: false, reason: 'template nested too deeply to judge' };
    throw error;
  }
  const hits = [...judge.hits.values()].sort((a, b) =>
    a.token < b.token ? -1 : a.token > b.token ? 1 : a.how < b.how ? -1 : a.how > b.how ? 1 : 0,
  );
  return { ok: true, hits };
}

/** The SSTI indicators of a template (empty for a benign one; a template that cannot be parsed gives one hit). */
export function findSstiPatterns(template: string): SstiHit[] {
  const verdict = judgeTemplate(template);
  return verdict.ok ? verdict.hits : [{ token: `unparseable template: ${verdict.reason}`, how: 'computed-name' }];
}

/**
 * Whether a string looks like a Jinja template (`{{` or `{%`). Not a reason to judge text as a template: the SSTI
 * check runs on templates only (chat_template fields, `.jinja` files, GGUF template keys). Kept for callers that
 * still use it.
 */
export function looksLikeJinja(value: string): boolean {
  return value.includes('{{') || value.includes('{%');
}
