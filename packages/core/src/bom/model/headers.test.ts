import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../formats/byte-source.js';
import {
  HeaderError,
  readGgufHeader,
  readOnnxHeader,
  readPytorchZipHeader,
  readSafetensorsHeader,
  readWeightHeader,
} from './headers.js';
import type { WeightFormat } from './types.js';

const MODELS = join(import.meta.dirname, '..', '..', '..', '..', '..', 'fixtures', 'models');
const fixture = (name: string) => new Uint8Array(readFileSync(join(MODELS, name)));

function safetensors(header: unknown, dataBytes: number): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + dataBytes);
  out.writeBigUInt64LE(BigInt(json.length));
  json.copy(out, 8);
  return out;
}

describe('safetensors header', () => {
  it('counts parameters per dtype', async () => {
    const bytes = safetensors(
      { a: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] }, b: { dtype: 'I64', shape: [1], data_offsets: [12, 20] } },
      20,
    );
    expect(await readSafetensorsHeader(memorySource(bytes), 'x')).toMatchObject({
      parameterCount: 7,
      tensorCount: 2,
      dtypes: { F16: 6, I64: 1 },
    });
  });

  it.each([
    [
      'overlapping tensors',
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      12,
      /overlap/,
    ],
    ['a size that does not match the shape', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } }, 8, /claims 4 F32/],
    ['an unknown dtype', { a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, 1, /unknown dtype/],
    ['a negative dimension', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4, /invalid shape/],
  ])('refuses %s', async (_label, header, data, message) => {
    await expect(readSafetensorsHeader(memorySource(safetensors(header, data)), 'x')).rejects.toThrow(message);
  });

  it('refuses a header length beyond the file', async () => {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(1000n);
    await expect(readSafetensorsHeader(memorySource(bytes), 'x')).rejects.toBeInstanceOf(HeaderError);
  });
});

describe('other formats refuse what they are not', () => {
  it('GGUF: bad magic, truncated', async () => {
    await expect(readGgufHeader(memorySource(Buffer.from('GGML0000')), 'x')).rejects.toThrow(/magic/);
    const gguf = fixture('tiny.gguf');
    await expect(readGgufHeader(memorySource(gguf.subarray(0, 100)), 'x')).rejects.toBeInstanceOf(HeaderError);
  });

  it('ONNX: an unknown wire type', async () => {
    await expect(readOnnxHeader(memorySource(Uint8Array.from([0x0f, 0x00])), 'x')).rejects.toBeInstanceOf(HeaderError);
  });

  it('PyTorch: not a zip archive (a legacy pickle)', async () => {
    await expect(readPytorchZipHeader(memorySource(Uint8Array.from([0x80, 0x02, 0x7d, 0x2e])), 'x')).rejects.toThrow(/not a zip/);
  });
});

/** xorshift32: deterministic mutations. */
function rng(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe('mutated and truncated fixtures never crash a header reader', () => {
  const cases: Array<[string, WeightFormat]> = [
    ['hf-tiny-llama/model-00001-of-00002.safetensors', 'safetensors'],
    ['tiny.gguf', 'gguf'],
    ['tiny.onnx', 'onnx'],
    ['tiny-checkpoint.pt', 'pytorch'],
  ];
  it.each(cases)('%s: 300 mutations resolve or throw HeaderError', async (name, format) => {
    const original = fixture(name);
    const next = rng(0x5eed + name.length);
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(original);
      const cut = i % 3 === 0 ? next() % bytes.length : bytes.length;
      for (let m = 0; m < 1 + (next() % 4); m++) bytes[next() % bytes.length] = next() & 0xff;
      try {
        await readWeightHeader(format, memorySource(bytes.subarray(0, cut)), name);
      } catch (error) {
        expect(error, `mutation ${i}`).toBeInstanceOf(HeaderError);
      }
    }
  });
});
