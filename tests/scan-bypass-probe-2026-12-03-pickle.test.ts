/**
 * Bypasses of the pickle family found by the probe of 2026-12-03 (issue 11), one fixture per class, scanned through
 * the engine entry the CLI uses (scanBytes) and judged by the default gate. Each hostile fixture was proven to run
 * its payload under CPython 3.11's `pickle.load` (and torch 1.13's `torch.load`, which unpickles a raw file's first
 * pickle as the legacy magic number) before the fix, while the default gate passed it; each benign twin was written
 * by the real library and stays clean.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../packages/core/src/scan/gate.js';
import type { FileReport } from '../packages/core/src/scan/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

function lines(report: FileReport): string {
  return report.findings.map((f) => `${f.severity} ${f.ruleId} ${f.message}`).join('\n');
}

async function expectFails(bytes: Uint8Array, name: string, rule?: string): Promise<void> {
  const report = await scanBytes(bytes, {}, name);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(false);
  if (rule)
    expect(
      report.findings.map((f) => f.ruleId),
      lines(report),
    ).toContain(rule);
}

async function expectClean(bytes: Uint8Array, name: string): Promise<void> {
  const report = await scanBytes(bytes, {}, name);
  expect(
    report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity)),
    lines(report),
  ).toEqual([]);
  expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(true);
}

/**
 * Class "instance-attribute-shadows-method": CPython looks the methods the load calls up on the INSTANCE, so a BUILD
 * that puts a callable in an object's `__dict__` under that method's name makes the load (or a callable given the
 * object) call it, with no REDUCE the scanner could see. The callable is a bound method of an allowlisted class
 * (`getattr(PosixPath(p), 'write_text')`, judged "data" while it is only held), so writing any file (a `.pth` in
 * site-packages: code on the next interpreter start) passed the gate as clean.
 */
describe('instance attributes that shadow the methods the load calls', () => {
  // ns = types.SimpleNamespace(); BUILD {'__setstate__': PosixPath('/tmp/pp/pwned1').write_text};
  // BUILD 'owned-by-setstate' -> load_build calls inst.__setstate__(state): the file is written.
  const SETSTATE = hex(
    '80048c0574797065738c0f53696d706c654e616d6573706163659329527d8c0c5f5f73657473746174655f5f8c086275696c74696e738c07676574' +
      '61747472938c07706174686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643185528c0a77726974655f74657874865273' +
      '628c116f776e65642d62792d7365747374617465622e',
  );
  // BUILD {'append': PosixPath('/tmp/pp/pwned2').write_text}; APPEND 'owned-by-append' -> do_append calls obj.append.
  const APPEND = hex(
    '80048c0574797065738c0f53696d706c654e616d6573706163659329527d8c06617070656e648c086275696c74696e738c0767657461747472938c' +
      '07706174686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643285528c0a77726974655f74657874865273628c0f6f776e' +
      '65642d62792d617070656e64612e',
  );
  // builtins.dict(ns) with ns.keys = PosixPath('/tmp/pp/pwned3').touch -> dict_update_arg calls ns.keys(): created.
  const KEYS = hex(
    '80048c086275696c74696e738c0464696374938c0574797065738c0f53696d706c654e616d6573706163659329527d8c046b6579738c086275696c' +
      '74696e738c0767657461747472938c07706174686c69628c09506f73697850617468938c0e2f746d702f70702f70776e65643385528c05746f7563' +
      '688652736285522e',
  );
  // torch._utils._rebuild_tensor_v2(ns, 0, (), (), False, OrderedDict()) with ns.untyped = PosixPath(p).touch and
  // ns.dtype = torch.float32 -> _rebuild_tensor calls storage.untyped(): created (then AttributeError on None).
  const ARGUMENT_METHOD = hex(
    '80048c0c746f7263682e5f7574696c738c125f72656275696c645f74656e736f725f763293288c0574797065738c0f53696d706c654e616d65737061' +
      '63659329527d8c07756e74797065648c086275696c74696e738c0767657461747472938c07706174686c69628c09506f73697850617468938c0e2f' +
      '746d702f70702f70776e65643485528c05746f7563688652738c0564747970658c05746f7263688c07666c6f617433329373624b00292989' +
      '8c0b636f6c6c656374696f6e738c0b4f7264657265644469637493295274522e',
  );

  it('a callable BUILD stores as __setstate__ is called by the next BUILD', async () => {
    await expectFails(SETSTATE, 'instance-attribute-setstate.pkl', 'MS-PKL-003');
  });
  it('a callable BUILD stores as append is called by APPEND', async () => {
    await expectFails(APPEND, 'instance-attribute-append.pkl', 'MS-PKL-003');
  });
  it('a callable BUILD stores as keys is called by dict(obj)', async () => {
    await expectFails(KEYS, 'instance-attribute-keys.pkl', 'MS-PKL-003');
  });
  it('a callable attribute of an argument is called by the callable it is given to', async () => {
    await expectFails(ARGUMENT_METHOD, 'instance-attribute-argument-method.pkl', 'MS-PKL-003');
  });
  it('benign twin: pickle.dumps(types.SimpleNamespace(lr=0.1, name="x", sizes=[1, 2]), 4) is clean', async () => {
    await expectClean(
      hex(
        '8004954e000000000000008c057479706573948c0f53696d706c654e616d6573706163659493942952947d94288c026c7294473fb999999999' +
          '999a8c046e616d65948c0178948c0573697a6573945d94284b014b026575622e',
      ),
      'simple-namespace.pkl',
    );
  });
});
