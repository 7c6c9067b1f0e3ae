/**
 * Bounded decompression of every stream format a model loader opens transparently: zip members (deflate, bzip2,
 * lzma), gzip/zlib/bz2/xz/lzma/lz4 files (joblib's compressors, tarfile's `r:*`), compressed nested pickles. The
 * shapes (Decompressed, statuses) and the node:zlib codecs are formats/compression's; this module adds the codecs
 * that need npm packages, which is why it sits outside formats (whose parsers depend on nothing outside Node).
 *
 * Libraries: node:zlib (deflate/zlib/gzip), seek-bzip (bzip2, concatenated streams), xz-decompress (xz, WASM
 * build of xz-embedded), lzma1 (LZMA1: `.lzma` alone files and zip method 14), lz4js (LZ4 blocks; the frame layer
 * is read here as python-lz4's LZ4FrameFile reads it), fzstd (Zstandard: pandas reads `.zst` pickles and CSVs; every
 * frame header is checked here first, since the decoder allocates the window a header declares).
 */
/// <reference path="./vendor.d.ts" />
import { Readable } from 'node:stream';
import {
  Collector,
  type CompressionCodec,
  type Decompressed,
  type DecompressStatus,
  inflateBounded,
} from '../formats/compression/index.js';
import { withoutSha256Checks } from './xz-check.js';

export type { CompressionCodec, Decompressed, DecompressStatus };

/**
 * The decoder libraries are loaded on first use: most scans decompress nothing (or only zlib), and a process that
 * only scans should not pay for evaluating a WASM bundle and two decoders at start-up.
 */
let bunzip: Promise<typeof import('seek-bzip').default> | undefined;
let xzModule: Promise<typeof import('xz-decompress')> | undefined;
let lz4: Promise<typeof import('lz4js').decompressBlock> | undefined;
let fzstd: Promise<typeof import('fzstd')> | undefined;

/**
 * Largest LZMA dictionary honoured. The dictionary only needs to span the output produced so far, so it is clamped
 * to the output cap too; a stream referring further back than this fails (status corrupt), it is never read wrong.
 * xz -9 and Python's presets use at most 64 MiB.
 */
export const MAX_LZMA_DICTIONARY_BYTES = 256 * 1024 * 1024;
/**
 * Compressed LZMA1 input decoded (lzma1 is pure JavaScript: about 1-20 MB/s of input). Larger `.lzma` streams and
 * LZMA zip members end in status `limit` (not inspected), never in minutes of CPU. The format is rare in models.
 */
export const MAX_LZMA1_INPUT_BYTES = 32 * 1024 * 1024;
/** LZ4 frames read one after another in one stream (python-lz4's LZ4FrameFile reads concatenated frames). */
export const MAX_LZ4_FRAMES = 100_000;
/**
 * Largest Zstandard window honoured: the decoder allocates the window a frame header declares (up to 2 GiB), so a
 * 20-byte file could claim it. 128 MiB is python-zstandard's and the zstd CLI's default limit (window log 27): a
 * frame needing more does not decode for the victim's loader either.
 */
export const MAX_ZSTD_WINDOW_BYTES = 128 * 1024 * 1024;
/** Zstandard frames read one after another in one stream (concatenated frames decode as one stream). */
export const MAX_ZSTD_FRAMES = 100_000;
/** Compressed bytes handed to the Zstandard decoder at a time (bounds the output one push can make). */
const ZSTD_PUSH_BYTES = 64 * 1024;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Decompresses `input` (one stream of `codec`, or several concatenated where the loader reads them so). */
export async function decompressBounded(codec: CompressionCodec, input: Uint8Array, maxBytes: number): Promise<Decompressed> {
  const max = Math.max(0, Math.floor(maxBytes));
  switch (codec) {
    case 'deflate-raw':
    case 'zlib':
    case 'gzip':
      return inflateBounded(codec, input, max);
    case 'bzip2':
      return bzip2(input, max);
    case 'xz':
      return xz(input, max);
    case 'lzma-alone':
      return lzmaAlone(input, max);
    case 'lzma-zip':
      return lzmaZip(input, max);
    case 'zstd':
      return zstd(input, max);
    case 'lz4-frame':
      lz4 ??= import('lz4js').then((m) => m.decompressBlock);
      return lz4Frames(input, max, await lz4);
  }
}

