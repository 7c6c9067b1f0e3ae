/**
 * Compressed joblib files, opened as joblib.load opens them (numpy_pickle_utils._detect_compressor: the first
 * bytes against each registered compressor's prefix): 'ZF' (joblib < 0.10: 'ZF', the hex length padded to 19
 * characters, an optional space, one whole zlib stream), then zlib (0x78), gzip, bz2 ('BZ'), lzma ('\x5d\x00'), xz,
 * lz4 (a frame). The stream is decompressed within the per-file budget and its content scanned through
 * ctx.scanNested (a pickle there is read as joblib.load and pickle.load read it, see pickle-support.ts). joblib
 * reads compressed streams incrementally: the bytes decoded before an error are what it acts on, so they are
 * scanned; a stream that yields nothing runs nothing.
 */

import { type CompressionCodec, decompressBounded } from '../../compression/index.js';
import type { ByteSource } from '../../formats/byte-source.js';
import { pythonInt } from '../../formats/python/int.js';
import type { FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { budgetedRead, type Collected } from './archives.js';
import { type Codec, joblibCodec } from './joblib-codec.js';

export { joblibCodec };

const CODECS: Readonly<Record<Exclude<Codec, 'none' | 'zf'>, CompressionCodec>> = {
  zlib: 'zlib',
  gzip: 'gzip',
  bz2: 'bzip2',
  lzma: 'lzma-alone',
  xz: 'xz',
  lz4: 'lz4-frame',
};

/** numpy_pickle_compat: len('ZF') + len(hex(2 ** 64)) header bytes. */
const ZF_HEADER_BYTES = 2 + 19;

export const joblibHandler: FormatHandler = {
  formats: ['joblib'],
  async scan(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
    const out: Collected = { findings: [], errors: [] };
    const raw = await source.read(0, source.size);
    const codec = joblibCodec(raw);
    if (codec === 'none') return out;
    const label = `(joblib ${codec} content)`;
    let bytes: Uint8Array | undefined;
    if (codec === 'zf') {
      // read_zfile: int(header[2:21], 16); a space may follow; zlib.decompress of the rest, all or nothing.
      const declared = pythonInt(String.fromCharCode(...raw.subarray(2, ZF_HEADER_BYTES)), 16);
      if (declared === undefined) return out; // joblib raises before reading any data
      const start = raw[ZF_HEADER_BYTES] === 0x20 ? ZF_HEADER_BYTES + 1 : ZF_HEADER_BYTES;
      bytes = await budgetedRead(
        ctx,
        label,
        async (max) => {
          const result = await decompressBounded('zlib', raw.subarray(start), max);
          // zlib.decompress is not incremental: a stream that does not end properly yields nothing to unpickle.
          return result.status === 'complete' || result.status === 'limit' ? result : { ...result, bytes: new Uint8Array() };
        },
        out,
      );
    } else bytes = await budgetedRead(ctx, label, (max) => decompressBounded(CODECS[codec], raw, max), out);
    if (bytes) {
      const nested = await ctx.scanNested(bytes, label);
      out.findings.push(...nested.findings);
      out.errors.push(...nested.errors);
    }
    return out;
  },
};
