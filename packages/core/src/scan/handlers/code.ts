/**
 * Executable code shipped in a model repository: Python sources (custom `modeling_*.py` run by
 * `trust_remote_code=True`, any `.py`), Jupyter notebooks (their code cells) and shell scripts.
 *
 * Where the line is, and why:
 * - MS-CODE-001 (low) on every such file, by presence: loading the model with `trust_remote_code=True` (or running
 *   the script or notebook) runs it with the user's rights; the user must review it.
 * - MS-CODE-002 (high) when the code does what model code has no need to: spawning processes (`subprocess`,
 *   `os.system`, `os.exec*`/`spawn*`, `pty.spawn`), opening raw sockets, HTTP/FTP/SMTP at import time (when the
 *   module is imported by `from_pretrained`, before any model code is called), executing decoded data
 *   (`exec`/`eval`/`compile` of `base64`/`zlib`/`marshal`/`bytes.fromhex`... output, `marshal.loads`,
 *   `types.CodeType`/`FunctionType`), writing or deleting files outside the repository (absolute or `~` paths other
 *   than /tmp and /dev/null), and looking up functions of `os`/`subprocess` by a computed name. A constant string
 *   handed to exec/eval is itself parsed and judged as Python.
 * - MS-CODE-003 (medium) for what is unusual but has legitimate uses: exec/eval/compile of computed (not decoded)
 *   strings, and loading native libraries with ctypes.
 * Downloading inside functions (an image processor fetching a URL) is ordinary and stays at MS-CODE-001.
 *
 * Python is read with @lezer/python (a real parser): strings, comments and docstrings are never code, so a
 * comment naming `subprocess` or a docstring naming `__globals__` is nothing. Shell is read by a small lexer of
 * POSIX sh words, quotes, comments and operators, and judged per pipeline.
 */

import { createRequire } from 'node:module';
import type { SyntaxNode } from '@lezer/common';
import { checkExecutable, type ExecutableFormat } from '../../formats/structures/executables.js';
import { decodeText, isTextSource } from '../../formats/structures/text.js';
import { Window } from '../../formats/structures/window.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FindingLocation, FormatHandler, HandlerResult, ScanContext } from '../types.js';

/** Largest source parsed (real modeling files are tens to a few hundred KB). Larger code is not judged: incomplete. */
export const MAX_CODE_BYTES = 8 * 1024 * 1024;
/** Nesting of constant strings handed to exec/eval that are themselves parsed as Python. */
const MAX_EXEC_LITERAL_DEPTH = 4;
/** Capability hits kept per kind in a finding's evidence. */
const MAX_EVIDENCE_SITES = 20;

const PROCESS_FUNCTIONS = new Set([
  'subprocess.run',
  'subprocess.call',
  'subprocess.check_call',
  'subprocess.check_output',
  'subprocess.Popen',
  'subprocess.getoutput',
  'subprocess.getstatusoutput',
  'os.system',
  'os.popen',
  'os.popen2',
  'os.popen3',
  'os.popen4',
  'os.execl',
  'os.execle',
  'os.execlp',
  'os.execlpe',
  'os.execv',
  'os.execve',
  'os.execvp',
  'os.execvpe',
  'os.spawnl',
  'os.spawnle',
  'os.spawnlp',
  'os.spawnlpe',
  'os.spawnv',
  'os.spawnve',
  'os.spawnvp',
  'os.spawnvpe',
  'os.posix_spawn',
  'os.posix_spawnp',
  'os.fork',
  'os.forkpty',
  'os.startfile',
  'pty.spawn',
  'commands.getoutput',
  'commands.getstatusoutput',
  'asyncio.create_subprocess_exec',
  'asyncio.create_subprocess_shell',
  'platform.popen',
]);
const PROCESS_MODULES = new Set(['subprocess', 'os', 'posix', 'nt', 'pty', 'commands']);
const SOCKET_FUNCTIONS = new Set([
  'socket.socket',
  'socket.create_connection',
  'socket.create_server',
  'socket.socketpair',
  'socket.fromfd',
]);
const NETWORK_PREFIXES = ['requests.', 'httpx.', 'aiohttp.', 'urllib3.', 'pycurl.', 'paramiko.'];
const NETWORK_FUNCTIONS = new Set([
  'urllib.request.urlopen',
  'urllib.request.urlretrieve',
  'urllib.request.Request',
  'urllib.request.build_opener',
  'urllib.urlopen',
  'urllib.urlretrieve',
  'urllib2.urlopen',
  'http.client.HTTPConnection',
  'http.client.HTTPSConnection',
  'httplib.HTTPConnection',
  'httplib.HTTPSConnection',
  'ftplib.FTP',
  'ftplib.FTP_TLS',
  'smtplib.SMTP',
  'smtplib.SMTP_SSL',
  'telnetlib.Telnet',
  'xmlrpc.client.ServerProxy',
  'webbrowser.open',
]);
const DYNAMIC_CODE = new Set(['exec', 'eval', 'compile', 'builtins.exec', 'builtins.eval', 'builtins.compile']);
const CODE_OBJECTS = new Set(['marshal.loads', 'marshal.load', 'types.CodeType', 'types.FunctionType']);
const DECODERS = new Set([
  'base64.b64decode',
  'base64.b32decode',
  'base64.b16decode',
  'base64.b85decode',
  'base64.a85decode',
  'base64.decodebytes',
  'base64.decodestring',
  'base64.urlsafe_b64decode',
  'base64.standard_b64decode',
  'codecs.decode',
  'zlib.decompress',
  'bz2.decompress',
  'lzma.decompress',
  'gzip.decompress',
  'marshal.loads',
  'binascii.unhexlify',
  'binascii.a2b_base64',
  'binascii.a2b_hex',
  'bytes.fromhex',
  'bytearray.fromhex',
  'pickle.loads',
  'dill.loads',
  'cloudpickle.loads',
  'chr',
]);
const NATIVE_LOADERS = new Set([
  'ctypes.CDLL',
  'ctypes.PyDLL',
  'ctypes.WinDLL',
  'ctypes.cdll.LoadLibrary',
  'ctypes.windll.LoadLibrary',
]);
/** Calls that write, move or delete the file named by their first argument. */
const FILE_MUTATORS = new Set([
  'os.remove',
  'os.unlink',
  'os.rmdir',
  'os.removedirs',
  'os.rename',
  'os.replace',
  'os.chmod',
  'os.chown',
  'os.symlink',
  'os.link',
  'os.truncate',
  'shutil.rmtree',
  'shutil.move',
  'shutil.copy',
  'shutil.copy2',
  'shutil.copyfile',
  'shutil.copytree',
]);
const PATH_WRITERS = new Set([
  'write_text',
  'write_bytes',
  'unlink',
  'rmdir',
  'touch',
  'chmod',
  'rename',
  'replace',
  'symlink_to',
]);
const BUILTINS = new Set(['exec', 'eval', 'compile', 'open', '__import__', 'getattr', 'chr', 'bytes', 'bytearray']);

