/**
 * Raster images, recognised by their structure (not a magic sniff alone): PNG chunks with their CRC-32 up to
 * IEND, JPEG segments and entropy-coded scans up to EOI, GIF blocks up to the trailer, the RIFF size of WebP, the
 * BMP file header, the TIFF IFD chain and the ICO directory. `walkImage` returns where the image ends: bytes after
 * that are not part of the image and are scanned on their own by the handler (an archive appended to a picture
 * is what Python's zipfile reads).
 */
import { crc32 } from './crc.js';
import { type MoreImageFormat, sniffMoreImage, walkMoreImage } from './images-more.js';
import { invalid, limit, type Window } from './window.js';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'ico' | MoreImageFormat;

/** Every image format walkImage reads. */
export const IMAGE_FORMATS: readonly ImageFormat[] = [
  'png',
  'jpeg',
  'gif',
  'webp',
  'bmp',
  'tiff',
  'ico',
  'pnm',
  'icns',
  'jp2',
  'sgi',
  'dds',
  'pcx',
  'tga',
];

/** Records (chunks, segments, blocks, IFDs) walked in one image: real images have a few hundred at most. */
export const MAX_IMAGE_RECORDS = 1_000_000;
/** Bytes per read while scanning a JPEG's entropy-coded data for the next marker. */
const SCAN_CHUNK_BYTES = 256 * 1024;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const BMP_DIB_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);
}
const ascii = (head: Uint8Array, at: number, text: string) =>
  startsWith(
    head,
    [...text].map((c) => c.charCodeAt(0)),
    at,
  );

/** The image format `head` opens as (its signature and first header fields), or undefined. */
export function sniffImage(head: Uint8Array): ImageFormat | undefined {
  if (startsWith(head, PNG_SIGNATURE) && ascii(head, 12, 'IHDR')) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if ((ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) && head.length >= 13) return 'gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'webp';
  if (ascii(head, 0, 'BM') && head.length >= 18) {
    const dib = new DataView(head.buffer, head.byteOffset).getUint32(14, true);
    if (BMP_DIB_SIZES.has(dib)) return 'bmp';
  }
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  if (head.length >= 22 && head[0] === 0 && head[1] === 0 && (head[2] === 1 || head[2] === 2) && head[3] === 0) {
    const count = (head[4] as number) | ((head[5] as number) << 8);
    // Reserved byte 0 of the first directory entry; planes/bit count fields are small.
    if (count > 0 && head[9] === 0) return 'ico';
  }
  // An icon directory of no images (what some favicon generators leave): the 6-byte header is the whole icon.
  if (head.length >= 6 && head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0 && head[4] === 0 && head[5] === 0)
    return 'ico';
  return sniffMoreImage(head);
}

class Budget {
  private n = 0;
  constructor(private readonly what: string) {}
  tick(): void {
    if (++this.n > MAX_IMAGE_RECORDS) throw limit(this.what, 'more records than allowed', 'MAX_IMAGE_RECORDS');
  }
}

async function walkPng(w: Window): Promise<number> {
  const budget = new Budget('png');
  let pos = 8;
  let first = true;
  for (;;) {
    budget.tick();
    const head = await w.view(pos, 8);
    const length = head.getUint32(0, false);
    if (length > 0x7fffffff) throw invalid('png', `chunk length ${length} above 2^31-1`, { offset: pos });
    const type = await w.bytes(pos + 4, 4);
    if (!type.every((b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)))
      throw invalid('png', 'chunk type is not four letters', { offset: pos });
    const name = String.fromCharCode(...type);
    if (first && (name !== 'IHDR' || length !== 13)) throw invalid('png', 'first chunk is not a 13-byte IHDR');
    first = false;
    // CRC-32 over type and data, computed in pieces so a large IDAT is never held whole.
    let crc = crc32(type);
    for (let off = 0; off < length; off += SCAN_CHUNK_BYTES) {
      const n = Math.min(SCAN_CHUNK_BYTES, length - off);
      crc = crc32(await w.bytes(pos + 8 + off, n), crc);
    }
    const stored = (await w.view(pos + 8 + length, 4)).getUint32(0, false);
    if (stored !== crc) throw invalid('png', `chunk ${name} CRC-32 mismatch`, { offset: pos });
    pos += 12 + length;
    if (name === 'IEND') return pos;
  }
}

/** JPEG markers without a length field: TEM, RST0-7, SOI. */
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd8);

/** From `pos` (inside entropy-coded data), the offset of the next marker's 0xFF (not a stuffed 0xFF00 or RSTn). */
async function nextMarker(w: Window, from: number): Promise<number> {
  let pos = from;
  while (pos < w.size) {
    const chunk = await w.bytes(pos, Math.min(SCAN_CHUNK_BYTES, w.size - pos));
    let i = chunk.indexOf(0xff);
    while (i >= 0) {
      if (pos + i + 1 >= w.size) throw invalid('jpeg', 'data ends inside a scan');
      const next = i + 1 < chunk.length ? (chunk[i + 1] as number) : await w.u8(pos + i + 1);
      if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) return pos + i;
      i = chunk.indexOf(0xff, i + 1);
    }
    pos += chunk.length;
  }
  throw invalid('jpeg', 'no EOI marker');
}

