/**
 * Probe of 2026-12-04 (third round), pickle family: fixtures scanned through the engine entry the CLI uses
 * (scanBytes) and judged by the default gate. Hostile fixtures were run under /usr/bin/python3 (CPython 3.11.2,
 * torch 1.13) in a throwaway directory; the archives are built here as bytes, shaped as torch.jit.save writes them.
 */
import { describe, expect, it } from 'vitest';
import { writeZip } from '../../../fixtures/scripts/lib/zip-writer.js';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import type { FileReport } from '../../../packages/core/src/scan/types.js';

function lines(report: FileReport): string {
  return [
    ...report.findings.map((f) => `${f.severity} ${f.ruleId} ${f.message}`),
    ...report.errors.map((e) => `error ${e.code} ${e.message}`),
  ].join('\n');
}

/** data.pkl of torch.jit.save(torch.jit.script(M())): `__torch__.M` built and given the state (1, True). */
const DATA_PKL = Uint8Array.from(Buffer.from('8002635f5f746f7263685f5f0a4d0a710029814b01888671016271022e', 'hex'));

/** The code/__torch__.py torch.jit.save wrote for a module with __getstate__/__setstate__, with `body` in __setstate__. */
function torchScriptSource(body: string): string {
  return [
    'class M(Module):',
    '  __parameters__ = []',
    '  __buffers__ = []',
    '  training : bool',
    '  _is_full_backward_hook : Optional[bool]',
    '  x : int',
    '  def forward(self: __torch__.M,',
    '    a: int) -> int:',
    '    x = self.x',
    '    return torch.add(a, x)',
    '  def __getstate__(self: __torch__.M) -> Tuple[int, bool]:',
    '    x = self.x',
    '    training = self.training',
    '    return (x, training)',
    '  def __setstate__(self: __torch__.M,',
    '    state: Tuple[int, bool]) -> NoneType:',
    body,
    '    self.x = (state)[0]',
    '    self.training = (state)[1]',
    '    return None',
    '',
  ].join('\n');
}

function torchScriptArchive(body: string): Uint8Array {
  return writeZip([
    { name: 'm/data.pkl', data: DATA_PKL },
    { name: 'm/code/__torch__.py', data: torchScriptSource(body) },
    { name: 'm/constants.pkl', data: Uint8Array.from([0x80, 0x02, 0x29, 0x2e]) },
    { name: 'm/version', data: '3\n' },
  ]);
}

/**
 * Class "torchscript-operator-writing-files": the TorchScript sources were checked for Python escapes only (import
 * os, eval, ...), which TorchScript cannot compile anyway, while its own operators include two that write files:
 * `aten::save(item, filename)` and `aten::from_file(filename, shared=True, size)` (creates or grows the file and
 * maps it; `fill_`/`copy_`/`index_put_` on the tensor write into it). A `__setstate__` calling one runs when
 * torch.jit.load restores the module, and torch.load of a TorchScript archive calls torch.jit.load. Proven:
 * `torch.load` of the from_file archive wrote 64 bytes into ./MARKER, of the ops.aten.save one created ./MARKER;
 * both archives scanned clean and passed the gate. `torch.\\\n save(...)` (a line continuation) also ran; the spaced
 * `torch . ops . aten . from_file.out` line is a spelling Python's tokenizer accepts, not run here.
 */
describe('TorchScript code that calls an operator writing files', () => {
  const hostile: [string, string][] = [
    [
      'torch.from_file then fill_',
      '    t = torch.from_file("MARKER", True, 16, dtype=6)\n    t0 = torch.fill_(t, 65)\n    print(torch.sum(t0))',
    ],
    ['ops.aten.save', '    ops.aten.save(["x"], "MARKER")'],
    ['torch.ops.aten.from_file.out, spaced', '    t = torch . ops . aten . from_file . out("MARKER", True, 8, out=self.t)'],
    ['torch.save split by a line continuation', '    torch.\\\n      save(["x"], "MARKER")'],
  ];
  for (const [label, body] of hostile) {
    it(`${label}: MS-PT-003 high, the gate fails`, async () => {
      const report = await scanBytes(torchScriptArchive(body), {}, 'model.pt');
      expect(
        report.findings.map((f) => `${f.ruleId} ${f.severity}`),
        lines(report),
      ).toContain('MS-PT-003 high');
      expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(false);
    });
  }

  it('benign twin: the same module without the call, and names that only contain save/from_file, stay clean', async () => {
    const report = await scanBytes(
      torchScriptArchive('    saved = self.x\n    self.save_dir_from_file = 1\n    print(saved)'),
      {},
      'model.pt',
    );
    expect(
      report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity)),
      lines(report),
    ).toEqual([]);
    expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(true);
  });
});

/**
 * Class: a generated allowlist admitted every public torch callable, among them torch.import_ir_module(_from_buffer),
 * which compile and run the TorchScript of the archive they are handed (what torch.jit.load calls). A pickle calling
 * one was clean; each is now refused by name whatever a table lists (allowlist.ts NEVER_ALLOWED) and dangerous.
 */
describe('TorchScript loaders reached from a pickle', () => {
  for (const [module, name] of [
    ['torch', 'import_ir_module_from_buffer'],
    ['torch', 'import_ir_module'],
    ['torch._C', 'import_ir_module_from_buffer'],
  ] as const) {
    it(`${module}.${name}(...) called by REDUCE is critical and fails the gate`, async () => {
      const pickle = Buffer.concat([
        Buffer.from([0x80, 0x02]),
        Buffer.from(`c${module}\n${name}\n(X\x01\x00\x00\x00aX\x01\x00\x00\x00btR.`, 'latin1'),
      ]);
      const report = await scanBytes(pickle, {}, 'model.pkl');
      expect(
        report.findings.map((f) => `${f.severity} ${f.ruleId}`),
        lines(report),
      ).toContain('critical MS-PKL-001');
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
    });
  }
});

/** Class: numpy's as_strided (unchecked strides and offset: a view over arbitrary memory) was a generated allowlist call. */
describe('numpy as_strided reached from a pickle', () => {
  it('numpy.lib.stride_tricks.as_strided(...) called by REDUCE is high and fails the gate', async () => {
    const pickle = Buffer.from('\x80\x02cnumpy.lib.stride_tricks\nas_strided\n(X\x01\x00\x00\x00atR.', 'latin1');
    const report = await scanBytes(pickle, {}, 'model.pkl');
    expect(
      report.findings.map((f) => `${f.severity} ${f.ruleId}`),
      lines(report),
    ).toContain('high MS-PKL-003');
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
  });
});
