import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { xorshift32 } from '#test-support/fixture-builders';
import { ModelsecError } from '../../errors/index.js';
import { type ByteSource, memorySource } from '../../formats/byte-source.js';
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
    ['a size that does not match the shape', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } }, 8, /needs 16 bytes/],
    ['an unknown dtype', { a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, 1, /unknown dtype/],
    [
      'a dtype named like a prototype member',
      { a: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } },
      4,
      /unknown dtype/,
    ],
    ['a negative dimension', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4, /invalid shape/],
  ])('refuses %s', async (_label, header, data, message) => {
    await expect(readSafetensorsHeader(memorySource(safetensors(header, data)), 'x')).rejects.toThrow(message);
  });

  it('refuses a header length beyond the file', async () => {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(1000n);
    await expect(readSafetensorsHeader(memorySource(bytes), 'x')).rejects.toBeInstanceOf(HeaderError);
  });

  it('still summarises a header with gaps or trailing bytes (every count is right)', async () => {
    const bytes = safetensors(
      { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, b: { dtype: 'U8', shape: [2], data_offsets: [8, 10] } },
      16,
    );
    expect(await readSafetensorsHeader(memorySource(bytes), 'x')).toEqual({
      file: 'x',
      format: 'safetensors',
      parameterCount: 3,
      tensorCount: 2,
      dtypes: { F32: 1, U8: 2 },
      facts: {},
    });
  });
});

describe('HeaderError', () => {
  it('is a ModelsecError whose code says malformed or over a limit, naming the file', async () => {
    const lie = safetensors({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } }, 8);
    const error = await readWeightHeader('safetensors', memorySource(lie), 'dir/model.safetensors').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelsecError);
    expect(error).toMatchObject({
      code: 'FORMAT_INVALID',
      message: expect.stringMatching(/^dir\/model\.safetensors: safetensors header not usable \(tensor 'a' /),
      details: { file: 'dir/model.safetensors', format: 'safetensors', tensor: 'a', problem: 'size-mismatch' },
    });
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(1n << 40n);
    await expect(readWeightHeader('safetensors', memorySource(huge), 'big.safetensors')).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      reason: expect.stringContaining('MAX_SAFETENSORS_HEADER_BYTES'),
      details: { file: 'big.safetensors' },
    });
  });

  it('is not used for I/O failures, which propagate as they are', async () => {
    const failing: ByteSource = {
      size: 1000,
      read: async () => {
        throw new Error('disk on fire');
      },
      close: async () => {},
    };
    for (const format of ['safetensors', 'gguf', 'onnx', 'pytorch'] as const) {
      await expect(readWeightHeader(format, failing, 'x')).rejects.toThrow(/^disk on fire$/);
    }
  });
});

describe('summaries of the fixtures', () => {
  it('safetensors, GGUF, ONNX and PyTorch zip', async () => {
    const read = (format: WeightFormat, name: string) => readWeightHeader(format, memorySource(fixture(name)), name);
    expect(await read('safetensors', 'hf-tiny-llama/model-00001-of-00002.safetensors')).toEqual({
      file: 'hf-tiny-llama/model-00001-of-00002.safetensors',
      format: 'safetensors',
      parameterCount: 1792,
      tensorCount: 4,
      dtypes: { BF16: 1792 },
      facts: { format: 'pt' },
    });
    expect(await read('gguf', 'tiny.gguf')).toEqual({
      file: 'tiny.gguf',
      format: 'gguf',
      parameterCount: 144,
      tensorCount: 2,
      dtypes: { F16: 128, F32: 16 },
      facts: {
        'gguf:version': '3',
        architecture: 'llama',
        contextLength: '4096',
        name: 'tiny-gguf',
        quantization: 'F16',
        tokenizer: 'llama',
        license: 'mit',
      },
      chatTemplate: expect.stringMatching(/^\{% for message in messages %\}/),
    });
    expect(await read('onnx', 'tiny.onnx')).toEqual({
      file: 'tiny.onnx',
      format: 'onnx',
      facts: {
        irVersion: '8',
        producerName: 'modelsec-fixtures',
        producerVersion: '1.0',
        opset: '17',
        opsetImports: 'ai.onnx:17',
      },
    });
    expect(await read('pytorch', 'tiny-checkpoint.pt')).toEqual({
      file: 'tiny-checkpoint.pt',
      format: 'pytorch',
      facts: {
        'pytorch:members': '4',
        'pytorch:storages': '1',
        'pytorch:pickles': 'tiny-checkpoint/data.pkl',
        'pytorch:tensors': '1',
        'pytorch:storage_dtypes': 'F32',
      },
    });
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
    await expect(readPytorchZipHeader(memorySource(Uint8Array.from([0x80, 0x02, 0x7d, 0x2e])), 'x')).rejects.toThrow(
      /not a zip.*legacy pickle checkpoints are not summarised/,
    );
  });
});

describe('mutated and truncated fixtures never crash a header reader', () => {
  const cases: Array<[string, WeightFormat]> = [
    ['hf-tiny-llama/model-00001-of-00002.safetensors', 'safetensors'],
    ['tiny.gguf', 'gguf'],
    ['tiny.onnx', 'onnx'],
    ['tiny-checkpoint.pt', 'pytorch'],
  ];
  it.each(cases)('%s: 300 mutations resolve or throw HeaderError', async (name, format) => {
    const original = fixture(name);
    const next = xorshift32(0x5eed + name.length);
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
