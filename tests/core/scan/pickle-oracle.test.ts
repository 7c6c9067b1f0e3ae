/**
 * The symbolic VM against CPython itself: fixtures/scan/pickle-oracle/vectors.json holds hostile operand forms
 * (STRING escapes, UNICODE escapes, int() spellings of INT/LONG/memo keys, GLOBAL lines, FRAME and stack cases) run
 * through CPython 3.11's C unpickler and its pure-Python one (fixtures/scripts/pickle-oracle/gen_vectors.py), with
 * what each imported, whether it reached STOP and what it returned.
 *
 * The VM must import exactly what either unpickler imports (a module name that cannot be imported stops the load) (no name decoded differently, none missed, none made
 * up), reach STOP whenever either does, and return the value the C unpickler returns (pickle.py's when only it stops).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPickle, type SymValue } from '../../../packages/core/src/scan/pickle/vm.js';

interface Outcome {
  imports: [string, string][];
  /** For each import, the module CPython's `__import__` really loaded when the vectors were made, or null. */
  resolved: (string | null)[];
  stopped: boolean;
  value?: Encoded;
  error?: string;
}
type Encoded =
  | { int: string }
  | { bool: boolean }
  | { float: string }
  | { str: string }
  | { bytes: string }
  | { none: true }
  | { tuple: Encoded[] }
  | { list: Encoded[] }
  | { global: [string, string] }
  | { other: string };
interface Vector {
  name: string;
  hex: string;
  /** C unpickler, default encoding (pickle.loads). */
  c: Outcome;
  /** pickle._Unpickler (joblib.load). */
  py: Outcome;
  /** C unpickler with encoding='utf-8' (torch.load) and 'latin1' (numpy's Python 2 pickles). */
  c_utf8: Outcome;
  c_latin1: Outcome;
}

const { vectors, python } = JSON.parse(
  readFileSync(new URL('../../../fixtures/scan/pickle-oracle/vectors.json', import.meta.url), 'utf8'),
) as { vectors: Vector[]; python: string };

/** UTF-8 with surrogatepass, hex: how the generator encodes a str. */
function strHex(text: string): string {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Buffer.from(out).toString('hex');
}

function encode(value: SymValue): Encoded {
  switch (value.kind) {
    case 'int':
      return { int: value.value.toString() };
    case 'bool':
      return { bool: value.value };
    case 'float':
      return { float: Object.is(value.value, -0) ? '-0.0' : String(value.value) };
    case 'str':
      return { str: strHex(value.value) };
    case 'bytes':
      return { bytes: Buffer.from(value.value).toString('hex') };
    case 'none':
      return { none: true };
    case 'tuple':
      return { tuple: value.items.map(encode) };
    case 'list':
      return { list: value.items.map(encode) };
    case 'global':
      // The marker records the name as find_class received it; the VM keeps that spelling beside what it loads.
      return { global: [value.spelled ?? value.module, value.name] };
    default:
      return { other: value.kind };
  }
}

/** Floats compare by value (Python's repr and JS's String differ in form: '1000.0' / '1000', 'inf' / 'Infinity'). */
function normalise(value: Encoded | undefined): unknown {
  if (!value) return value;
  if ('float' in value) {
    const f = value.float.replace(/^inf$/, 'Infinity').replace(/^-inf$/, '-Infinity');
    return { float: String(Number(f)) + (Object.is(Number(f), -0) ? '-' : '') };
  }
  if ('tuple' in value) return { tuple: value.tuple.map(normalise) };
  if ('list' in value) return { list: value.list.map(normalise) };
  return value;
}

/**
 * Vectors where the VM deliberately goes on where both unpicklers stop: a STACK_GLOBAL operand computed at load time
 * (a global or a call result may be a str: `os.name` is 'posix'; the recorder's markers are not) is reported
 * (MS-PKL-005) and the stream read on.
 */
const GOES_ON_WHERE_CPYTHON_STOPS = new Set(['STACK_GLOBAL global operand', 'STACK_GLOBAL call result operand']);

/**
 * Whether a module of this name may be imported on the victim's machine: CPython loaded it when the vectors were made
 * (`resolved`, which also catches a frozen module reached by a NUL-suffixed name), or it is named by dot-separated
 * identifiers, as every installed module is (`torch`, `copy_reg` under fix_imports). `__import__('')`, `' os'` or
 * `'os\r'` raise before importing anything.
 */
const IDENTIFIERS =
  /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;
const mayImport = (o: Outcome, i: number) => o.resolved[i] !== null || IDENTIFIERS.test(o.imports[i]?.[0] ?? '');
/** The module a name loads: the frozen importer reads it as a C string, up to its first NUL. */
const loaded = (module: string) => module.split('\0')[0];
/** What find_class receiving these arguments really imports. */
const realImports = (o: Outcome) => o.imports.flatMap(([m, n], i) => (m !== '' && mayImport(o, i) ? [`${loaded(m)}.${n}`] : []));
/** Whether the real find_class would have let the stream reach STOP (an unimportable module or empty name raises). */
const realStopped = (o: Outcome) => o.stopped && o.imports.every(([m, n], i) => m !== '' && n !== '' && mayImport(o, i));

describe(`pickle VM against CPython ${python} (${vectors.length} vectors)`, () => {
  for (const vector of vectors) {
    it(vector.name, () => {
      const run = runPickle(Buffer.from(vector.hex, 'hex'));
      const imports = run.events.flatMap((e) => (e.type === 'global' ? [`${e.value.module}.${e.value.name}`] : []));
      const readings = [vector.c, vector.py, vector.c_utf8, vector.c_latin1];
      // Everything the default readings import is seen; nothing is seen that no reading imports. (Non-ASCII STRING
      // operands decode differently under each encoding: the VM takes UTF-8 when valid, else Latin-1.)
      const must = new Set([...realImports(vector.c), ...realImports(vector.py)]);
      const may = new Set(readings.flatMap(realImports));
      const detail = JSON.stringify({ c: vector.c, py: vector.py, utf8: vector.c_utf8, latin1: vector.c_latin1 });
      for (const name of must) expect(imports, `missed ${name}: ${detail}`).toContain(name);
      for (const name of imports) expect([...may], `made up ${name}: ${detail}`).toContain(name);
      if (!GOES_ON_WHERE_CPYTHON_STOPS.has(vector.name))
        expect(run.stopped, `${run.error?.message}: ${detail}`).toBe(readings.some(realStopped));
      const reference = readings.find(realStopped)?.value;
      if (run.stopped && run.result && reference && !('other' in reference) && run.result.kind !== 'call')
        expect(normalise(encode(run.result))).toEqual(normalise(reference));
    });
  }
});
