/**
 * Benign pickles made by real libraries (fixtures/scan/benign-libraries/, made and loaded back by
 * fixtures/scripts/pickle-benign/make_benign.py with torch 1.13, scikit-learn 1.2.1, joblib 1.2, pandas 1.5.3 and
 * stand-ins that reduce exactly as transformers/accelerate/Lightning do), scanned through the engine entry: none
 * has a finding at medium or above, none is incomplete.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../../packages/core/src/scan/engine.js';
import { scanPickleStream } from '../../../packages/core/src/scan/pickle/scan-pickle.js';
import type { AfterBuild, SymValue } from '../../../packages/core/src/scan/pickle/vm.js';
import { atLeast } from '../../../packages/core/src/scan/types.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const DIR = join(REPO_ROOT, 'fixtures', 'scan', 'benign-libraries');
const FILES = readdirSync(DIR).filter((name) => !name.endsWith('.md'));
/** joblib writes raw array bytes into the stream: only joblib's reading (the containers' joblib handler) goes on. */
const RAW_ARRAYS = new Set(['sklearn-pipeline-ufunc.joblib']);

function dictGet(value: SymValue, key: string): SymValue | undefined {
  return value.kind === 'dict' ? value.entries.find(([k]) => k.kind === 'str' && k.value === key)?.[1] : undefined;
}

/**
 * A minimal joblib reading for the test, from joblib 1.2's NumpyArrayWrapper.read_array: after the wrapper's
 * BUILD, a padding-length byte and the padding when `numpy_array_alignment_bytes` is set, then shape × itemsize
 * raw bytes (object arrays: a nested pickle). Enough for the float/int/bool arrays of this fixture.
 */
function joblibArrays(target: SymValue, state: SymValue, pos: number, data: Uint8Array): AfterBuild | undefined {
  if (target.kind !== 'call' || target.callee.kind !== 'global' || target.callee.name !== 'NumpyArrayWrapper') return;
  const shape = dictGet(state, 'shape');
  const dtype = dictGet(state, 'dtype');
  const code = dtype?.kind === 'call' && dtype.args.kind === 'tuple' ? dtype.args.items[0] : undefined;
  if (shape?.kind !== 'tuple' || code?.kind !== 'str') return;
  if (code.value === 'O') return { nested: { start: pos }, value: { kind: 'unknown', why: 'object array' } };
  const itemsize = Number(/(\d+)$/.exec(code.value)?.[1] ?? Number.NaN);
  let count = 1;
  for (const dim of shape.items) count *= dim.kind === 'int' ? Number(dim.value) : Number.NaN;
  const aligned = dictGet(state, 'numpy_array_alignment_bytes')?.kind === 'int';
  const padding = aligned ? 1 + (data[pos] ?? 0) : 0;
  return { skip: padding + count * itemsize, value: { kind: 'unknown', why: 'array' } };
}

describe('benign pickles made by real libraries, through the engine', () => {
  it('the fixture set is there', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(17);
  });
  for (const name of FILES) {
    it(`${name}: nothing at medium or above${RAW_ARRAYS.has(name) ? ' (but the raw arrays)' : ', not incomplete'}`, async () => {
      const report = await scanFile(join(DIR, name));
      const lines = report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n');
      expect(
        report.findings.filter((f) => atLeast(f.severity, 'high')),
        lines,
      ).toEqual([]);
      if (RAW_ARRAYS.has(name)) return;
      expect(
        report.findings.filter((f) => atLeast(f.severity, 'medium')),
        lines,
      ).toEqual([]);
      expect(report.verdict, lines).not.toBe('incomplete');
    });
  }

  it('the joblib pipeline is clean once its arrays are read as joblib reads them (the VM hook)', async () => {
    const bytes = readFileSync(join(DIR, 'sklearn-pipeline-ufunc.joblib'));
    const result = await scanPickleStream(bytes, {
      config: { allowedGlobals: [], strict: false },
      members: [],
      depth: 0,
      vm: { afterBuild: joblibArrays },
    });
    expect(result.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`)).toEqual([]);
    expect(result.pickles).toBe(1);
  });
});
