/**
 * Bypasses (and one false alarm) of the pickle family found by the probe of 2026-12-04 (issue 11), one fixture per
 * class, scanned through the engine entry the CLI uses (scanBytes) and judged by the default gate. Each hostile
 * fixture was proven under CPython 3.11 (/usr/bin/python3, torch 1.13, numpy 1.24, joblib 1.2) with the loader
 * named beside it, while the default gate passed it before the fix; each benign twin was written by the real
 * library (or is the plain text file it stands for) and stays clean.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../packages/core/src/scan/gate.js';
import type { FileReport } from '../packages/core/src/scan/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

function lines(report: FileReport): string {
  return report.findings.map((f) => `${f.severity} ${f.ruleId} ${f.message}`).join('\n');
}

async function expectFails(bytes: Uint8Array, name: string, rule?: string): Promise<FileReport> {
  const report = await scanBytes(bytes, {}, name);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(false);
  if (rule)
    expect(
      report.findings.map((f) => f.ruleId),
      lines(report),
    ).toContain(rule);
  return report;
}

async function expectClean(bytes: Uint8Array, name: string): Promise<FileReport> {
  const report = await scanBytes(bytes, {}, name);
  expect(
    report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity)),
    lines(report),
  ).toEqual([]);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(true);
  return report;
}

/**
 * Class "effectful-bound-method-in-graph": an attribute of an allowlisted class was data while only held, so a bound
 * `PosixPath(p).touch` / `.unlink` stored in an instance `__dict__` under a method name the user calls after the
 * load (`obj.eval()`) passed clean, and ran on the file's own path. Methods that write, move or delete files (or
 * evaluate) are now dangerous names wherever they are held (EFFECTFUL_METHODS, globals.ts).
 */
describe('a bound file-writing method stored in the loaded object graph', () => {
  // types.SimpleNamespace() BUILD {'eval': getattr(PosixPath('/tmp/pp3/outA'), 'touch')};
  // proven: o = pickle.load(f); o.eval() created /tmp/pp3/outA.
  const TOUCH = hex(
    '80048c0574797065738c0f53696d706c654e616d657370616365932874527d288c046576616c8c086275696c74696e738c07676574617474' +
      '7293288c07706174686c69628c09506f7369785061746893288c0d2f746d702f7070332f6f75744174528c05746f756368745275622e',
  );
  // Same with getattr(PosixPath('/tmp/pp3/victimA2'), 'unlink'); proven: o.eval() deleted the file.
  const UNLINK = hex(
    '80048c0574797065738c0f53696d706c654e616d657370616365932874527d288c046576616c8c086275696c74696e738c07676574617474' +
      '7293288c07706174686c69628c09506f7369785061746893288c112f746d702f7070332f76696374696d413274528c06756e6c696e6b74' +
      '5275622e',
  );
  // The unbound function as a protocol 4 dotted global: STACK_GLOBAL('pathlib', 'Path.touch') stored as 'eval'.
  const DOTTED = hex(
    '80048c0574797065738c0f53696d706c654e616d657370616365932874527d288c046576616c8c07706174686c69628c0a506174682e746f' +
      '7563689375622e',
  );
  it('a bound Path.touch held as an attribute is a dangerous reference', async () => {
    await expectFails(TOUCH, 'bound-touch.pkl', 'MS-PKL-002');
  });
  it('a bound Path.unlink held as an attribute is a dangerous reference', async () => {
    await expectFails(UNLINK, 'bound-unlink.pkl', 'MS-PKL-002');
  });
  it('pathlib.Path.touch named by a dotted global is a dangerous reference', async () => {
    await expectFails(DOTTED, 'dotted-touch.pkl', 'MS-PKL-002');
  });
  it('benign twin: pickle.dumps({"path": PosixPath("/data/x.csv"), "parts": [PurePosixPath("a/b")]}, 4) is clean', async () => {
    await expectClean(
      hex(
        '80049566000000000000007d94288c0470617468948c07706174686c6962948c09506f736978506174689493948c012f948c0464617461' +
          '948c05782e63737694879452948c057061727473945d9468028c0d50757265506f736978506174689493948c0161948c016294869452' +
          '9461752e',
      ),
      'paths.pkl',
    );
  });
});

/**
 * False alarm "label-file-missing-name": a plain label file `cos\nsin\ntan\n` reads as protocol 0 GLOBAL os.sin and
 * then breaks; it was high (os is a dangerous module). CPython: find_class finds `os` in sys.modules (no import runs)
 * and getattr raises AttributeError: the load fails at that opcode, before anything is called (proven:
 * pickle.load raises "Can't get attribute 'sin' on <module 'os'>"). A stream that only imports a name an
 * already-imported module does not have is now MS-PKL-014 (low); an existing dangerous name cut short, a module
 * whose import may run code, and a call before the break stay findings.
 */
describe('label files that read as an import of a missing name', () => {
  it('benign: "cos\\nsin\\ntan\\n" (os.sin does not exist) is clean', async () => {
    const report = await expectClean(text('cos\nsin\ntan\n'), 'labels.txt');
    expect(report.findings.map((f) => f.ruleId)).toContain('MS-PKL-014');
  });
  it('benign: "csys\\nfoo\\nbar\\n" and protocol 0 dotted "cos\\npath.join\\n" are clean', async () => {
    await expectClean(text('csys\nfoo\nbar\n'), 'labels2.txt');
    await expectClean(text('cos\npath.join\nx\n'), 'labels3.txt');
  });
  it('twin: an existing dangerous name cut short stays high (builtins.eval, then truncated)', async () => {
    await expectFails(text('cbuiltins\neval\n('), 'cut-short.txt', 'MS-PKL-002');
  });
  it('twin: a module not imported before the load stays high (subprocess.Popen, then a break)', async () => {
    await expectFails(text('csubprocess\nPopen\nx\n'), 'cut-short-2.txt', 'MS-PKL-002');
  });
  it('twin: a call before the break is critical (os.system("id"), then os.sin)', async () => {
    // proven: pickle.load ran `id` and then raised AttributeError on os.sin.
    await expectFails(text('cos\nsystem\n(S"id"\ntRcos\nsin\n'), 'call-then-break.txt', 'MS-PKL-001');
  });
});