type Capability =
  | 'process'
  | 'socket'
  | 'network-at-import'
  | 'exec-decoded'
  | 'code-object'
  | 'write-outside'
  | 'computed-os-lookup';
type Unusual = 'exec-computed' | 'native-library' | 'process-computed';

const CAPABILITY_TEXT: Record<Capability, string> = {
  process: 'spawns processes',
  socket: 'opens raw sockets',
  'network-at-import': 'connects to the network when the module is imported',
  'exec-decoded': 'executes decoded or deserialised data',
  'code-object': 'builds code objects from bytes',
  'write-outside': 'writes or deletes files outside the repository',
  'computed-os-lookup': 'looks up os/subprocess functions by a computed name',
};
const UNUSUAL_TEXT: Record<Unusual, string> = {
  'process-computed': 'runs processes whose command it computes',
  'exec-computed': 'executes computed strings with exec/eval/compile',
  'native-library': 'loads a native library with ctypes',
};

interface Site {
  line: number;
  what: string;
}

class CodeReport {
  readonly capabilities = new Map<Capability, Site[]>();
  readonly unusual = new Map<Unusual, Site[]>();
  add(kind: Capability, site: Site): void {
    const list = this.capabilities.get(kind) ?? [];
    if (list.length < MAX_EVIDENCE_SITES) list.push(site);
    this.capabilities.set(kind, list);
  }
  note(kind: Unusual, site: Site): void {
    const list = this.unusual.get(kind) ?? [];
    if (list.length < MAX_EVIDENCE_SITES) list.push(site);
    this.unusual.set(kind, list);
  }
}

// ── Python ───────────────────────────────────────────────────────────────────────────────────────────────────

/** The value of a Python string literal (prefixes, triple quotes, escapes; f-strings keep their braces). */
export function pythonStringValue(text: string): { value: string; bytes: boolean } | undefined {
  const m = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(text);
  if (!m) return undefined;
  const prefix = (m[1] ?? '').toLowerCase();
  const quote = m[2] as string;
  if (!text.endsWith(quote) || text.length < prefix.length + 2 * quote.length) return undefined;
  const body = text.slice(prefix.length + quote.length, text.length - quote.length);
  const raw = prefix.includes('r');
  const bytes = prefix.includes('b');
  if (raw) return { value: body, bytes };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] ?? '';
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '\\': '\\',
      "'": "'",
      '"': '"',
      '\n': '',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '0': '\0',
    };
    if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if ((e === 'u' || e === 'U') && !bytes) {
      const n = e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === n) {
        out += String.fromCodePoint(Math.min(Number.parseInt(hex, 16), 0x10ffff));
        i += n;
      } else out += `\\${e}`;
    } else if (Object.hasOwn(simple, e)) out += simple[e];
    else out += `\\${e}`;
  }
  return { value: out, bytes };
}

/** CPython's tokenizer refuses more nested brackets than this (Parser/tokenizer.c MAXLEVEL). */
export const PYTHON_MAX_BRACKET_DEPTH = 200;
/** CPython's tokenizer refuses more indentation levels than this (MAXINDENT). */
export const PYTHON_MAX_INDENT_LEVELS = 100;
/** Parser steps allowed per character of source: a linear bound on the parse of any input (real code needs ~1). */
const PARSE_STEPS_PER_CHAR = 8;

class NotPython extends Error {}

/**
 * A pass of CPython's tokenizer rules over the source (strings with prefixes and triple quotes, comments, bracket
 * depth, indentation levels): a source CPython's tokenizer refuses (more than MAXLEVEL nested brackets, MAXINDENT
 * levels) can never be imported, and is not handed to the parser (whose error recovery on such input is costly).
 */
