import { describe, expect, it } from 'vitest';
import { PickleBuilder } from '#test-support/fixture-builders';
import { type ByteSource, memorySource } from '../../formats/byte-source.js';
import { createScanBudget } from '../budget.js';
import type { ScanContext } from '../types.js';
import { PICKLE_READING_FIRST_WINDOW, readAsPickle } from './reading.js';

function ctx(): ScanContext {
  return {
    config: { allowedGlobals: [], strict: false },
    budget: createScanBudget(),
    hints: {},
    depth: 0,
    members: [],
    scanNested: async () => ({ findings: [], errors: [], format: 'unknown' }),
  };
}

/** A source that records what was read (the reading of most files must cost almost nothing). */
function recorded(bytes: Uint8Array, size = bytes.length): { source: ByteSource; reads: [number, number][] } {
  const reads: [number, number][] = [];
  const inner = memorySource(bytes);
  return {
    reads,
    source: {
      size,
      read: async (offset, length) => {
        reads.push([offset, length]);
        return inner.read(offset, length);
      },
      close: async () => {},
    },
  };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('readAsPickle: the pickle reading of any file', () => {
  it('requirements.txt is inert: TUPLE without MARK fails before any effect', async () => {
    const result = await readAsPickle(memorySource(text('torch==2.3.1\nnumpy>=1.24\ntransformers\n')), ctx());
    expect(result).toEqual({ findings: [], errors: [], inert: true, complete: false, acted: false });
  });

  it('an empty file and a Markdown file are inert', async () => {
    expect((await readAsPickle(memorySource(new Uint8Array()), ctx())).inert).toBe(true);
    expect((await readAsPickle(memorySource(text('# Model card\n\nA model.\n')), ctx())).inert).toBe(true);
  });

  it('class labels reading `c<module>\\n<name>\\n`: an import, then a break: low, never high or incomplete', async () => {
    const result = await readAsPickle(memorySource(text('cat\ndog\nbird\nfish\n')), ctx());
    expect(result.inert).toBe(false);
    expect(result.findings.map((f) => [f.ruleId, f.severity, f.incomplete ?? false])).toEqual([['MS-PKL-014', 'low', false]]);
  });

  it('a payload is judged: os.system called', async () => {
    const bytes = new PickleBuilder().proto(2).global('os', 'system').unicode('id').tuple1().reduce().stop().bytes();
    const result = await readAsPickle(memorySource(bytes), ctx());
    expect(result.inert).toBe(false);
    expect(result.findings.map((f) => [f.ruleId, f.severity])).toContainEqual(['MS-PKL-001', 'critical']);
  });

  it('a 2 GB safetensors file costs one small read', async () => {
    const header = text('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const head = new Uint8Array(8 + header.length);
    new DataView(head.buffer).setBigUint64(0, BigInt(header.length), true);
    head.set(header, 8);
    const { source, reads } = recorded(head, 2 * 1024 ** 3);
    expect((await readAsPickle(source, ctx())).inert).toBe(true);
    expect(reads).toEqual([[0, PICKLE_READING_FIRST_WINDOW]]);
  });

  it('a long argument before the first effect reads a larger window, not the whole file', async () => {
    // BINBYTES of 100 KB (no effect), then os.system: the first window ends inside the bytes.
    const size = 100_000;
    const tail = new PickleBuilder().pop().global('os', 'system').stop().bytes();
    const bytes = new Uint8Array(7 + size + tail.length);
    bytes.set([0x80, 3, 0x42, size & 0xff, (size >> 8) & 0xff, (size >> 16) & 0xff, 0]);
    bytes.set(tail, 7 + size);
    const { source, reads } = recorded(bytes);
    const result = await readAsPickle(source, ctx());
    expect(result.inert).toBe(false);
    expect(result.findings.map((f) => f.ruleId)).toContain('MS-PKL-002');
    expect(reads.length).toBe(2);
  });
});
