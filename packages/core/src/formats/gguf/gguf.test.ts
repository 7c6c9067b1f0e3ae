import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../byte-source.js';
import {
  ggmlTypeName,
  ggufModelInfo,
  ggufParameterCounts,
  isGgufModelInfoKey,
  llamaFileTypeName,
  readGgufHeader,
} from './index.js';

const TINY = join(import.meta.dirname, '..', '..', '..', '..', '..', 'fixtures', 'models', 'tiny.gguf');

/** GGUF value builders (little-endian). */
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
const str = (s: string) => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);
type Value = Buffer; // type id + encoded value
const STRING = (s: string): Value => Buffer.concat([u32(8), str(s)]);
const U32 = (n: number): Value => Buffer.concat([u32(4), u32(n)]);
const STRINGS = (items: string[]): Value => Buffer.concat([u32(9), u32(8), u64(BigInt(items.length)), ...items.map(str)]);
const NESTED = (): Value => Buffer.concat([u32(9), u32(9), u64(1n), u32(4), u64(0n)]);

function gguf(kv: Array<[string, Value]>, tensors: Array<{ name: string; dims: bigint[]; type: number }> = []): Uint8Array {
  return Buffer.concat([
    Buffer.from('GGUF', 'latin1'),
    u32(3),
    u64(BigInt(tensors.length)),
    u64(BigInt(kv.length)),
    ...kv.flatMap(([k, v]) => [str(k), v]),
    ...tensors.flatMap((t) => [str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type), u64(0n)]),
  ]);
}

describe('readGgufHeader keepKey', () => {
  it('keeps the chosen keys with the values a full read gives, and the same tensors', async () => {
    const bytes = new Uint8Array(readFileSync(TINY));
    const full = await readGgufHeader(memorySource(bytes));
    const kept = await readGgufHeader(memorySource(bytes), { keepKey: isGgufModelInfoKey });
    const expected = Object.fromEntries(Object.entries(full.metadata).filter(([k]) => isGgufModelInfoKey(k)));
    expect(kept.metadata).toEqual(expected);
    expect(Object.keys(kept.metadata)).not.toContain('tokenizer.ggml.tokens');
    expect(kept.tensors).toEqual(full.tensors);
    expect(kept.version).toBe(full.version);
  });

  it('still walks and checks the values it does not keep', async () => {
    const skip = { keepKey: () => false };
    const nested = gguf([['x.nested', NESTED()]]);
    await expect(readGgufHeader(memorySource(nested), skip)).rejects.toMatchObject({
      code: 'FORMAT_INVALID',
      message: expect.stringMatching(/nested arrays/),
    });
    const truncated = gguf([['x.vocab', STRINGS(['a', 'bb', 'ccc'])]]);
    await expect(readGgufHeader(memorySource(truncated.subarray(0, truncated.length - 2)), skip)).rejects.toMatchObject({
      code: 'FORMAT_INVALID',
    });
    const tooLong = gguf([['x.s', Buffer.concat([u32(8), u64(17n * 1024n * 1024n)])]]);
    await expect(readGgufHeader(memorySource(tooLong), skip)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const fine = await readGgufHeader(
      memorySource(
        gguf([
          ['x.vocab', STRINGS(['a', 'b'])],
          ['x.n', U32(7)],
        ]),
      ),
      skip,
    );
    expect(fine.metadata).toEqual({});
  });
});

describe('GGUF model facts', () => {
  it('reads architecture, context length, quantisation, tokenizer, license and chat template of the fixture', async () => {
    const header = await readGgufHeader(memorySource(new Uint8Array(readFileSync(TINY))));
    expect(ggufModelInfo(header.metadata)).toEqual({
      architecture: 'llama',
      contextLength: 4096,
      name: 'tiny-gguf',
      license: 'mit',
      quantization: 'F16',
      tokenizerModel: 'llama',
      chatTemplate: expect.stringContaining('add_generation_prompt'),
    });
    expect(ggufParameterCounts(header)).toEqual({ parameterCount: 144, dtypes: { F16: 128, F32: 16 } });
  });

  it('leaves out values of the wrong type and names unknown ids', async () => {
    const header = await readGgufHeader(
      memorySource(
        gguf([
          ['general.architecture', STRING('toString')],
          ['toString.context_length', STRING('4096')],
          ['general.file_type', U32(99)],
          ['general.name', U32(1)],
        ]),
      ),
    );
    expect(ggufModelInfo(header.metadata)).toEqual({ architecture: 'toString', quantization: 'file_type 99' });
    expect(ggmlTypeName(99)).toBe('type99');
    expect(llamaFileTypeName(15)).toBe('Q4_K_M');
  });

  it('counts parameters per tensor type, and refuses counts past a safe integer', async () => {
    const header = await readGgufHeader(
      memorySource(
        gguf(
          [],
          [
            { name: 'a', dims: [4n, 8n], type: 12 },
            { name: 'b', dims: [3n], type: 0 },
            { name: 'c', dims: [2n], type: 12 },
          ],
        ),
      ),
    );
    expect(ggufParameterCounts(header)).toEqual({ parameterCount: 37, dtypes: { F32: 3, Q4_K: 34 } });
    const huge = await readGgufHeader(memorySource(gguf([], [{ name: 'h', dims: [1n << 30n, 1n << 30n], type: 0 }])));
    expect(() => ggufParameterCounts(huge)).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
  });
});

describe('readGgufHeader on hostile metadata keys', () => {
  it('keeps a key named __proto__ as data (null-prototype metadata, no prototype change)', async () => {
    const header = await readGgufHeader(
      memorySource(
        gguf([
          ['__proto__', STRING('{{ evil }}')],
          ['constructor', U32(1)],
        ]),
      ),
    );
    expect(Object.getPrototypeOf(header.metadata)).toBeNull();
    expect(Object.keys(header.metadata).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(header.metadata, '__proto__')?.value).toBe('{{ evil }}');
  });

  it('refuses a repeated key (loaders disagree on which value wins): FORMAT_INVALID naming it', async () => {
    const twice = gguf([
      ['tokenizer.chat_template', STRING('{{ messages }}')],
      ['tokenizer.chat_template', STRING("{{ ''.__class__ }}")],
    ]);
    await expect(readGgufHeader(memorySource(twice))).rejects.toMatchObject({
      code: 'FORMAT_INVALID',
      details: { key: 'tokenizer.chat_template' },
    });
  });
});