class LimitReached extends Error {}

async function bzip2(input: Uint8Array, max: number): Promise<Decompressed> {
  bunzip ??= import('seek-bzip').then((m) => m.default);
  const Bunzip = await bunzip;
  // seek-bzip writes byte by byte; a bounded writer stops it at the cap.
  const buffer = new Uint8Array(Math.min(max, Math.max(1024, input.length * 8)));
  let data = buffer;
  let length = 0;
  const writer = {
    writeByte(byte: number) {
      if (length >= max) throw new LimitReached();
      if (length >= data.length) {
        const grown = new Uint8Array(Math.min(max, data.length * 2));
        grown.set(data);
        data = grown;
      }
      data[length++] = byte;
    },
  };
  try {
    // Python's bz2.BZ2File (joblib, tarfile) reads concatenated streams; zipfile's BZ2Decompressor reads one,
    // which is a prefix of this reading.
    Bunzip.decode(input, writer, true);
    return { bytes: data.subarray(0, length), status: 'complete', prefixExact: true };
  } catch (error) {
    if (error instanceof LimitReached)
      return {
        bytes: data.subarray(0, length),
        status: 'limit',
        prefixExact: true,
        error: `decompresses to more than ${max} bytes`,
      };
    const text = message(error);
    return {
      bytes: data.subarray(0, length),
      status: /end of|eof|unexpected/i.test(text) ? 'truncated' : 'corrupt',
      // seek-bzip emits a block only once it is fully decoded, like Python's decompressor.
      prefixExact: true,
      error: text,
    };
  }
}

async function xz(input: Uint8Array, max: number): Promise<Decompressed> {
  const out = new Collector(max);
  // XZ Embedded (xz-decompress) cannot read SHA-256-checked streams: they are rewritten to check None (xz-check.ts).
  const data = withoutSha256Checks(input);
  const source = Readable.toWeb(Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
  // xz-decompress is a webpack UMD bundle: Node sees only its default export.
  xzModule ??= import('xz-decompress').then((m) => m.default as unknown as typeof import('xz-decompress'));
  const { XzReadableStream } = await xzModule;
  const reader = new XzReadableStream(source as unknown as ReadableStream<Uint8Array>).getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return { bytes: out.bytes(), status: 'complete', prefixExact: true };
      if (!out.add(value)) {
        await reader.cancel().catch(() => {});
        return { bytes: out.bytes(), status: 'limit', prefixExact: true, error: `decompresses to more than ${max} bytes` };
      }
    }
  } catch (error) {
    const text = message(error);
    return { bytes: out.bytes(), status: /truncat|end of/i.test(text) ? 'truncated' : 'corrupt', prefixExact: true, error: text };
  }
}

/**
 * `.lzma` (LZMA1 "alone": 5 property bytes, 8-byte size, stream). The size field is rewritten to at most max + 1 so
 * the decoder stops there (an end marker before it still ends the stream), and the dictionary is clamped.
 */
function lzmaAlone(input: Uint8Array, max: number): Promise<Decompressed> | Decompressed {
  if (input.length < 13)
    return { bytes: new Uint8Array(), status: 'truncated', prefixExact: true, error: 'lzma header truncated' };
  const props = input.subarray(0, 5);
  const declared = new DataView(input.buffer, input.byteOffset + 5, 8).getBigUint64(0, true);
  return lzmaRaw(props, declared === 0xffff_ffff_ffff_ffffn ? undefined : declared, input.subarray(13), max);
}

/** Zip method 14: 2-byte LZMA SDK version, 2-byte properties size, properties, raw LZMA1 stream (APPNOTE 5.8). */
function lzmaZip(input: Uint8Array, max: number): Promise<Decompressed> | Decompressed {
  if (input.length < 4)
    return { bytes: new Uint8Array(), status: 'truncated', prefixExact: true, error: 'lzma header truncated' };
  const propsSize = (input[2] as number) | ((input[3] as number) << 8);
  if (propsSize !== 5)
    return { bytes: new Uint8Array(), status: 'corrupt', prefixExact: true, error: `lzma properties of ${propsSize} bytes` };
  if (input.length < 9)
    return { bytes: new Uint8Array(), status: 'truncated', prefixExact: true, error: 'lzma header truncated' };
  return lzmaRaw(input.subarray(4, 9), undefined, input.subarray(9), max);
}

