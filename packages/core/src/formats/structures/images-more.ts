/**
 * More raster formats that Pillow (and the tools of game, dataset and macOS repositories) write, each walked by its
 * structure to where the image ends: Netpbm (PBM/PGM/PPM/PAM), Apple ICNS, JPEG 2000 (JP2 boxes), SGI, DirectDraw
 * Surface (DDS), PCX (RLE decoded to its line count), Truevision TGA. `walkImage` (images.ts) dispatches here; the
 * bytes after the returned end are scanned on their own, so no reader here returns the file size unless the format
 * itself accounts for every byte up to it.
 */
import { invalid, limit, type Window } from './window.js';

export type MoreImageFormat = 'pnm' | 'icns' | 'jp2' | 'sgi' | 'dds' | 'pcx' | 'tga';

/** Records walked in one image (ICNS elements, JP2 boxes, RLE packets per read). */
export const MAX_MORE_IMAGE_RECORDS = 1_000_000;
/** Largest decoded raster (pixels x channels x bytes) an RLE walk follows: 2^31 bytes is far above real images. */
const MAX_RASTER_BYTES = 2 ** 31;
/** Bytes per read while decoding an RLE stream. */
const RLE_CHUNK_BYTES = 256 * 1024;

const TGA_SIGNATURE = 'TRUEVISION-XFILE.\0';
/** Size of the TGA 2.0 extension area (its first field repeats it). */
const TGA_EXTENSION_BYTES = 495;
const TGA_TYPES = new Set([1, 2, 3, 9, 10, 11]);
const TGA_DEPTHS = new Set([8, 15, 16, 24, 32]);

const ascii = (head: Uint8Array, at: number, text: string) =>
  head.length >= at + text.length && [...text].every((c, i) => head[at + i] === c.charCodeAt(0));
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;

function tgaHeader(head: Uint8Array): { width: number; height: number; depth: number } | undefined {
  if (head.length < 18) return undefined;
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  const cmapType = head[1] as number;
  const type = head[2] as number;
  const width = v.getUint16(12, true);
  const height = v.getUint16(14, true);
  const depth = head[16] as number;
  if (cmapType > 1 || !TGA_TYPES.has(type) || width === 0 || height === 0 || !TGA_DEPTHS.has(depth)) return undefined;
  if (((type & 7) === 1) !== (cmapType === 1)) return undefined; // colour-mapped types carry a colour map
  if ((head[17] as number) & 0xc0) return undefined; // descriptor bits 6-7 are reserved (interleaving, never written)
  return { width, height, depth };
}

/** The image format `head` opens as (signature and first header fields), or undefined. TGA needs its size. */
export function sniffMoreImage(head: Uint8Array): MoreImageFormat | undefined {
  if (head[0] === 0x50 && (head[1] as number) >= 0x34 && (head[1] as number) <= 0x37 && isSpace(head[2])) return 'pnm';
  if (ascii(head, 0, 'icns') && head.length >= 16) return 'icns';
  if (ascii(head, 0, '\0\0\0\x0cjP  \r\n\x87\n')) return 'jp2';
  if (head[0] === 0x01 && head[1] === 0xda && (head[2] as number) <= 1 && (head[3] === 1 || head[3] === 2)) return 'sgi';
  if (ascii(head, 0, 'DDS ') && head[4] === 124 && head[5] === 0 && head[76] === 32) return 'dds';
  if (
    head[0] === 0x0a &&
    [0, 2, 3, 4, 5].includes(head[1] as number) &&
    head[2] === 1 &&
    [1, 2, 4, 8].includes(head[3] as number)
  )
    return 'pcx';
  if (tgaHeader(head)) return 'tga';
  return undefined;
}

