/**
 * Bounded decompression with what Node ships (node:zlib: raw deflate, zlib, gzip), and the shapes every bounded
 * decoder shares. The parsers under formats depend on nothing outside Node: the decoders that need npm packages
 * (bzip2, xz, LZMA1, LZ4) live in `../../compression`, which the scanner passes where a format reads them (zip
 * methods 12 and 14).
 *
 * Loaders read these streams incrementally and act on what they have read before a later error (pickle.load runs
 * opcodes as the bytes arrive), so a corrupt stream yields the bytes decoded before the error, with its status;
 * callers scan those bytes and report the stream as not fully inspected. Output is capped by `maxBytes` (the caller
 * passes what the per-file budget still allows): a bomb ends in status `limit`, never in memory exhaustion.
 */
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';

export type CompressionCodec =
  | 'deflate-raw'
  | 'zlib'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | 'lzma-alone'
  | 'lzma-zip'
  | 'lz4-frame'
  | 'zstd';

/** The codecs node:zlib decodes. */
export type ZlibCodec = 'deflate-raw' | 'zlib' | 'gzip';

export type DecompressStatus = 'complete' | 'limit' | 'corrupt' | 'truncated';

export interface Decompressed {
  /** What the decoder produced (at most maxBytes). */
  bytes: Uint8Array;
  /**
   * `complete`: the stream ended properly; `limit`: it decodes to more than maxBytes (bytes holds the first
   * maxBytes); `truncated`: the input ended inside the stream; `corrupt`: the decoder stopped at invalid data.
   */
  status: DecompressStatus;
  /**
   * False when the decoder could not deliver what precedes an error (lzma1 decodes all or nothing): a streaming
   * loader may have acted on bytes the scan never saw.
   */
  prefixExact: boolean;
  error?: string;
}

/** Decompresses `input` (one stream of `codec`) into at most `maxBytes`; never throws on bad data. */
export type BoundedDecompressor = (codec: CompressionCodec, input: Uint8Array, maxBytes: number) => Promise<Decompressed>;

/** Output chunks gathered up to a cap. */
export class Collector {
  private readonly chunks: Uint8Array[] = [];
  length = 0;
  limited = false;
  constructor(private readonly max: number) {}
  /** Adds a chunk; false once the cap is passed (the chunk is cut at the cap). */
  add(chunk: Uint8Array): boolean {
    if (this.limited) return false;
    const room = this.max - this.length;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.length += Math.max(0, room);
      this.limited = true;
      return false;
    }
    this.chunks.push(chunk);
    this.length += chunk.length;
    return true;
  }
  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0] as Uint8Array;
    return new Uint8Array(Buffer.concat(this.chunks, this.length));
  }
}

export function isZlibCodec(codec: CompressionCodec): codec is ZlibCodec {
  return codec === 'deflate-raw' || codec === 'zlib' || codec === 'gzip';
}

/** Decompresses one raw-deflate, zlib or gzip stream with node:zlib, capped at `maxBytes`. */
export function inflateBounded(codec: ZlibCodec, input: Uint8Array, maxBytes: number): Promise<Decompressed> {
  const max = Math.max(0, Math.floor(maxBytes));
  const stream = codec === 'deflate-raw' ? createInflateRaw() : codec === 'zlib' ? createInflate() : createGunzip();
  const out = new Collector(max);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: DecompressStatus, error?: string) => {
      if (settled) return;
      settled = true;
      stream.removeAllListeners('data');
      stream.destroy();
      resolve({ bytes: out.bytes(), status, prefixExact: true, ...(error ? { error } : {}) });
    };
    stream.on('data', (chunk: Buffer) => {
      if (!out.add(chunk)) finish('limit', `decompresses to more than ${max} bytes`);
    });
    stream.on('end', () => finish('complete'));
    stream.on('error', (error: NodeJS.ErrnoException) => {
      const truncated = error.code === 'Z_BUF_ERROR' || /unexpected end/i.test(error.message);
      finish(truncated ? 'truncated' : 'corrupt', error.message);
    });
    stream.end(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  });
}