/**
 * lzma1 ships its TypeScript sources as its types, which do not compile under this project's strict options: it is
 * loaded through a non-literal specifier (typed here by what is used) the first time an LZMA1 stream is met.
 */
const LZMA1_MODULE = 'lzma1';
let lzma1: Promise<{ decompress(data: Uint8Array): Uint8Array }> | undefined;

class InputEnded extends Error {}

/**
 * lzma1 reads its input byte by byte and treats the end as an endless run of 0xff, so a truncated stream would
 * decode garbage up to the cap: the input is handed over behind a proxy one byte longer than the data, whose last
 * index throws (a correct stream never reads past its own end).
 */
function guardedInput(bytes: Uint8Array): Uint8Array {
  const end = String(bytes.length);
  return new Proxy(bytes, {
    get(target, property) {
      if (property === 'length') return target.length + 1;
      if (property === end) throw new InputEnded();
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function lzmaRaw(props: Uint8Array, declared: bigint | undefined, stream: Uint8Array, max: number): Promise<Decompressed> {
  if (stream.length > MAX_LZMA1_INPUT_BYTES)
    return {
      bytes: new Uint8Array(),
      status: 'limit',
      prefixExact: false,
      error: `LZMA1 stream of ${stream.length} bytes exceeds MAX_LZMA1_INPUT_BYTES (${MAX_LZMA1_INPUT_BYTES})`,
    };
  const header = new Uint8Array(13 + stream.length);
  header.set(props, 0);
  const view = new DataView(header.buffer);
  const dictionary = view.getUint32(1, true);
  view.setUint32(1, Math.max(4096, Math.min(dictionary, MAX_LZMA_DICTIONARY_BYTES, max + 1)), true);
  const stopAt = declared === undefined || declared > BigInt(max) ? BigInt(max) + 1n : declared;
  view.setBigUint64(5, stopAt, true);
  header.set(stream, 13);
  try {
    lzma1 ??= import(LZMA1_MODULE) as Promise<{ decompress(data: Uint8Array): Uint8Array }>;
    const bytes = (await lzma1).decompress(guardedInput(header));
    if (bytes.length > max)
      return {
        bytes: bytes.subarray(0, max),
        status: 'limit',
        prefixExact: true,
        error: `decompresses to more than ${max} bytes`,
      };
    if (declared !== undefined && BigInt(bytes.length) < declared)
      return {
        bytes,
        status: 'truncated',
        prefixExact: true,
        error: `lzma stream ends after ${bytes.length} of ${declared} bytes`,
      };
    return { bytes, status: 'complete', prefixExact: true };
  } catch (error) {
    // lzma1 decodes all or nothing: what precedes the error is not available.
    if (error instanceof InputEnded)
      return { bytes: new Uint8Array(), status: 'truncated', prefixExact: false, error: 'lzma stream truncated' };
    return { bytes: new Uint8Array(), status: 'corrupt', prefixExact: false, error: message(error) };
  }
}

const LZ4_MAGIC = 0x184d2204;
/** LZ4 frame block maximum sizes by the BD byte's block-size id (4..7). */
const LZ4_BLOCK_MAX: Readonly<Record<number, number>> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/**
 * LZ4 frames (lz4 frame format 1.6.x): magic, FLG/BD descriptor (content size, dictionary id), blocks (size word,
 * high bit = stored), optional block and content checksums (not verified: a loader rejecting a bad checksum reads
 * less than this), end mark. Skippable frames (0x184D2A5x) are skipped; frames follow one another.
 */
function lz4Frames(input: Uint8Array, max: number, lz4DecompressBlock: typeof import('lz4js').decompressBlock): Decompressed {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  let out = new Uint8Array(Math.min(max, 64 * 1024));
  let length = 0;
  let pos = 0;
  const fail = (status: DecompressStatus, error: string): Decompressed => ({
    bytes: out.subarray(0, Math.min(length, max)),
    status,
    prefixExact: true,
    error,
  });
  const ensure = (need: number): boolean => {
    if (need <= out.length) return true;
    const size = Math.min(max + 1, Math.max(need, out.length * 2));
    const grown = new Uint8Array(size);
    grown.set(out.subarray(0, length));
    out = grown;
    return need <= out.length;
  };
  for (let frames = 0; pos < input.length; frames++) {
    if (frames >= MAX_LZ4_FRAMES) return fail('limit', `more than MAX_LZ4_FRAMES (${MAX_LZ4_FRAMES}) frames`);
    if (pos + 4 > input.length) return fail('truncated', 'lz4 frame magic truncated');
    const magic = view.getUint32(pos, true);
    if (magic >>> 4 === 0x184d2a5) {
      if (pos + 8 > input.length) return fail('truncated', 'skippable frame truncated');
      pos += 8 + view.getUint32(pos + 4, true);
      continue;
    }
    if (magic !== LZ4_MAGIC) {
      // The first frame must be one; after a frame, LZ4FrameFile starts a new decompressor on what follows.
      return fail('corrupt', `not an lz4 frame at offset ${pos}`);
    }
    pos += 4;
    if (pos + 3 > input.length) return fail('truncated', 'lz4 frame descriptor truncated');
    const flg = input[pos] as number;
    const bd = input[pos + 1] as number;
    pos += 2;
    if (flg >> 6 !== 1) return fail('corrupt', `lz4 frame version ${flg >> 6}`);
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7];
    if (blockMax === undefined) return fail('corrupt', `lz4 block size id ${(bd >> 4) & 7}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    pos += (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // + header checksum byte
    if (pos > input.length) return fail('truncated', 'lz4 frame descriptor truncated');
    while (true) {
      if (pos + 4 > input.length) return fail('truncated', 'lz4 block size truncated');
      const word = view.getUint32(pos, true);
      pos += 4;
      if (word === 0) break; // end mark
      const stored = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax) return fail('corrupt', `lz4 block of ${size} bytes exceeds the frame's ${blockMax}`);
      if (pos + size > input.length) return fail('truncated', 'lz4 block truncated');
      if (!ensure(Math.min(max + 1, length + blockMax))) return fail('limit', `decompresses to more than ${max} bytes`);
      if (stored) {
        const room = Math.min(size, out.length - length);
        out.set(input.subarray(pos, pos + room), length);
        length += size;
      } else {
        // Independent blocks never refer before their own start; linked ones may reach 64 KiB back (into the
        // previous blocks of this frame, which `out` holds).
        const end = lz4DecompressBlock(input, out, pos, size, length);
        if (end - length > blockMax) return fail('corrupt', `lz4 block decodes past the frame's ${blockMax}-byte blocks`);
        length = end;
      }
      pos += size + (blockChecksum ? 4 : 0);
      if (length > max) return fail('limit', `decompresses to more than ${max} bytes`);
    }
    pos += contentChecksum ? 4 : 0;
    if (pos > input.length) return fail('truncated', 'lz4 content checksum truncated');
  }
  return { bytes: out.subarray(0, length), status: 'complete', prefixExact: true };
}

/**
 * Checks every Zstandard frame header before anything is decoded (RFC 8878 section 3.1): the window each needs,
 * within MAX_ZSTD_WINDOW_BYTES; skippable frames skipped; blocks walked by their headers to find the next frame.
 * Returns undefined when every header is acceptable, else why not (and whether the input merely ends early).
 */
export function zstdHeaderProblem(input: Uint8Array): { status: 'corrupt' | 'truncated' | 'limit'; error: string } | undefined {
  const u32 = (at: number) =>
    ((input[at] as number) | ((input[at + 1] as number) << 8) | ((input[at + 2] as number) << 16)) +
    (input[at + 3] as number) * 2 ** 24;
  let pos = 0;
  for (let frames = 0; pos < input.length; frames++) {
    if (frames >= MAX_ZSTD_FRAMES)
      return { status: 'limit', error: `more than MAX_ZSTD_FRAMES (${MAX_ZSTD_FRAMES}) zstd frames` };
    if (pos + 4 > input.length) return { status: 'truncated', error: 'zstd frame magic truncated' };
    const magic = u32(pos);
    if (magic >= 0x184d2a50 && magic <= 0x184d2a5f) {
      if (pos + 8 > input.length) return { status: 'truncated', error: 'zstd skippable frame truncated' };
      pos += 8 + u32(pos + 4);
      if (pos > input.length) return { status: 'truncated', error: 'zstd skippable frame truncated' };
      continue;
    }
    if (magic !== 0xfd2fb528) return { status: 'corrupt', error: `not a zstd frame at offset ${pos}` };
    if (pos + 5 > input.length) return { status: 'truncated', error: 'zstd frame header truncated' };
    const flags = input[pos + 4] as number;
    const fcsFlag = flags >> 6;
    const singleSegment = (flags >> 5) & 1;
    const checksum = (flags >> 2) & 1;
    const dictFlag = flags & 3;
    if (flags & 8) return { status: 'corrupt', error: 'zstd frame header reserved bit set' };
    let at = pos + 5;
    let window = 0;
    if (!singleSegment) {
      if (at >= input.length) return { status: 'truncated', error: 'zstd frame header truncated' };
      const descriptor = input[at] as number;
      const base = 2 ** (10 + (descriptor >> 3));
      window = base + (base / 8) * (descriptor & 7);
      at += 1;
    }
    at += [0, 1, 2, 4][dictFlag] as number;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    if (at + fcsBytes > input.length) return { status: 'truncated', error: 'zstd frame header truncated' };
    if (singleSegment) {
      // The window is the content size.
      let size = 0;
      for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + (input[at + i] as number);
      window = fcsBytes === 2 ? size + 256 : size;
    }
    if (window > MAX_ZSTD_WINDOW_BYTES)
      return { status: 'limit', error: `zstd frame needs a ${window}-byte window (more than MAX_ZSTD_WINDOW_BYTES)` };
    at += fcsBytes;
    for (;;) {
      if (at + 3 > input.length) return { status: 'truncated', error: 'zstd block header truncated' };
      const header = (input[at] as number) | ((input[at + 1] as number) << 8) | ((input[at + 2] as number) << 16);
      const type = (header >> 1) & 3;
      if (type === 3) return { status: 'corrupt', error: 'zstd reserved block type' };
      at += 3 + (type === 1 ? 1 : header >>> 3);
      if (at > input.length) return { status: 'truncated', error: 'zstd block truncated' };
      if (header & 1) break;
    }
    pos = at + (checksum ? 4 : 0);
    if (pos > input.length) return { status: 'truncated', error: 'zstd frame checksum truncated' };
  }
  return undefined;
}

async function zstd(input: Uint8Array, max: number): Promise<Decompressed> {
  const problem = zstdHeaderProblem(input);
  const out = new Collector(max);
  if (problem?.status === 'limit' || problem?.status === 'corrupt')
    return { bytes: new Uint8Array(0), status: problem.status, prefixExact: true, error: problem.error };
  fzstd ??= import('fzstd');
  const { Decompress } = await fzstd;
  let over = false;
  const decoder = new Decompress((chunk) => {
    if (!over && !out.add(chunk)) over = true;
  });
  try {
    for (let at = 0; at < input.length && !over; at += ZSTD_PUSH_BYTES)
      decoder.push(input.subarray(at, at + ZSTD_PUSH_BYTES), at + ZSTD_PUSH_BYTES >= input.length);
  } catch (error) {
    const text = message(error);
    return {
      bytes: out.bytes(),
      status: /EOF|end/i.test(text) || problem ? 'truncated' : 'corrupt',
      prefixExact: true,
      error: text,
    };
  }
  if (over) return { bytes: out.bytes(), status: 'limit', prefixExact: true, error: `decompresses to more than ${max} bytes` };
  if (problem) return { bytes: out.bytes(), status: problem.status, prefixExact: true, error: problem.error };
  return { bytes: out.bytes(), status: 'complete', prefixExact: true };
}
