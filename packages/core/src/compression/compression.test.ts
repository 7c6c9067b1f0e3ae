import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressBounded } from './index.js';

/**
 * Vectors written by CPython 3.11's bz2/lzma modules and python-lz4 4.0.2 (lz4.frame), as joblib and tarfile write
 * them: two concatenated streams (or frames) where the format allows it.
 */
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const BZ2_TWO_STREAMS = hex(
  '425a6839314159265359faf72d1f00000219804000000823221c002000310030201a62321027904e3c5dc914e14243ebdcb47c425a68393141592653590f7550a8000005918040012e039c0020002298343210340d0903d7a709490e1772453850900f7550a8',
);
const XZ_TWO_STREAMS = hex(
  'fd377a585a000004e6d6b4460200210116000000742fe5a301000c66697273742073747265616d3b000000001aaebb13ccaffdd20001250d7119c4b61fb6f37d010000000004595afd377a585a000004e6d6b4460200210116000000742fe5a301000d7365636f6e642073747265616d2e000000d59287bf7622f8060001260e081be0041fb6f37d010000000004595a',
);
const LZMA_ALONE = hex('5d00008000ffffffffffffffff00331a4aac0c72c1ce317750599c03f48b3fa0b04ba80eae19cbfffffaeab000');
const LZ4_TWO_FRAMES = hex(
  '04224d186c400d00000000000000ce0d00008066697273742073747265616d3b000000008bd918e104224d18784018010000000000002018000000ef7365636f6e642073747265616d2e0e00f2507265616d2eaac9f8f600000000',
);
/** bz2.compress(b'\0' * 8 MiB): 48 bytes. */
const BZ2_BOMB = hex('425a6839314159265359a23d4b580040404080c00000040008200030cc0529a60100d8808078bb9229c2848511ea5ac0');

describe('decompressBounded', () => {
  it('reads concatenated bz2, xz and lz4 streams as Python file objects read them, and .lzma alone files', async () => {
    expect(text((await decompressBounded('bzip2', BZ2_TWO_STREAMS, 1 << 20)).bytes)).toBe('first stream;second stream.');
    expect(text((await decompressBounded('xz', XZ_TWO_STREAMS, 1 << 20)).bytes)).toBe('first stream;second stream.');
    const lzma = await decompressBounded('lzma-alone', LZMA_ALONE, 1 << 20);
    expect([text(lzma.bytes), lzma.status]).toEqual(['first stream;second stream.', 'complete']);
    const lz4 = await decompressBounded('lz4-frame', LZ4_TWO_FRAMES, 1 << 20);
    expect([text(lz4.bytes), lz4.status]).toEqual([`first stream;${'second stream.'.repeat(20)}`, 'complete']);
  });

  it('reads zip method 14 (LZMA SDK version, properties size, properties, raw stream)', async () => {
    // The zip form carries the same 5 property bytes as the .lzma header, without the 8-byte size.
    const zipForm = new Uint8Array([9, 4, 5, 0, ...LZMA_ALONE.subarray(0, 5), ...LZMA_ALONE.subarray(13)]);
    expect(text((await decompressBounded('lzma-zip', zipForm, 1 << 20)).bytes)).toBe('first stream;second stream.');
  });

  it('stops every codec at the cap (bombs end in status limit with the first maxBytes)', async () => {
    const zeros = new Uint8Array(4 << 20);
    for (const [codec, input] of [
      ['deflate-raw', deflateRawSync(zeros)],
      ['zlib', deflateSync(zeros)],
      ['gzip', gzipSync(zeros)],
      ['bzip2', BZ2_BOMB],
    ] as const) {
      const out = await decompressBounded(codec, input, 1000);
      expect([codec, out.status, out.bytes.length]).toEqual([codec, 'limit', 1000]);
    }
    const lzmaCapped = await decompressBounded('lzma-alone', LZMA_ALONE, 5);
    expect([lzmaCapped.status, text(lzmaCapped.bytes)]).toEqual(['limit', 'first']);
    const lz4Capped = await decompressBounded('lz4-frame', LZ4_TWO_FRAMES, 20);
    expect(lz4Capped.status).toBe('limit');
    expect(lz4Capped.bytes.length).toBeLessThanOrEqual(20);
  });

  it('keeps what a streaming loader would have read before a truncation or corruption', async () => {
    const payload = new TextEncoder().encode('x'.repeat(200_000));
    const gz = gzipSync(payload);
    const cut = await decompressBounded('gzip', gz.subarray(0, gz.length - 100), 1 << 20);
    expect(cut.status).toBe('truncated');
    expect(cut.bytes.length).toBeGreaterThan(0);
    const notZlib = await decompressBounded('zlib', new TextEncoder().encode('x^ this is a text file'), 1 << 20);
    expect([notZlib.status, notZlib.bytes.length]).toEqual(['corrupt', 0]);
    const badLzma = await decompressBounded('lzma-alone', hex('5d00008000ffffffffffffffff0102030405'), 1 << 20);
    expect(['corrupt', 'truncated']).toContain(badLzma.status);
    const notLz4 = await decompressBounded('lz4-frame', new Uint8Array([1, 2, 3, 4, 5]), 1 << 20);
    expect(notLz4.status).toBe('corrupt');
  });
});
