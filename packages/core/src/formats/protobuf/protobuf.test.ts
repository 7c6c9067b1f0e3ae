import { describe, expect, it } from 'vitest';
import { recordingSource } from '../../../../../tests/helpers/recording-source.js';
import { type ByteSource, memorySource } from '../byte-source.js';
import { protoFields, protoFieldsOfSource } from './index.js';

/** Fields as comparable plain values, or the error code and message. */
function inMemory(bytes: Uint8Array): unknown {
  try {
    return [...protoFields(bytes)].map((f) => (f.wire === 0 ? f : { ...f, value: [...f.value] }));
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
}

async function fromSource(source: ByteSource, bytes: Uint8Array): Promise<unknown> {
  const out: unknown[] = [];
  try {
    for await (const f of protoFieldsOfSource(source)) {
      if (f.wire === 2) {
        const value = await f.read();
        expect(value).toEqual(bytes.subarray(f.offset, f.offset + f.length));
        out.push({ field: f.field, wire: 2, value: [...value] });
      } else if (f.wire === 0) out.push(f);
      else out.push({ ...f, value: [...f.value] });
    }
    return out;
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
}

describe('protoFieldsOfSource', () => {
  it('gives the same fields and the same errors as protoFields, on random and truncated input', async () => {
    let seed = 0x2545f491;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const valid = Uint8Array.from([
      0x08, 0x96, 0x01, 0x12, 0x03, 0x61, 0x62, 0x63, 0x1d, 1, 2, 3, 4, 0x21, 1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    for (let i = 0; i < 1000; i++) {
      const bytes =
        i % 2 === 0
          ? Uint8Array.from({ length: rand() % 64 }, () => rand() & 0xff)
          : valid.subarray(0, rand() % (valid.length + 1));
      expect(await fromSource(memorySource(bytes), bytes), `input ${i}`).toEqual(inMemory(bytes));
    }
  });

  it('steps over a large length-delimited field without reading it', async () => {
    const big = 4 * 1024 * 1024;
    // field 1 varint 7, field 7 (4 MiB, length varint 0x80 0x80 0x80 0x02), field 8 "x"
    const bytes = new Uint8Array(2 + 1 + 4 + big + 3);
    bytes.set([0x08, 0x07, 0x3a, 0x80, 0x80, 0x80, 0x02], 0);
    bytes.set([0x42, 0x01, 0x78], 7 + big);
    const { source, bytesRead } = recordingSource(bytes);
    const fields = [];
    for await (const f of protoFieldsOfSource(source)) {
      if (f.wire === 2 && f.field === 8) expect(await f.read()).toEqual(Uint8Array.from([0x78]));
      fields.push(f.wire === 2 ? { field: f.field, offset: f.offset, length: f.length } : f);
    }
    expect(fields).toEqual([
      { field: 1, wire: 0, value: 7n },
      { field: 7, offset: 7, length: big },
      { field: 8, offset: 7 + big + 2, length: 1 },
    ]);
    expect(bytesRead()).toBeLessThan(256 * 1024);
  });
});