/** Netpbm binary rasters (P4-P6) and PAM (P7): a text header, then exactly the raster bytes it announces. */
async function walkPnm(w: Window): Promise<number> {
  const kind = (await w.u8(1)) - 0x30;
  const head = await w.bytes(0, Math.min(w.size, 4096));
  let pos = 2;
  const tokens: string[] = [];
  const want = kind === 4 ? 2 : 3;
  if (kind === 7) {
    const end = new TextDecoder('latin1').decode(head).indexOf('ENDHDR\n');
    if (end < 0) throw invalid('pnm', 'PAM header has no ENDHDR line');
    const fields = new Map<string, number>();
    for (const line of new TextDecoder('latin1').decode(head.subarray(3, end)).split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key && value && /^\d+$/.test(value)) fields.set(key, Number(value));
    }
    const [wd, ht, depth, maxval] = ['WIDTH', 'HEIGHT', 'DEPTH', 'MAXVAL'].map((k) => fields.get(k) ?? 0) as number[];
    if (!wd || !ht || !depth || !maxval || maxval > 65535) throw invalid('pnm', 'PAM header lacks WIDTH/HEIGHT/DEPTH/MAXVAL');
    const bytes = (wd as number) * (ht as number) * (depth as number) * ((maxval as number) > 255 ? 2 : 1);
    await w.bytes(end + 7, bytes);
    return end + 7 + bytes;
  }
  while (tokens.length < want) {
    if (pos >= head.length) throw invalid('pnm', 'header runs past its first 4 KiB');
    const b = head[pos] as number;
    if (isSpace(b)) pos++;
    else if (b === 0x23) {
      while (pos < head.length && head[pos] !== 0x0a && head[pos] !== 0x0d) pos++;
    } else {
      let t = '';
      while (pos < head.length && (head[pos] as number) >= 0x30 && (head[pos] as number) <= 0x39)
        t += String.fromCharCode(head[pos++] as number);
      if (t === '' || t.length > 9) throw invalid('pnm', 'header field is not a number', { offset: pos });
      tokens.push(t);
    }
  }
  if (!isSpace(head[pos])) throw invalid('pnm', 'no whitespace after the header');
  pos++;
  const [width, height, maxval] = tokens.map(Number) as [number, number, number];
  if (width === 0 || height === 0 || (kind !== 4 && (maxval === 0 || maxval > 65535)))
    throw invalid('pnm', 'zero size or maxval');
  const sample = kind === 4 ? 0 : maxval > 255 ? 2 : 1;
  const bytes = kind === 4 ? Math.ceil(width / 8) * height : width * height * sample * (kind === 6 ? 3 : 1);
  await w.bytes(pos, bytes);
  return pos + bytes;
}

async function walkIcns(w: Window): Promise<number> {
  const total = (await w.view(4, 4)).getUint32(0, false);
  if (total < 8 || total > w.size) throw invalid('icns', 'length field lies outside the file');
  let pos = 8;
  for (let n = 0; pos < total; n++) {
    if (n > MAX_MORE_IMAGE_RECORDS) throw limit('icns', 'more elements than allowed', 'MAX_MORE_IMAGE_RECORDS');
    const length = (await w.view(pos + 4, 4)).getUint32(0, false);
    if (length < 8 || pos + length > total) throw invalid('icns', `element at ${pos} runs past the file`, { offset: pos });
    pos += length;
  }
  return total;
}

/** JPEG 2000 (ISO 15444-1 annex I): a chain of boxes from the signature box to the end, holding a `jp2c` stream. */
async function walkJp2(w: Window): Promise<number> {
  let pos = 0;
  let codestream = false;
  for (let n = 0; pos < w.size; n++) {
    if (n > MAX_MORE_IMAGE_RECORDS) throw limit('jp2', 'more boxes than allowed', 'MAX_MORE_IMAGE_RECORDS');
    const h = await w.view(pos, 8);
    let length = h.getUint32(0, false);
    const type = String.fromCharCode(...(await w.bytes(pos + 4, 4)));
    let header = 8;
    if (length === 1) {
      length = Number((await w.view(pos + 8, 8)).getBigUint64(0, false));
      header = 16;
    } else if (length === 0) length = w.size - pos;
    if (length < header || pos + length > w.size) throw invalid('jp2', `box ${type} runs past the file`, { offset: pos });
    if (type === 'jp2c') codestream = true;
    pos += length;
  }
  if (!codestream) throw invalid('jp2', 'no contiguous codestream box');
  return pos;
}