async function walkJpeg(w: Window): Promise<number> {
  const budget = new Budget('jpeg');
  let pos = 2;
  for (;;) {
    budget.tick();
    if ((await w.u8(pos)) !== 0xff) throw invalid('jpeg', 'expected a marker', { offset: pos });
    let marker = await w.u8(pos + 1);
    while (marker === 0xff) {
      pos++; // fill bytes
      marker = await w.u8(pos + 1);
    }
    if (marker === 0xd9) return pos + 2; // EOI
    if (marker === 0x00 || marker === 0xd8) throw invalid('jpeg', `unexpected marker 0x${marker.toString(16)}`);
    if (isStandalone(marker)) {
      pos += 2;
      continue;
    }
    const length = (await w.view(pos + 2, 2)).getUint16(0, false);
    if (length < 2) throw invalid('jpeg', 'segment length below 2', { offset: pos });
    await w.bytes(pos + 2, length); // the segment fits in the file
    pos += 2 + length;
    if (marker === 0xda) pos = await nextMarker(w, pos); // SOS: entropy-coded data follows
  }
}

async function subBlocks(w: Window, from: number, budget: Budget): Promise<number> {
  let pos = from;
  for (;;) {
    budget.tick();
    const n = await w.u8(pos);
    pos += 1 + n;
    if (n === 0) return pos;
  }
}

async function walkGif(w: Window): Promise<number> {
  const budget = new Budget('gif');
  const packed = await w.u8(10);
  let pos = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  for (;;) {
    budget.tick();
    const block = await w.u8(pos);
    if (block === 0x3b) return pos + 1; // trailer
    if (block === 0x21) {
      pos = await subBlocks(w, pos + 2, budget); // label byte, then data sub-blocks
    } else if (block === 0x2c) {
      const local = await w.u8(pos + 9);
      pos += 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
      pos = await subBlocks(w, pos + 1, budget); // LZW minimum code size, then image data
    } else throw invalid('gif', `unknown block 0x${block.toString(16)}`, { offset: pos });
  }
}

async function walkWebp(w: Window): Promise<number> {
  const budget = new Budget('webp');
  const riffSize = (await w.view(4, 4)).getUint32(0, true);
  const end = 8 + riffSize;
  if (end > w.size || riffSize < 4) throw invalid('webp', 'RIFF size runs past the end of the file');
  let pos = 12;
  let chunks = 0;
  while (pos < end) {
    budget.tick();
    const size = (await w.view(pos + 4, 4)).getUint32(0, true);
    pos += 8 + size + (size & 1);
    chunks++;
  }
  if (pos !== end + (end & 1) && pos !== end) throw invalid('webp', 'chunks do not fill the RIFF size');
  if (chunks === 0) throw invalid('webp', 'no chunks');
  return Math.min(pos, w.size);
}

async function walkBmp(w: Window): Promise<number> {
  const head = await w.view(0, 18);
  const fileSize = head.getUint32(2, true);
  const dataOffset = head.getUint32(10, true);
  const dib = head.getUint32(14, true);
  if (dataOffset < 14 + dib || dataOffset > w.size) throw invalid('bmp', 'pixel data offset outside the file');
  await w.bytes(14, dib);
  if (fileSize === 0) return w.size; // some writers leave it 0: the file is the image
  if (fileSize < dataOffset || fileSize > w.size) throw invalid('bmp', 'file size field disagrees with the file');
  return fileSize;
}

async function walkTiff(w: Window): Promise<number> {
  const budget = new Budget('tiff');
  const le = (await w.u8(0)) === 0x49;
  const big = (await w.u8(2)) === (le ? 0x2b : 0x00) && (await w.u8(3)) === (le ? 0x00 : 0x2b);
  const u16 = async (p: number) => (await w.view(p, 2)).getUint16(0, le);
  const off = async (p: number) =>
    big ? Number((await w.view(p, 8)).getBigUint64(0, le)) : (await w.view(p, 4)).getUint32(0, le);
  let ifd = await off(big ? 8 : 4);
  const seen = new Set<number>();
  if (ifd === 0) throw invalid('tiff', 'no image file directory');
  while (ifd !== 0) {
    budget.tick();
    if (seen.has(ifd)) throw invalid('tiff', 'IFD chain loops', { offset: ifd });
    seen.add(ifd);
    const count = big ? Number((await w.view(ifd, 8)).getBigUint64(0, le)) : await u16(ifd);
    const entry = big ? 20 : 12;
    const start = ifd + (big ? 8 : 2);
    if (count > MAX_IMAGE_RECORDS) throw limit('tiff', 'IFD entry count', 'MAX_IMAGE_RECORDS');
    await w.bytes(start, count * entry);
    ifd = await off(start + count * entry);
  }
  // Strips and tiles lie anywhere in the file: the image is the whole file.
  return w.size;
}

async function walkIco(w: Window): Promise<number> {
  const count = (await w.view(4, 2)).getUint16(0, true);
  let end = 6 + 16 * count;
  await w.bytes(6, 16 * count);
  for (let i = 0; i < count; i++) {
    const e = await w.view(6 + 16 * i, 16);
    const size = e.getUint32(8, true);
    const offset = e.getUint32(12, true);
    if (offset < 6 + 16 * count || offset + size > w.size) throw invalid('ico', `image ${i} lies outside the file`);
    end = Math.max(end, offset + size);
  }
  return end;
}

/** Walks the whole image; returns the offset where it ends. Throws FORMAT_INVALID / LIMIT_EXCEEDED. */
export async function walkImage(w: Window, format: ImageFormat): Promise<number> {
  switch (format) {
    case 'png':
      return walkPng(w);
    case 'jpeg':
      return walkJpeg(w);
    case 'gif':
      return walkGif(w);
    case 'webp':
      return walkWebp(w);
    case 'bmp':
      return walkBmp(w);
    case 'tiff':
      return walkTiff(w);
    case 'ico':
      return walkIco(w);
    default:
      return walkMoreImage(w, format);
  }
}