function checkTokenizerLimits(src: string): void {
  let depth = 0;
  const opened: string[] = [];
  const indents = [0];
  let atLineStart = true;
  for (let i = 0; i < src.length; i++) {
    if (atLineStart && depth === 0) {
      let width = 0;
      while (src[i] === ' ' || src[i] === '\t' || src[i] === '\f') {
        width += src[i] === '\t' ? 8 - (width % 8) : 1;
        i++;
      }
      atLineStart = false;
      const next = src[i];
      if (next !== '\n' && next !== '\r' && next !== '#' && next !== undefined) {
        if (width > (indents[indents.length - 1] as number)) {
          indents.push(width);
          if (indents.length > PYTHON_MAX_INDENT_LEVELS + 1) throw new NotPython('more indentation levels than CPython allows');
        } else while (width < (indents[indents.length - 1] as number)) indents.pop();
      }
      if (i >= src.length) break;
    }
    const c = src[i] as string;
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      atLineStart = true;
    } else if (c === '\n') atLineStart = true;
    else if (c === '\\') i++;
    else if (c === '(' || c === '[' || c === '{') {
      if (++depth > PYTHON_MAX_BRACKET_DEPTH) throw new NotPython('more nested brackets than CPython allows');
      opened.push(c);
    } else if (c === ')' || c === ']' || c === '}') {
      // CPython's tokenizer refuses a closing bracket that does not match the innermost open one.
      if (opened.pop() !== { ')': '(', ']': '[', '}': '{' }[c]) throw new NotPython(`unmatched '${c}'`);
      depth--;
    } else if (c === "'" || c === '"') {
      const triple = src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < src.length && !src.startsWith(quote, j)) {
        if (src[j] === '\\') j++;
        else if (!triple && src[j] === '\n') break; // an unterminated one-line string ends at the line
        j++;
      }
      i = Math.min(j + quote.length, src.length) - 1;
    }
  }
}

/**
 * Largest source given to the parser's error recovery when it is not strictly valid Python (Python 2 files, syntax
 * newer than the grammar): recovery costs up to tens of microseconds per character on hostile input. A larger
 * source that does not parse strictly is not judged (incomplete).
 */
export const MAX_LENIENT_PARSE_CHARS = 32 * 1024;
type LezerPython = typeof import('@lezer/python');
const require = createRequire(import.meta.url);
let lezer: { parser: LezerPython['parser']; strict: LezerPython['parser'] } | undefined;
/** @lezer/python, loaded on the first Python source judged (its CommonJS build). */
function pythonParsers(): { parser: LezerPython['parser']; strict: LezerPython['parser'] } {
  if (!lezer) {
    const { parser } = require('@lezer/python') as LezerPython;
    lezer = { parser, strict: parser.configure({ strict: true }) };
  }
  return lezer;
}

/**
 * Parses Python with @lezer/python: strictly first (valid code parses in linear time; invalid input fails fast),
 * then, for a small source that is not strictly valid, with error recovery within a linear step budget.
 * NotPython when CPython could not tokenize it or it cannot be parsed within those bounds.
 */