async function walkSgi(w: Window): Promise<number> {
  const h = await w.view(0, 512);
  const rle = h.getUint8(2) === 1;
  const bpc = h.getUint8(3);
  const dims = h.getUint16(4, false);
  const [x, y, z] = [h.getUint16(6, false), dims >= 2 ? h.getUint16(8, false) : 1, dims >= 3 ? h.getUint16(10, false) : 1];
  if (dims < 1 || dims > 3 || x === 0 || y === 0 || z === 0) throw invalid('sgi', 'bad dimensions');
  if (!rle) {
    const bytes = x * y * z * bpc;
    await w.bytes(512, bytes);
    return 512 + bytes;
  }
  const rows = y * z;
  const table = await w.view(512, rows * 8);
  let end = 512 + rows * 8;
  for (let i = 0; i < rows; i++) {
    const start = table.getUint32(i * 4, false);
    const length = table.getUint32((rows + i) * 4, false);
    if (start < 512 + rows * 8 || start + length > w.size) throw invalid('sgi', `scanline ${i} lies outside the file`);
    end = Math.max(end, start + length);
  }
  return end;
}

/** Bytes per 4x4 block of the DDS block-compressed formats (FourCC, then DX10 DXGI format numbers). */
const DDS_FOURCC_BLOCK: Record<string, number> = {
  DXT1: 8,
  DXT2: 16,
  DXT3: 16,
  DXT4: 16,
  DXT5: 16,
  ATI1: 8,
  ATI2: 16,
  BC4U: 8,
  BC4S: 8,
  BC5U: 16,
  BC5S: 16,
};
const DXGI_BLOCK: Record<number, number> = {
  70: 8,
  71: 8,
  72: 8,
  73: 16,
  74: 16,
  75: 16,
  76: 16,
  77: 16,
  78: 16,
  79: 8,
  80: 8,
  81: 8,
  82: 16,
  83: 16,
  84: 16,
  94: 16,
  95: 16,
  96: 16,
  97: 16,
  98: 16,
  99: 16,
};
/** Bits per pixel of the uncompressed DXGI formats Pillow and the DirectX tools write. */
const DXGI_BITS: Record<number, number> = {
  2: 128,
  10: 64,
  24: 32,
  28: 32,
  29: 32,
  41: 32,
  49: 16,
  61: 8,
  85: 16,
  86: 16,
  87: 32,
  88: 32,
  91: 32,
};

async function walkDds(w: Window): Promise<number> {
  const h = await w.view(0, 128);
  const flags = h.getUint32(8, true);
  const height = h.getUint32(12, true);
  const width = h.getUint32(16, true);
  const depth = flags & 0x800000 ? Math.max(1, h.getUint32(24, true)) : 1;
  const mips = flags & 0x20000 ? Math.max(1, h.getUint32(28, true)) : 1;
  const pfFlags = h.getUint32(80, true);
  const fourcc = String.fromCharCode(...(await w.bytes(84, 4)));
  const rgbBits = h.getUint32(88, true);
  const caps2 = h.getUint32(112, true);
  let start = 128;
  let block: number | undefined;
  let bits: number | undefined;
  let arraySize = 1;
  if (pfFlags & 0x4) {
    if (fourcc === 'DX10') {
      const x = await w.view(128, 20);
      const dxgi = x.getUint32(0, true);
      arraySize = Math.max(1, x.getUint32(12, true));
      start = 148;
      block = DXGI_BLOCK[dxgi];
      bits = DXGI_BITS[dxgi];
    } else block = DDS_FOURCC_BLOCK[fourcc];
  } else if (pfFlags & 0x40 || pfFlags & 0x20000 || pfFlags & 0x2 || pfFlags & 0x200) bits = rgbBits;
  if ((block === undefined && (bits === undefined || bits === 0 || bits % 8 !== 0)) || width === 0 || height === 0)
    throw invalid('dds', 'pixel format whose data size is not known');
  if (mips > 32) throw invalid('dds', 'more mip levels than a 2^32 image has');
  const faces = (caps2 & 0x200 ? 6 : 1) * arraySize;
  let bytes = 0;
  for (let level = 0; level < mips; level++) {
    const lw = Math.max(1, width >>> level);
    const lh = Math.max(1, height >>> level);
    const ld = Math.max(1, depth >>> level);
    bytes += block !== undefined ? Math.ceil(lw / 4) * Math.ceil(lh / 4) * block * ld : lw * lh * ld * ((bits as number) / 8);
    if (bytes * faces > MAX_RASTER_BYTES) throw limit('dds', 'raster larger than allowed', 'MAX_RASTER_BYTES');
  }
  await w.bytes(start, bytes * faces);
  return start + bytes * faces;
}

