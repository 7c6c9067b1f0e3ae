/**
 * xz-decompress is XZ Embedded compiled to WebAssembly without XZ_DEC_ANY_CHECK and without SHA-256 support: a
 * stream whose check is SHA-256 (`xz -C sha256`, check id 0x0A; Python's lzma and xz-utils read it) stops at its
 * header with XZ_OPTIONS_ERROR ("get_next_output failed with error code 6") and nothing is decoded. The check is
 * only an integrity check of each block's output, so such streams are rewritten to check None before decoding:
 * each block's 32-byte check field is dropped, the index's unpadded sizes shrink by 32, and the stream header,
 * index and footer are re-encoded with their CRC32s. The compressed data is copied unchanged, so what is decoded
 * is exactly what the loader decodes (the loader also verifies the SHA-256, which modelsec does not need).
 *
 * Streams are located from the end as xz-utils does (footer -> backward size -> index -> blocks -> header), with
 * stream padding between them. Anything that does not parse (a truncated file has no footer) is left as it is:
 * the decoder then reports it corrupt, which the caller turns into an incomplete scan, never a clean one.
 * Work is linear in the input: each byte is read once by the walk and once by the copy.
 */
import { crc32 } from '../formats/structures/crc.js';

const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC = [0x59, 0x5a];
const CHECK_NONE = 0x00;
const CHECK_SHA256 = 0x0a;
const SHA256_BYTES = 32;

interface Stream {
  start: number;
  /** End of the stream footer. */
  end: number;
  checkType: number;
  /** Blocks: [start, unpadded size] (unpadded includes the check). */
  blocks: { start: number; unpadded: number; uncompressed: number }[];
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function readVarint(b: Uint8Array, at: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 9 && at + i < end; i++) {
    const byte = b[at + i] as number;
    value += (byte & 0x7f) * scale;
    if (value > Number.MAX_SAFE_INTEGER) return undefined;
    if ((byte & 0x80) === 0) return { value, next: at + i + 1 };
    scale *= 128;
  }
  return undefined;
}

function pushVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

const matches = (b: Uint8Array, at: number, magic: readonly number[]): boolean => magic.every((m, i) => b[at + i] === m);

/** The streams of `b` from last to first, or undefined when the layout does not parse. */
function locateStreams(b: Uint8Array): Stream[] | undefined {
  const streams: Stream[] = [];
  let end = b.length;
  while (end > 0) {
    // Stream padding: zero bytes in multiples of four.
    while (end >= 4 && u32(b, end - 4) === 0) end -= 4;
    if (end === 0) break;
    if (end < 24 || !matches(b, end - 2, FOOTER_MAGIC)) return undefined;
    const footer = end - 12;
    if (crc32(b.subarray(footer + 4, footer + 10)) !== u32(b, footer)) return undefined;
    const checkType = b[footer + 9] as number;
    const indexSize = (u32(b, footer + 4) + 1) * 4;
    const indexStart = footer - indexSize;
    if (indexStart < 12 || b[indexStart] !== 0x00) return undefined;
    if (crc32(b.subarray(indexStart, footer - 4)) !== u32(b, footer - 4)) return undefined;
    const count = readVarint(b, indexStart + 1, footer - 4);
    if (!count) return undefined;
    const records: { unpadded: number; uncompressed: number }[] = [];
    let at = count.next;
    let blocksSize = 0;
    for (let i = 0; i < count.value; i++) {
      const unpadded = readVarint(b, at, footer - 4);
      if (!unpadded) return undefined;
      const uncompressed = readVarint(b, unpadded.next, footer - 4);
      if (!uncompressed) return undefined;
      at = uncompressed.next;
      records.push({ unpadded: unpadded.value, uncompressed: uncompressed.value });
      blocksSize += Math.ceil(unpadded.value / 4) * 4;
      if (blocksSize > indexStart) return undefined;
    }
    const start = indexStart - blocksSize - 12;
    if (start < 0 || !matches(b, start, HEADER_MAGIC) || b[start + 7] !== checkType || b[start + 6] !== 0) return undefined;
    if (crc32(b.subarray(start + 6, start + 8)) !== u32(b, start + 8)) return undefined;
    let blockStart = start + 12;
    const blocks = records.map((r) => {
      const block = { start: blockStart, ...r };
      blockStart += Math.ceil(r.unpadded / 4) * 4;
      return block;
    });
    streams.push({ start, end, checkType, blocks });
    end = start;
  }
  return streams;
}

/** `input` with every SHA-256-checked stream rewritten to check None; `input` itself when there is none or it does not parse. */
export function withoutSha256Checks(input: Uint8Array): Uint8Array {
  if (input.length < 24 || !matches(input, 0, HEADER_MAGIC)) return input;
  const streams = locateStreams(input);
  if (!streams?.some((s) => s.checkType === CHECK_SHA256)) return input;
  const parts: Uint8Array[] = [];
  let copied = 0;
  for (const stream of streams.reverse()) {
    if (stream.start > copied) parts.push(input.subarray(copied, stream.start)); // stream padding
    copied = stream.end;
    if (stream.checkType !== CHECK_SHA256) {
      parts.push(input.subarray(stream.start, stream.end));
      continue;
    }
    const flags = new Uint8Array([0x00, CHECK_NONE]);
    parts.push(new Uint8Array([...HEADER_MAGIC, ...flags, ...le32(crc32(flags))]));
    const index: number[] = [0x00];
    pushVarint(index, stream.blocks.length);
    for (const block of stream.blocks) {
      if (block.unpadded < SHA256_BYTES) return input;
      const dataEnd = block.start + block.unpadded - SHA256_BYTES;
      const paddedEnd = block.start + Math.ceil((block.unpadded - SHA256_BYTES) / 4) * 4;
      parts.push(input.subarray(block.start, dataEnd));
      if (paddedEnd > dataEnd) parts.push(new Uint8Array(paddedEnd - dataEnd));
      pushVarint(index, block.unpadded - SHA256_BYTES);
      pushVarint(index, block.uncompressed);
    }
    while (index.length % 4 !== 0) index.push(0);
    const indexBytes = new Uint8Array([...index, ...le32(crc32(new Uint8Array(index)))]);
    parts.push(indexBytes);
    const tail = new Uint8Array([...le32(indexBytes.length / 4 - 1), ...flags]);
    parts.push(new Uint8Array([...le32(crc32(tail)), ...tail, ...FOOTER_MAGIC]));
  }
  if (copied < input.length) parts.push(input.subarray(copied));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