function parsePython(src: string): import('@lezer/common').Tree {
  checkTokenizerLimits(src);
  try {
    return pythonParsers().strict.parse(src);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (src.length > MAX_LENIENT_PARSE_CHARS)
    throw new NotPython(`not valid Python to the parser and longer than MAX_LENIENT_PARSE_CHARS (${MAX_LENIENT_PARSE_CHARS})`);
  const parse = pythonParsers().parser.startParse(src);
  const budget = PARSE_STEPS_PER_CHAR * src.length + 10_000;
  for (let steps = 0; ; steps++) {
    const tree = parse.advance();
    if (tree) return tree;
    if (steps > budget) throw new NotPython('the parse did not finish within its linear step budget');
  }
}

function text(src: string, node: SyntaxNode): string {
  return src.slice(node.from, node.to);
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** Whether an absolute or home path names a place outside the repository (temp dirs and /dev/null excepted). */
function outsideRepository(path: string): boolean {
  const p = path.trim();
  if (p.startsWith('~')) return true;
  if (p.startsWith('/')) return !/^\/(tmp|var\/tmp|dev\/null|dev\/shm|dev\/stdout|dev\/stderr)(\/|$)/.test(p);
  if (/^[A-Za-z]:[\\/]/.test(p)) return true;
  return p.split(/[\\/]/).includes('..');
}

interface AnalysisOptions {
  /**
   * The code is imported by a loader (trust_remote_code): every capability is escalated. Otherwise it is a script
   * or notebook the user runs: spawning a constant command is judged by the command, networking is ordinary.
   */
  loaded: boolean;
  depth: number;
}

class PythonAnalysis {
  private readonly aliases = new Map<string, string>();
  private lineStarts: number[] | undefined;
  constructor(
    private readonly src: string,
    private readonly report: CodeReport,
    private readonly options: AnalysisOptions,
  ) {}

  private line(offset: number): number {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = 0; i < this.src.length; i++) if (this.src.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  run(): void {
    this.visit(parsePython(this.src).topNode, true);
  }

  /** The qualified name an expression denotes (`os.system`, `subprocess.Popen`), when it is one. */
  private qualified(node: SyntaxNode): string | undefined {
    if (node.name === 'VariableName') {
      const name = text(this.src, node);
      return this.aliases.get(name) ?? (BUILTINS.has(name) ? name : name);
    }
    if (node.name === 'MemberExpression') {
      const parts = children(node);
      const object = parts[0];
      const property = parts[parts.length - 1];
      if (!object || !property || property.name !== 'PropertyName') return undefined;
      const base = this.qualified(object);
      return base === undefined ? undefined : `${base}.${text(this.src, property)}`;
    }
    if (node.name === 'CallExpression') {
      const callee = node.firstChild;
      const args = node.lastChild;
      if (!callee || !args) return undefined;
      const name = this.qualified(callee);
      const first = this.argNodes(args)[0];
      const literal = first ? this.stringOf(first) : undefined;
      if ((name === '__import__' || name === 'importlib.import_module') && literal !== undefined) return literal;
      if (name === 'getattr') {
        const [objectArg, nameArg] = this.argNodes(args);
        const attr = nameArg ? this.stringOf(nameArg) : undefined;
        const base = objectArg ? this.qualified(objectArg) : undefined;
        if (base !== undefined && attr !== undefined) return `${base}.${attr}`;
      }
    }
    if (node.name === 'ParenthesizedExpression') {
      const inner = children(node).find((c) => c.name !== '(' && c.name !== ')');
      return inner ? this.qualified(inner) : undefined;
    }
    return undefined;
  }

  private stringOf(node: SyntaxNode): string | undefined {
    if (node.name !== 'String') return undefined;
    return pythonStringValue(text(this.src, node))?.value;
  }

  /** Positional argument nodes of an ArgList (keyword arguments excluded). */
  private argNodes(args: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    const parts = children(args).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== ',');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as SyntaxNode;
      if (parts[i + 1]?.name === 'AssignOp') {
        i += 2; // name = value
        continue;
      }
      out.push(p);
    }
    return out;
  }

  private keywordArg(args: SyntaxNode, name: string): SyntaxNode | undefined {
    const parts = children(args);
    for (let i = 0; i + 2 < parts.length; i++) {
      if (
        parts[i]?.name === 'VariableName' &&
        text(this.src, parts[i] as SyntaxNode) === name &&
        parts[i + 1]?.name === 'AssignOp'
      )
        return parts[i + 2];
    }
    return undefined;
  }

  private handleImport(node: SyntaxNode): void {
    const parts = children(node);
    const names = (from: number, to: number) =>
      parts
        .slice(from, to)
        .filter((p) => p.name === 'VariableName' || p.name === '.')
        .map((p) => text(this.src, p))
        .join('');
    if (parts[0]?.name === 'from') {
      const importAt = parts.findIndex((p) => p.name === 'import');
      const module = names(1, importAt);
      if (module.startsWith('.')) return; // the repository's own modules
      let i = importAt + 1;
      while (i < parts.length) {
        const p = parts[i] as SyntaxNode;
        if (p.name === '*') {
          if (PROCESS_MODULES.has(module))
            for (const f of PROCESS_FUNCTIONS) if (f.startsWith(`${module}.`)) this.aliases.set(f.slice(module.length + 1), f);
          i++;
        } else if (p.name === 'VariableName') {
          const name = text(this.src, p);
          let local = name;
          if (parts[i + 1]?.name === 'as' && parts[i + 2]) {
            local = text(this.src, parts[i + 2] as SyntaxNode);
            i += 3;
          } else i++;
          this.aliases.set(local, `${module}.${name}`);
        } else i++;
      }
      return;
    }
    // import a.b.c [as x], d
    let i = 1;
    while (i < parts.length) {
      let j = i;
      while (j < parts.length && parts[j]?.name !== ',' && parts[j]?.name !== 'as') j++;
      const dotted = names(i, j);
      if (parts[j]?.name === 'as' && parts[j + 1]) {
        this.aliases.set(text(this.src, parts[j + 1] as SyntaxNode), dotted);
        j += 2;
      } else {
        const head = dotted.split('.')[0] as string;
        this.aliases.set(head, head);
      }
      i = j + 1;
    }
  }

  /** `x = os.system` / `sp = __import__('subprocess')`: the name now stands for what it was assigned. */
  private handleAssign(node: SyntaxNode): void {
    const parts = children(node);
    const target = parts[0];
    const op = parts[1];
    const value = parts[2];
    if (parts.length !== 3 || !target || !value || target.name !== 'VariableName' || op?.name !== 'AssignOp') return;
    const q = this.qualified(value);
    if (q !== undefined && (value.name !== 'VariableName' || this.aliases.has(text(this.src, value))))
      this.aliases.set(text(this.src, target), q);
  }

  private judgeName(name: string, node: SyntaxNode): void {
    const line = this.line(node.from);
    if (PROCESS_FUNCTIONS.has(name)) {
      if (this.options.loaded) this.report.add('process', { line, what: name });
    } else if (SOCKET_FUNCTIONS.has(name)) {
      if (this.options.loaded) this.report.add('socket', { line, what: name });
    } else if (CODE_OBJECTS.has(name)) this.report.add('code-object', { line, what: name });
  }

  /** A script's process call: a constant command is judged as the shell command it is; a computed one is noted. */
  private judgeCommand(name: string, positional: SyntaxNode[], line: number): void {
    const words: string[] = [];
    let constant = positional.length > 0;
    for (const arg of positional) {
      const literal = this.stringOf(arg);
      if (literal !== undefined) words.push(literal);
      else if (arg.name === 'ArrayExpression' || arg.name === 'TupleExpression') {
        for (const item of children(arg).filter((c) => !['[', ']', '(', ')', ','].includes(c.name))) {
          const w = this.stringOf(item);
          if (w === undefined) constant = false;
          else words.push(/\s/.test(w) ? `'${w.replace(/'/g, "'\\''")}'` : w);
        }
      } else constant = false;
    }
    if (!constant) {
      this.report.note('process-computed', { line, what: name });
      return;
    }
    const before = this.report.capabilities.size;
    analyseShell(words.join(' '), this.report, line);
    if (this.report.capabilities.size > before)
      this.report.add('process', { line, what: `${name}(${JSON.stringify(words.join(' ').slice(0, 80))})` });
  }

  private containsDecoder(node: SyntaxNode): string | undefined {
    let found: string | undefined;
    const cursor = node.cursor();
    do {
      if (cursor.name === 'CallExpression' && cursor.node.firstChild) {
        const q = this.qualified(cursor.node.firstChild);
        if (q !== undefined && (DECODERS.has(q) || q.endsWith('.decode') || q.endsWith('.fromhex'))) found ??= q;
      }
    } while (cursor.next() && cursor.from < node.to);
    return found;
  }

  private handleCall(node: SyntaxNode, importTime: boolean): void {
    const callee = node.firstChild;
    const args = node.lastChild;
    if (!callee || !args || args.name !== 'ArgList') return;
    const resolved = this.qualified(node); // getattr(os, 'system'), __import__('os')
    if (resolved !== undefined) this.judgeName(resolved, node);
    const line = this.line(node.from);
    // pathlib.Path('/etc/x').write_text(...)
    if (callee.name === 'MemberExpression') {
      const object = callee.firstChild;
      const method = callee.lastChild ? text(this.src, callee.lastChild) : '';
      if (object?.name === 'CallExpression' && PATH_WRITERS.has(method)) {
        const ctor = object.firstChild ? this.qualified(object.firstChild) : undefined;
        const ctorArgs = object.lastChild;
        if ((ctor === 'pathlib.Path' || ctor === 'Path' || ctor?.endsWith('.Path')) && ctorArgs?.name === 'ArgList') {
          const p = this.argNodes(ctorArgs)[0];
          const literal = p ? this.pathLiteral(p) : undefined;
          if (literal !== undefined && outsideRepository(literal))
            this.report.add('write-outside', { line, what: `Path(${JSON.stringify(literal)}).${method}` });
        }
      }
    }
    const name = this.qualified(callee);
    if (name === undefined) return;
    const positional = this.argNodes(args);
    if (importTime && this.options.loaded && (NETWORK_FUNCTIONS.has(name) || NETWORK_PREFIXES.some((p) => name.startsWith(p))))
      this.report.add('network-at-import', { line, what: name });
    if (!this.options.loaded && PROCESS_FUNCTIONS.has(name)) this.judgeCommand(name, positional, line);
    if (DYNAMIC_CODE.has(name)) {
      const first = positional[0];
      const literal = first ? this.stringOf(first) : undefined;
      if (literal !== undefined) {
        // Constant code: judged as Python itself.
        if (this.options.depth < MAX_EXEC_LITERAL_DEPTH)
          new PythonAnalysis(literal, this.report, { ...this.options, depth: this.options.depth + 1 }).run();
      } else if (first) {
        const decoder = this.containsDecoder(first);
        if (decoder) this.report.add('exec-decoded', { line, what: `${name}(${decoder}(...))` });
        else this.report.note('exec-computed', { line, what: name });
      }
    }
    if ((name === 'pickle.loads' || name === 'dill.loads' || name === 'cloudpickle.loads') && positional[0]) {
      const decoder = this.containsDecoder(positional[0]);
      if (decoder && decoder !== name) this.report.add('exec-decoded', { line, what: `${name}(${decoder}(...))` });
    }
    if (NATIVE_LOADERS.has(name)) this.report.note('native-library', { line, what: name });
    if (name === 'getattr' && positional[0] && positional[1]) {
      const base = this.qualified(positional[0]);
      if (base !== undefined && PROCESS_MODULES.has(base) && this.stringOf(positional[1]) === undefined)
        this.report.add('computed-os-lookup', { line, what: `getattr(${base}, ...)` });
    }
    // Writes outside the repository.
    const pathArg = positional[0];
    const path = pathArg ? this.pathLiteral(pathArg) : undefined;
    if (path !== undefined && outsideRepository(path)) {
      if (name === 'open' || name === 'io.open' || name === 'codecs.open' || name === 'os.open') {
        const modeNode = positional[1] ?? this.keywordArg(args, 'mode') ?? this.keywordArg(args, 'flags');
        const mode = modeNode ? (this.stringOf(modeNode) ?? text(this.src, modeNode)) : 'r';
        if (/[wax+]|O_WRONLY|O_RDWR|O_CREAT|O_APPEND|O_TRUNC/.test(mode))
          this.report.add('write-outside', { line, what: `${name}(${JSON.stringify(path)}, ${JSON.stringify(mode)})` });
      } else if (FILE_MUTATORS.has(name)) this.report.add('write-outside', { line, what: `${name}(${JSON.stringify(path)})` });
    }
  }

  /** A path given as a literal, an f-string opening with a literal, or os.path.expanduser('~...'). */
  private pathLiteral(node: SyntaxNode): string | undefined {
    if (node.name === 'String') return this.stringOf(node);
    if (node.name === 'FormatString') {
      const t = text(this.src, node);
      const m = /^[fFrR]{1,2}('''|"""|'|")/.exec(t);
      if (!m) return undefined;
      const body = t.slice(m[0].length);
      const brace = body.indexOf('{');
      const head = brace < 0 ? body.slice(0, body.length - (m[1] as string).length) : body.slice(0, brace);
      return head.length > 0 ? head : undefined;
    }
    if (node.name === 'CallExpression' && node.firstChild) {
      const q = this.qualified(node.firstChild);
      if ((q === 'os.path.expanduser' || q === 'os.path.join') && node.lastChild) {
        const first = this.argNodes(node.lastChild)[0];
        return first ? this.pathLiteral(first) : undefined;
      }
    }
    return undefined;
  }

  private isMainGuard(node: SyntaxNode): boolean {
    const condition = children(node)[1];
    if (!condition) return false;
    return /^__name__\s*==\s*['"]__main__['"]$|^['"]__main__['"]\s*==\s*__name__$/.test(text(this.src, condition).trim());
  }

  private visit(node: SyntaxNode, importTime: boolean): void {
    switch (node.name) {
      case 'String':
      case 'Comment':
        return;
      case 'ImportStatement':
        this.handleImport(node);
        return;
      case 'AssignStatement':
        this.handleAssign(node);
        break;
      case 'CallExpression':
        this.handleCall(node, importTime);
        break;
      case 'MemberExpression':
      case 'VariableName': {
        const q = this.qualified(node);
        if (q !== undefined && (node.name === 'MemberExpression' || this.aliases.has(text(this.src, node))))
          this.judgeName(q, node);
        if (node.name === 'VariableName') return;
        break;
      }
      case 'IfStatement':
        if (this.isMainGuard(node)) {
          for (const c of children(node)) this.visit(c, false);
          return;
        }
        break;
    }
    const nested = node.name === 'FunctionDefinition' || node.name === 'LambdaExpression';
    for (let c = node.firstChild; c; c = c.nextSibling) {
      // A function's body runs when called, not at import; its decorators and defaults run at import.
      this.visit(
        c,
        importTime && !(nested && (c.name === 'Body' || (node.name === 'LambdaExpression' && c.name !== 'ParamList'))),
      );
    }
  }
}

// ── Shell ────────────────────────────────────────────────────────────────────────────────────────────────────

type ShellToken = { kind: 'word'; value: string; raw: string } | { kind: 'op'; value: string };

/** POSIX sh tokens: words (with quotes removed and command substitutions kept in `raw`), operators; no comments. */
export function shellTokens(src: string): ShellToken[] {
  const out: ShellToken[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      out.push({ kind: 'op', value: ';' });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '>>' || two === '>&' || two === '<(' || two === '|&') {
      out.push({ kind: 'op', value: two });
      i += 2;
      continue;
    }
    if (c === '|' || c === '&' || c === '>' || c === '<' || c === '(' || c === ')') {
      out.push({ kind: 'op', value: c });
      i++;
      continue;
    }
    // A word: runs of plain characters, quoted strings, escapes, $(...) and `...`.
    let value = '';
    const start = i;
    while (i < n) {
      const d = src[i] as string;
      if (' \t\n;&|<>()'.includes(d)) {
        if (d === '(' && value.endsWith('$')) {
          // $( ... ) with nesting
          let depth = 1;
          let j = i + 1;
          while (j < n && depth > 0) {
            if (src[j] === '(') depth++;
            else if (src[j] === ')') depth--;
            j++;
          }
          value += src.slice(i, j);
          i = j;
          continue;
        }
        break;
      }
      if (d === "'") {
        const end = src.indexOf("'", i + 1);
        const stop = end < 0 ? n : end;
        value += src.slice(i + 1, stop);
        i = stop + 1;
      } else if (d === '"') {
        let j = i + 1;
        while (j < n && src[j] !== '"') {
          if (src[j] === '\\') j++;
          j++;
        }
        value += src.slice(i + 1, Math.min(j, n)).replace(/\\(["\\$`])/g, '$1');
        i = j + 1;
      } else if (d === '`') {
        const end = src.indexOf('`', i + 1);
        const stop = end < 0 ? n : end;
        value += `$(${src.slice(i + 1, stop)})`;
        i = stop + 1;
      } else if (d === '\\') {
        value += src[i + 1] ?? '';
        i += 2;
      } else {
        value += d;
        i++;
      }
    }
    out.push({ kind: 'word', value, raw: src.slice(start, i) });
  }
  return out;
}

/** `rm -r` targets that are the whole system or home directory. */
const HOME_OR_ROOT = ['/', '/*', '~', '~/', '~/*', '$HOME', '$HOME/*', '$' + '{HOME}'];

const SHELL_INTERPRETERS = /^(?:.*\/)?(sh|bash|zsh|dash|ksh|ash|python[0-9.]*|perl|ruby|node|php)$/;
const DOWNLOADERS = /^(?:.*\/)?(curl|wget|fetch|aria2c|nc|ncat|netcat)$/;
const COMMAND_PREFIXES = new Set(['sudo', 'env', 'exec', 'command', 'nohup', 'time', 'xargs']);

function commandName(words: string[]): { name: string; args: string[] } {
  let k = 0;
  while (k < words.length && (COMMAND_PREFIXES.has(words[k] as string) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k] as string)))
    k++;
  return { name: words[k] ?? '', args: words.slice(k + 1) };
}

/** Judges a shell script (or notebook `!` lines): what model repositories' scripts have no need to do. */
export function analyseShell(src: string, report: CodeReport, baseLine = 1): void {
  const tokens = shellTokens(src);
  // Split into pipelines (separated by ; && || &) of commands (separated by |).
  let pipeline: string[][] = [[]];
  const pipelines: string[][][] = [];
  for (const t of tokens) {
    if (t.kind === 'word') (pipeline[pipeline.length - 1] as string[]).push(t.value);
    else if (t.value === '|' || t.value === '|&') pipeline.push([]);
    else if (t.value === ';' || t.value === '&&' || t.value === '||' || t.value === '&') {
      pipelines.push(pipeline);
      pipeline = [[]];
    } else if (t.value === '>' || t.value === '>>' || t.value === '>&' || t.value === '<' || t.value === '<(') {
      (pipeline[pipeline.length - 1] as string[]).push(t.value);
    }
  }
  pipelines.push(pipeline);
  const line = baseLine;
  for (const p of pipelines) {
    const commands = p.filter((c) => c.length > 0).map(commandName);
    commands.forEach((cmd, index) => {
      const all = [cmd.name, ...cmd.args];
      const joined = all.join(' ');
      const interpreter = SHELL_INTERPRETERS.test(cmd.name);
      if (
        interpreter &&
        index > 0 &&
        commands.slice(0, index).some((c) => DOWNLOADERS.test(c.name) || /(^|\/)(base64|xxd|openssl)$/.test(c.name))
      )
        report.add('exec-decoded', { line, what: `${commands[0]?.name} ... | ${cmd.name}` });
      if (
        (interpreter || cmd.name === 'eval' || cmd.name === 'source' || cmd.name === '.') &&
        /\$\((\s*)(curl|wget|base64|echo\s+\S+\s*\|\s*base64)/.test(joined)
      )
        report.add('exec-decoded', { line, what: `${cmd.name} $(...)` });
      if ((cmd.name === 'source' || cmd.name === '.') && cmd.args[0] === '<(')
        report.add('exec-decoded', { line, what: `${cmd.name} <(...)` });
      if (all.some((w) => w.includes('/dev/tcp/') || w.includes('/dev/udp/'))) report.add('socket', { line, what: '/dev/tcp' });
      if (
        /^(?:.*\/)?(nc|ncat|netcat)$/.test(cmd.name) &&
        cmd.args.some((a) => a === '-e' || a === '-c' || a.startsWith('--exec') || a.startsWith('--sh-exec'))
      )
        report.add('process', { line, what: `${cmd.name} -e` });
      if (cmd.name === 'rm' && cmd.args.some((a) => /^-\w*[rR]/.test(a)) && cmd.args.some((a) => HOME_OR_ROOT.includes(a)))
        report.add('write-outside', { line, what: joined.slice(0, 120) });
      const redirect = all.findIndex((w) => w === '>' || w === '>>');
      if (
        redirect >= 0 &&
        all[redirect + 1] !== undefined &&
        /^(~|\$HOME|\$\{HOME\})\/\.(bashrc|profile|bash_profile|zshrc|ssh\/)|^\/etc\//.test(all[redirect + 1] as string)
      )
        report.add('write-outside', { line, what: `${all[redirect]} ${all[redirect + 1]}` });
      if (cmd.name === 'crontab' || (cmd.name === 'chmod' && cmd.args.some((a) => /^[ugoa]*\+s$|^[4267][0-7]{3}$/.test(a))))
        report.add('write-outside', { line, what: joined.slice(0, 120) });
    });
  }
}

// ── Notebooks ────────────────────────────────────────────────────────────────────────────────────────────────

interface Notebook {
  cells: Array<{ cell_type?: unknown; source?: unknown }>;
  nbformat: number;
}

export function isNotebook(doc: unknown): doc is Notebook {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return Array.isArray(d.cells) && typeof d.nbformat === 'number';
}

function cellSource(source: unknown): string | undefined {
  if (typeof source === 'string') return source;
  if (Array.isArray(source) && source.every((s) => typeof s === 'string')) return source.join('');
  return undefined;
}

// ── Findings ─────────────────────────────────────────────────────────────────────────────────────────────────

function findingsOf(report: CodeReport, kind: string, members: readonly string[]): Finding[] {
  const at = (sites: Site[]): FindingLocation => ({
    members: [...members],
    ...(sites[0] ? { path: `line ${sites[0].line}` } : {}),
  });
  const findings: Finding[] = [
    makeFinding(
      'MS-CODE-001',
      `${kind}: runs with the user's rights when the model is loaded with trust_remote_code or the file is run`,
      { members: [...members] },
      { kind },
    ),
  ];
  for (const [capability, sites] of [...report.capabilities].sort(([a], [b]) => a.localeCompare(b)))
    findings.push(
      makeFinding('MS-CODE-002', `${kind} ${CAPABILITY_TEXT[capability]} (${sites.map((s) => s.what).join(', ')})`, at(sites), {
        capability,
        sites,
      }),
    );
  for (const [unusual, sites] of [...report.unusual].sort(([a], [b]) => a.localeCompare(b)))
    findings.push(
      makeFinding('MS-CODE-003', `${kind} ${UNUSUAL_TEXT[unusual]} (${sites.map((s) => s.what).join(', ')})`, at(sites), {
        capability: unusual,
        sites,
      }),
    );
  return findings;
}

function tooLarge(ctx: ScanContext, size: number): HandlerResult {
  return {
    findings: [
      makeFinding(
        'MS-ENG-002',
        `source of ${size} bytes is above MAX_CODE_BYTES and was not judged`,
        { members: [...ctx.members] },
        {
          limit: 'MAX_CODE_BYTES',
        },
      ),
    ],
    errors: [],
  };
}

/** Largest notebook read: outputs (images, tables) make notebooks MBs; only their code cells are judged. */
export const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

async function readCode(
  ctx: ScanContext,
  source: import('../../formats/byte-source.js').ByteSource,
  limit = MAX_CODE_BYTES,
): Promise<string | HandlerResult> {
  if (source.size > limit) return tooLarge(ctx, source.size);
  if (!(await isTextSource(source)))
    return {
      findings: [
        makeFinding('MS-ENG-001', 'named as source code but holds binary data: not inspected', { members: [...ctx.members] }),
      ],
      errors: [],
      format: 'unknown',
    };
  return decodeText(await source.read(0, source.size));
}

/** Judges Python source; `loaded`: imported by trust_remote_code (see AnalysisOptions). */
export function analysePython(src: string, loaded = true): CodeReport {
  const report = new CodeReport();
  new PythonAnalysis(src, report, { loaded, depth: 0 }).run();
  return report;
}

/**
 * File names transformers' remote-code conventions give to modules `from_pretrained` imports (modeling_*,
 * configuration_*, tokenization_*, processing_*, image/video processing, feature extraction): judged as loaded
 * even without the config that names them in its auto_map (a single file scanned on its own).
 */
const REMOTE_CODE_NAME =
  /(^|[\\/])(modeling|configuration|tokenization|processing|image_processing|video_processing|feature_extraction)_[^\\/]*\.py$/i;

/** Judges a parsed notebook: code cells as Python (magics as shell), markdown and outputs are not code. */
export function scanNotebook(doc: Notebook, ctx: ScanContext): HandlerResult {
  const report = new CodeReport();
  let python = '';
  for (const cell of doc.cells) {
    if (cell.cell_type !== 'code') continue;
    const src = cellSource(cell.source);
    if (src === undefined) continue;
    const lines = src.split('\n');
    const first = lines[0]?.trim() ?? '';
    if (/^%%(bash|sh|script\s+(ba)?sh|system)\b/.test(first)) {
      analyseShell(lines.slice(1).join('\n'), report);
      continue;
    }
    if (first.startsWith('%%writefile')) continue; // the cell is file content, not code
    const kept: string[] = [];
    for (const l of first.startsWith('%%') ? lines.slice(1) : lines) {
      const t = l.trimStart();
      if (t.startsWith('!')) {
        analyseShell(t.slice(1), report);
        kept.push('');
      } else if (t.startsWith('%')) kept.push('');
      else kept.push(l);
    }
    python += `${kept.join('\n')}\n`;
  }
  // Cells run in the user's session when they choose to, never at import: judged as a script.
  const findings = judgedOrIncomplete(
    () => {
      new PythonAnalysis(python, report, { loaded: false, depth: 0 }).run();
      return report;
    },
    'notebook',
    ctx,
  );
  return { findings, errors: [], format: 'notebook' };
}

/** Findings of an analysis, or an incomplete finding when the source is not Python CPython could compile. */
function judgedOrIncomplete(analyse: () => CodeReport, kind: string, ctx: ScanContext): Finding[] {
  try {
    return findingsOf(analyse(), kind, ctx.members);
  } catch (error) {
    if (!(error instanceof NotPython) && !(error instanceof RangeError)) throw error;
    const why = error instanceof NotPython ? error.message : 'nested too deeply to judge';
    return [
      makeFinding('MS-CODE-001', `${kind}: runs with the user's rights`, { members: [...ctx.members] }, { kind }),
      makeFinding('MS-ENG-002', `${kind} was not judged: ${why}`, { members: [...ctx.members] }, { reason: why }),
    ];
  }
}

export const pythonHandler: FormatHandler = {
  formats: ['python'],
  async scan(source, ctx) {
    const src = await readCode(ctx, source);
    if (typeof src !== 'string') return src;
    const loaded = ctx.hints.trustRemoteCode === true || REMOTE_CODE_NAME.test(ctx.hints.name ?? '');
    return {
      findings: judgedOrIncomplete(
        () => analysePython(src, loaded),
        loaded ? 'Python module imported by trust_remote_code' : 'Python source',
        ctx,
      ),
      errors: [],
    };
  },
};

export const shellHandler: FormatHandler = {
  formats: ['shell'],
  async scan(source, ctx) {
    const src = await readCode(ctx, source);
    if (typeof src !== 'string') return src;
    const report = new CodeReport();
    analyseShell(src, report);
    return { findings: findingsOf(report, 'shell script', ctx.members), errors: [] };
  },
};

export const notebookHandler: FormatHandler = {
  formats: ['notebook'],
  async scan(source, ctx) {
    const src = await readCode(ctx, source, MAX_NOTEBOOK_BYTES);
    if (typeof src !== 'string') return src;
    let doc: unknown;
    try {
      doc = JSON.parse(src);
    } catch {
      doc = undefined;
    }
    if (!isNotebook(doc))
      return {
        findings: [
          makeFinding('MS-ENG-002', 'notebook is not nbformat JSON: its cells were not judged', { members: [...ctx.members] }),
        ],
        errors: [],
      };
    return scanNotebook(doc, ctx);
  },
};

/**
 * Compiled code: native libraries and executables (ELF, Mach-O, PE) and CPython bytecode. Not a model payload, but
 * machine or byte code that runs with the user's rights when something imports or loads it (a compiled extension
 * beside modeling code, `torch.ops.load_library`, `tf.load_op_library`, `ctypes`). Reported by presence (MS-CODE-004,
 * medium): unlike a source file it cannot be read or judged here. The structure is checked first, so a file that
 * only opens like one is FORMAT_INVALID (incomplete), not reported as a binary it is not.
 */
function executableHandler(format: ExecutableFormat): FormatHandler {
  return {
    formats: [format],
    async scan(source, ctx) {
      const what = await checkExecutable(new Window(source, format), format);
      return {
        findings: [
          makeFinding(
            'MS-CODE-004',
            `compiled code (${what}): runs with the user's rights when imported or loaded; its code was not judged`,
            { members: [...ctx.members] },
            { kind: what },
          ),
        ],
        errors: [],
      };
    },
  };
}

export const EXECUTABLE_HANDLERS: readonly FormatHandler[] = (['elf', 'macho', 'pe', 'pyc', 'wasm'] as const).map(
  executableHandler,
);