/** Decodes `count` output bytes of a PCX/TGA-style RLE stream from `pos`; returns where the input ends. */
async function skipRle(w: Window, pos: number, count: number, unit: number, tga: boolean): Promise<number> {
  let out = 0;
  let chunk: Uint8Array = new Uint8Array(0);
  let chunkAt = pos;
  const byte = async (at: number): Promise<number> => {
    if (at >= chunkAt + chunk.length) {
      chunkAt = at;
      chunk = await w.bytes(at, Math.min(RLE_CHUNK_BYTES, w.size - at));
      if (chunk.length === 0) throw invalid(tga ? 'tga' : 'pcx', 'RLE data runs past the file');
    }
    return chunk[at - chunkAt] as number;
  };
  while (out < count) {
    const b = await byte(pos++);
    if (tga) {
      const n = ((b & 0x7f) + 1) * unit;
      pos += b & 0x80 ? unit : n;
      out += n;
    } else if (b >= 0xc0) {
      pos++;
      out += b & 0x3f;
    } else out++;
  }
  if (pos > w.size) throw invalid(tga ? 'tga' : 'pcx', 'RLE data runs past the file');
  return pos;
}

async function walkPcx(w: Window): Promise<number> {
  const h = await w.view(0, 128);
  const width = h.getUint16(8, true) - h.getUint16(4, true) + 1;
  const height = h.getUint16(10, true) - h.getUint16(6, true) + 1;
  const planes = h.getUint8(65);
  const perLine = h.getUint16(66, true);
  if (width <= 0 || height <= 0 || planes === 0 || perLine === 0) throw invalid('pcx', 'bad dimensions');
  const raster = perLine * planes * height;
  if (raster > MAX_RASTER_BYTES) throw limit('pcx', 'raster larger than allowed', 'MAX_RASTER_BYTES');
  let end = await skipRle(w, 128, raster, 1, false);
  // A 256-colour image ends with 0x0C and a 768-byte palette.
  if (h.getUint8(3) === 8 && planes === 1 && end + 769 <= w.size && (await w.u8(end)) === 0x0c) end += 769;
  return end;
}

async function walkTga(w: Window): Promise<number> {
  const head = await w.bytes(0, 18);
  const t = tgaHeader(head);
  if (!t) throw invalid('tga', 'bad header');
  const v = new DataView(head.buffer, head.byteOffset, 18);
  const cmapBytes = head[1] === 1 ? v.getUint16(5, true) * Math.ceil((head[7] as number) / 8) : 0;
  const start = 18 + (head[0] as number) + cmapBytes;
  const unit = Math.ceil(t.depth / 8);
  const raster = t.width * t.height * unit;
  const end = (head[2] as number) >= 9 ? await skipRle(w, start, raster, unit, true) : start + raster;
  await w.bytes(start, end - start);
  // TGA 2.0: a 26-byte footer ends the file, after an optional 495-byte extension area right behind the image. Any
  // other byte between image and footer (a developer area, anything else) is left to the nested scan of what follows.
  if (w.size >= end + 26) {
    const footer = await w.bytes(w.size - 18, 18);
    if (new TextDecoder('latin1').decode(footer) === TGA_SIGNATURE) {
      const f = await w.view(w.size - 26, 8);
      const ext = f.getUint32(0, true);
      const dev = f.getUint32(4, true);
      if (dev === 0 && ext === 0 && end === w.size - 26) return w.size;
      if (dev === 0 && ext === end && end + TGA_EXTENSION_BYTES === w.size - 26) {
        if ((await w.view(ext, 2)).getUint16(0, true) === TGA_EXTENSION_BYTES) return w.size;
      }
    }
  }
  return end;
}

/** Walks the whole image; returns the offset where it ends. Throws FORMAT_INVALID / LIMIT_EXCEEDED. */
export async function walkMoreImage(w: Window, format: MoreImageFormat): Promise<number> {
  switch (format) {
    case 'pnm':
      return walkPnm(w);
    case 'icns':
      return walkIcns(w);
    case 'jp2':
      return walkJp2(w);
    case 'sgi':
      return walkSgi(w);
    case 'dds':
      return walkDds(w);
    case 'pcx':
      return walkPcx(w);
    case 'tga':
      return walkTga(w);
  }
}
