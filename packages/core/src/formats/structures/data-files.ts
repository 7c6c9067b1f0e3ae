/**
 * Data files of ordinary repositories that no loader turns into code, each recognised by its own header and walked
 * by its structure to the end of the file (so a forged header over other bytes is FORMAT_INVALID, never clean):
 * - fastText `.bin`/`.ftz` (FastText::saveModel: magic, Args, Dictionary, dense or product-quantized matrices);
 * - llama.cpp / whisper.cpp / ggml-examples files from before GGUF: `ggml` (unversioned), `ggmf`, `ggjt` v1-3 and the
 *   `ggla` LoRA adapters (hyperparameters, vocabulary, then tensor records whose data size follows from the type);
 * - IDX (the MNIST files: big-endian dims then exactly their elements);
 * - MATLAB MAT-files v5/v7 (128-byte header, then miMATRIX / miCOMPRESSED elements) and v4 (headers + matrices);
 * - SQLite 3 databases, PDF documents, TrueType/OpenType/WOFF/WOFF2 fonts (tables inside the file), GNU gettext
 *   `.mo` catalogs (string tables inside the file);
 * - ISO base media files (MP4/MOV/M4A/HEIC/AVIF demo clips: boxes from `ftyp` to the end), PLY point clouds and
 *   meshes (header, then exactly the elements it declares), binary STL (triangle count accounts for the size), glTF
 *   binary `.glb` (length field and chunks);
 * - netCDF classic (CDF-1/2/5: header lists, then the variables where their `begin` offsets say) and Stata `.dta`
 *   (formats 113-115: fixed header and records; 117-119: the tagged sections of its map).
 */
import { inflateSync, constants as zlibConstants } from 'node:zlib';
import { invalid, limit, type Window } from './window.js';

export type DataFileFormat =
  | 'fasttext'
  | 'ggml'
  | 'idx'
  | 'matlab'
  | 'matlab-v4'
  | 'sqlite'
  | 'pdf'
  | 'font'
  | 'gettext-mo'
  | 'isobmff'
  | 'ply'
  | 'stl'
  | 'glb'
  | 'netcdf'
  | 'stata';

/** Records walked in one file (vocabulary entries, tensors, MAT elements, font tables). */
export const MAX_DATA_FILE_RECORDS = 10_000_000;
/** Longest fastText word / ggml token or tensor name read (real ones are tens of bytes). */
const MAX_NAME_BYTES = 64 * 1024;
/** Compressed bytes of one MAT v7 element inflated to check the element it holds (its tag is in the first block). */
const MAT_PROBE_BYTES = 4096;

const FASTTEXT_MAGIC = 793712314;
const GGML_MAGICS: Record<number, string> = { 1734831468: 'ggml', 1734831462: 'ggmf', 1734830708: 'ggjt', 1734831201: 'ggla' };

const u32le = (h: Uint8Array, at: number) =>
  ((h[at] as number) | ((h[at + 1] as number) << 8) | ((h[at + 2] as number) << 16) | ((h[at + 3] as number) << 24)) >>> 0;
const u32be = (h: Uint8Array, at: number) =>
  (((h[at] as number) << 24) | ((h[at + 1] as number) << 16) | ((h[at + 2] as number) << 8) | (h[at + 3] as number)) >>> 0;
const ascii = (h: Uint8Array, at: number, text: string) =>
  h.length >= at + text.length && [...text].every((c, i) => h[at + i] === c.charCodeAt(0));

/** IDX element sizes by type code. */
const IDX_TYPES: Record<number, number> = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 };
/** Bytes per element of a MAT v4 matrix by its precision digit P. */
const MAT4_PRECISION = [8, 4, 4, 2, 2, 1];

function mat4Header(h: Uint8Array, at: number, size: number): { bytes: number; le: boolean } | undefined {
  if (h.length < at + 20) return undefined;
  for (const le of [true, false]) {
    const v = new DataView(h.buffer, h.byteOffset + at, 20);
    const type = v.getInt32(0, le);
    const [rows, cols, imag, namlen] = [4, 8, 12, 16].map((o) => v.getInt32(o, le)) as [number, number, number, number];
    const m = Math.floor(type / 1000);
    const o = Math.floor(type / 100) % 10;
    const p = Math.floor(type / 10) % 10;
    const t = type % 10;
    if (type < 0 || m !== (le ? 0 : 1) || o !== 0 || p > 5 || t > 2 || rows < 0 || cols < 0 || (imag !== 0 && imag !== 1))
      continue;
    if (namlen < 2 || namlen > 64) continue;
    const bytes = 20 + namlen + rows * cols * (MAT4_PRECISION[p] as number) * (imag + 1);
    if (bytes > size - at) continue;
    return { bytes, le };
  }
  return undefined;
}

/** The data format `head` opens as (header fields that must hold), or undefined; `size` is the file's size. */
export function sniffDataFile(head: Uint8Array, size: number): DataFileFormat | undefined {
  if (head.length >= 8 && u32le(head, 0) === FASTTEXT_MAGIC && u32le(head, 4) >= 11 && u32le(head, 4) <= 12) return 'fasttext';
  if (head.length >= 32 && GGML_MAGICS[u32le(head, 0)] !== undefined) return 'ggml';
  if (
    head.length >= 8 &&
    head[0] === 0 &&
    head[1] === 0 &&
    IDX_TYPES[head[2] as number] &&
    (head[3] as number) >= 1 &&
    (head[3] as number) <= 8
  ) {
    const ndim = head[3] as number;
    if (head.length >= 4 + 4 * ndim) {
      let n = IDX_TYPES[head[2] as number] as number;
      for (let i = 0; i < ndim; i++) n *= u32be(head, 4 + 4 * i);
      if (4 + 4 * ndim + n === size) return 'idx';
    }
  }
  if (head.length >= 128 && ascii(head, 0, 'MATLAB 5.0 MAT-file') && (ascii(head, 126, 'IM') || ascii(head, 126, 'MI')))
    return 'matlab';
  if (ascii(head, 0, 'SQLite format 3\0')) return 'sqlite';
  if (head.length >= 28 && (u32le(head, 0) === 0x950412de || u32be(head, 0) === 0x950412de)) return 'gettext-mo';
  if (
    head.length >= 16 &&
    ascii(head, 4, 'ftyp') &&
    u32be(head, 0) >= 16 &&
    /^[\x20-\x7e]{4}$/.test(String.fromCharCode(...head.subarray(8, 12)))
  )
    return 'isobmff';
  if (ascii(head, 0, 'CDF') && [1, 2, 5].includes(head[3] as number) && head.length >= 8) return 'netcdf';
  if (ascii(head, 0, '<stata_dta><header><release>11')) return 'stata';
  if (
    [113, 114, 115].includes(head[0] as number) &&
    (head[1] === 1 || head[1] === 2) &&
    head[2] === 1 &&
    head[3] === 0 &&
    head.length >= 109
  )
    return 'stata';
  if (ascii(head, 0, 'ply\n') || ascii(head, 0, 'ply\r\n')) return 'ply';
  if (head.length >= 20 && ascii(head, 0, 'glTF') && u32le(head, 4) === 2 && u32le(head, 8) === size) return 'glb';
  // Binary STL: an 80-byte header (any bytes but "solid" text files are ASCII STL, i.e. text) and a triangle count
  // that accounts for the file size exactly.
  if (head.length >= 84 && size === 84 + 50 * u32le(head, 80) && u32le(head, 80) > 0) return 'stl';
  if (ascii(head, 0, '%PDF-') && /^[12]\.\d$/.test(String.fromCharCode(...head.subarray(5, 8)))) return 'pdf';
  const tag = u32be(head, 0);
  if (head.length >= 12 && (tag === 0x00010000 || tag === 0x4f54544f || tag === 0x74727565 || tag === 0x74746366)) return 'font';
  if (head.length >= 12 && (tag === 0x774f4646 || tag === 0x774f4632) && u32be(head, 8) === size) return 'font';
  return undefined;
}

/**
 * MAT v4 has no magic: the first matrix header must describe a named matrix that fits in the file. Tried only after
 * every format that has a signature (and after a companion manifest's word).
 */
export function sniffMatlabV4(head: Uint8Array, size: number): boolean {
  if (!mat4Header(head, 0, size)) return false;
  const namlen = new DataView(head.buffer, head.byteOffset).getInt32(16, u32le(head, 0) < 1000);
  const name = head.subarray(20, 20 + namlen);
  return name.length === namlen && name[namlen - 1] === 0 && name.subarray(0, namlen - 1).every((b) => b >= 0x21 && b < 0x7f);
}

class Cursor {
  n = 0;
  constructor(
    readonly w: Window,
    readonly what: string,
    public pos = 0,
  ) {}
  tick(): void {
    if (++this.n > MAX_DATA_FILE_RECORDS) throw limit(this.what, 'more records than allowed', 'MAX_DATA_FILE_RECORDS');
  }
  async i32(): Promise<number> {
    const v = (await this.w.view(this.pos, 4)).getInt32(0, true);
    this.pos += 4;
    return v;
  }
  async u32(): Promise<number> {
    const v = (await this.w.view(this.pos, 4)).getUint32(0, true);
    this.pos += 4;
    return v;
  }
  async i64(): Promise<number> {
    const v = (await this.w.view(this.pos, 8)).getBigInt64(0, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
      throw invalid(this.what, 'count out of range');
    return Number(v);
  }
  async u8(): Promise<number> {
    return this.w.u8(this.pos++);
  }
  skip(n: number, field: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.w.size)
      throw invalid(this.what, `${field} runs past the end of the file`, { offset: this.pos });
    this.pos += n;
  }
}

// ---- fastText ---------------------------------------------------------------------------------------------------

async function fasttextMatrix(c: Cursor, quant: boolean): Promise<void> {
  if (!quant) {
    const m = await c.i64();
    const n = await c.i64();
    c.skip(m * n * 4, 'dense matrix');
    return;
  }
  const qnorm = await c.u8();
  const m = await c.i64();
  await c.i64(); // n
  const codesize = await c.i32();
  if (qnorm > 1 || m < 0) throw invalid('fasttext', 'bad quantized matrix header');
  c.skip(codesize, 'quantized codes');
  const pq = async () => {
    const dim = await c.i32();
    c.skip(12, 'product quantizer'); // nsubq, dsub, lastdsub
    c.skip(dim * 256 * 4, 'centroids');
  };
  await pq();
  if (qnorm) {
    c.skip(m, 'norm codes');
    await pq();
  }
}

async function walkFasttext(w: Window): Promise<void> {
  const c = new Cursor(w, 'fasttext', 8);
  c.skip(12 * 4 + 8, 'arguments');
  const size = await c.i32();
  const nwords = await c.i32();
  const nlabels = await c.i32();
  await c.i64(); // ntokens
  const pruneidx = await c.i64();
  if (size < 0 || nwords < 0 || nlabels < 0 || size !== nwords + nlabels) throw invalid('fasttext', 'dictionary sizes disagree');
  for (let i = 0; i < size; i++) {
    c.tick();
    const chunk = await w.bytes(c.pos, Math.min(MAX_NAME_BYTES + 1, w.size - c.pos));
    const nul = chunk.indexOf(0);
    if (nul < 0) throw invalid('fasttext', `word ${i} is not NUL-terminated within MAX_NAME_BYTES`);
    c.skip(nul + 1 + 8, 'dictionary entry');
    if ((await c.u8()) > 1) throw invalid('fasttext', `word ${i} has an entry type that is neither word nor label`);
  }
  c.skip(Math.max(0, pruneidx) * 8, 'prune index');
  const quantInput = await c.u8();
  if (quantInput > 1) throw invalid('fasttext', 'quant flag is not a bool');
  await fasttextMatrix(c, quantInput === 1);
  const qout = await c.u8();
  if (qout > 1) throw invalid('fasttext', 'qout flag is not a bool');
  await fasttextMatrix(c, qout === 1);
  if (c.pos !== w.size) throw invalid('fasttext', `${w.size - c.pos} bytes after the output matrix`);
}

// ---- ggml family --------------------------------------------------------------------------------------------------

type BlockTable = Record<number, [number, number]>;
/** [elements per block, bytes per block] of ggml tensor types as llama.cpp wrote them before May 2023 (ggml, ggmf, ggjt v1-2). */
const GGML_LEGACY_BLOCKS: BlockTable = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 20],
  3: [32, 24],
  4: [16, 10],
  5: [16, 12],
  6: [32, 22],
  7: [32, 24],
  8: [32, 36],
  9: [32, 40],
};
/** ... and from ggjt v3 on (f16 scales), with the k-quants (whisper.cpp's ggml files use these too). */
const GGML_V3_BLOCKS: BlockTable = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 40],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
};

/** Tensor records (n_dims, name length, type, dims, name, [32-byte alignment], data) up to exactly the end of the file. */
async function ggmlTensors(c: Cursor, aligned: boolean, blocks: BlockTable): Promise<boolean> {
  const w = c.w;
  let count = 0;
  while (c.pos < w.size) {
    c.tick();
    if (c.pos + 12 > w.size) return false;
    const nDims = await c.i32();
    const nameLen = await c.i32();
    const type = await c.i32();
    const block = blocks[type];
    if (nDims < 1 || nDims > 4 || nameLen < 1 || nameLen > MAX_NAME_BYTES || !block) return false;
    let elements = 1;
    for (let i = 0; i < nDims; i++) {
      if (c.pos + 4 > w.size) return false;
      const d = await c.i32();
      if (d < 1) return false;
      elements *= d;
      if (i === 0 && d % block[0] !== 0) return false;
    }
    if (c.pos + nameLen > w.size) return false;
    c.pos += nameLen;
    if (aligned) c.pos += (32 - (c.pos % 32)) % 32;
    const bytes = (elements / block[0]) * block[1];
    if (!Number.isSafeInteger(bytes) || c.pos + bytes > w.size) return false;
    c.pos += bytes;
    count++;
  }
  return count > 0 && c.pos === w.size;
}

/** Vocabulary of `n` entries (u32 length + bytes [+ f32 score]); false when it does not fit. */
async function ggmlVocab(c: Cursor, n: number, scores: boolean): Promise<boolean> {
  if (n < 1 || n > MAX_DATA_FILE_RECORDS) return false;
  for (let i = 0; i < n; i++) {
    c.tick();
    if (c.pos + 4 > c.w.size) return false;
    const len = await c.u32();
    if (len > MAX_NAME_BYTES || c.pos + len + (scores ? 4 : 0) > c.w.size) return false;
    c.pos += len + (scores ? 4 : 0);
  }
  return true;
}

/**
 * The header layouts that precede the tensors: llama.cpp's (7 hyperparameters, vocabulary with scores except in
 * unversioned files), ggla (rank, alpha), whisper.cpp's (11 hyperparameters, mel filters, counted vocabulary) and
 * the ggml examples' GPT-2/GPT-J/NeoX/StarCoder files (5-9 hyperparameters, counted vocabulary). The file is ggml
 * when one of them reaches exactly the end of the file through well-formed tensor records.
 */
async function walkGgml(w: Window): Promise<void> {
  const head = await w.bytes(0, 8);
  const kind = GGML_MAGICS[u32le(head, 0)] as string;
  const version = kind === 'ggml' ? 0 : u32le(head, 4);
  const start = kind === 'ggml' ? 4 : 8;
  if (kind === 'ggmf' && version !== 1) throw invalid('ggml', `ggmf version ${version} (only 1 was written)`);
  if (kind === 'ggjt' && (version < 1 || version > 3)) throw invalid('ggml', `ggjt version ${version} (1-3 were written)`);
  if (kind === 'ggla' && version !== 1) throw invalid('ggml', `ggla version ${version} (only 1 was written)`);
  const tables =
    kind === 'ggjt' && version === 3
      ? [GGML_V3_BLOCKS]
      : kind === 'ggml'
        ? [GGML_LEGACY_BLOCKS, GGML_V3_BLOCKS]
        : [GGML_LEGACY_BLOCKS];
  const aligned = kind === 'ggjt' || kind === 'ggla';
  const attempts: Array<(c: Cursor) => Promise<boolean>> = [];
  if (kind === 'ggla')
    attempts.push(async (c) => {
      c.skip(8, 'rank and alpha');
      return true;
    });
  else {
    // llama.cpp: n_vocab n_embd n_mult n_head n_layer n_rot ftype, then n_vocab tokens.
    attempts.push(async (c) => {
      const nVocab = await c.i32();
      c.pos += 24;
      return ggmlVocab(c, nVocab, kind !== 'ggml');
    });
    if (kind === 'ggml') {
      // whisper.cpp: 11 hyperparameters, mel filters (n_mel, n_fft, floats), counted vocabulary.
      attempts.push(async (c) => {
        c.pos += 44;
        const nMel = await c.i32();
        const nFft = await c.i32();
        if (nMel < 0 || nFft < 0 || c.pos + nMel * nFft * 4 > w.size) return false;
        c.pos += nMel * nFft * 4;
        return ggmlVocab(c, await c.i32(), false);
      });
      for (let k = 5; k <= 9; k++)
        attempts.push(async (c) => {
          c.pos += 4 * k;
          return ggmlVocab(c, await c.i32(), false);
        });
    }
  }
  for (const attempt of attempts)
    for (const table of tables) {
      const c = new Cursor(w, 'ggml', start);
      try {
        if ((await attempt(c)) && (await ggmlTensors(c, aligned, table))) return;
      } catch (error) {
        if (!(error instanceof Error) || !/truncated|runs past/.test(error.message)) throw error;
      }
    }
  throw invalid('ggml', `no ${kind} layout (llama.cpp, whisper.cpp, ggml examples) reads to the end of the file`);
}

// ---- IDX, MAT, SQLite, PDF, fonts -----------------------------------------------------------------------------------

async function walkMatlab(w: Window): Promise<void> {
  const le = ascii(await w.bytes(126, 2), 0, 'IM');
  const version = (await w.view(124, 2)).getUint16(0, le);
  if (version !== 0x0100) throw invalid('matlab', `header version ${version.toString(16)} is not 0x0100`);
  const c = new Cursor(w, 'matlab', 128);
  while (c.pos < w.size) {
    c.tick();
    const tag = await w.view(c.pos, 8);
    const type = tag.getUint32(0, le);
    const bytes = tag.getUint32(4, le);
    if (type === 14) {
      const flags = await w.view(c.pos + 8, 8);
      if (flags.getUint32(0, le) !== 6 || flags.getUint32(4, le) !== 8)
        throw invalid('matlab', 'matrix does not open with its array flags');
      c.skip(8 + bytes + ((8 - (bytes % 8)) % 8), 'matrix');
    } else if (type === 15) {
      const probe = await w.bytes(c.pos + 8, Math.min(bytes, MAT_PROBE_BYTES));
      let inner: Buffer;
      try {
        inner = inflateSync(probe, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 });
      } catch (error) {
        if (!(error instanceof RangeError)) throw invalid('matlab', 'compressed element does not inflate', { offset: c.pos });
        inner = Buffer.alloc(0);
      }
      if (inner.length >= 8 && new DataView(inner.buffer, inner.byteOffset, 8).getUint32(0, le) !== 14)
        throw invalid('matlab', 'compressed element does not hold a matrix', { offset: c.pos });
      c.skip(8 + bytes, 'compressed element');
    } else throw invalid('matlab', `top-level element of type ${type} (only matrices are stored)`, { offset: c.pos });
  }
}

async function walkMatlabV4(w: Window): Promise<void> {
  let pos = 0;
  for (let n = 0; pos < w.size; n++) {
    if (n > MAX_DATA_FILE_RECORDS) throw limit('matlab-v4', 'more matrices than allowed', 'MAX_DATA_FILE_RECORDS');
    const h = mat4Header(await w.bytes(pos, Math.min(20, w.size - pos)), 0, w.size - pos);
    if (!h) throw invalid('matlab-v4', 'matrix header does not describe a matrix inside the file', { offset: pos });
    pos += h.bytes;
  }
}

async function checkSqlite(w: Window): Promise<void> {
  const h = await w.view(0, 100);
  const raw = h.getUint16(16, false);
  const page = raw === 1 ? 65536 : raw;
  if (page < 512 || (page & (page - 1)) !== 0) throw invalid('sqlite', `page size ${raw} is not a power of two in 512..65536`);
  if (h.getUint8(21) !== 64 || h.getUint8(22) !== 32 || h.getUint8(23) !== 32)
    throw invalid('sqlite', 'payload fractions are not 64/32/32');
  if (w.size % page !== 0) throw invalid('sqlite', `size ${w.size} is not a whole number of ${page}-byte pages`);
}

/** Last bytes of a PDF searched for `startxref` and `%%EOF` (readers look at the last 1 KiB). */
const PDF_TAIL_BYTES = 1024;

async function checkPdf(w: Window): Promise<void> {
  const n = Math.min(w.size, PDF_TAIL_BYTES);
  const tail = new TextDecoder('latin1').decode(await w.bytes(w.size - n, n));
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!m || Number(m[1]) >= w.size) throw invalid('pdf', 'does not end with startxref <offset> %%EOF');
  const at = Number(m[1]);
  const xref = new TextDecoder('latin1').decode(await w.bytes(at, Math.min(16, w.size - at)));
  // A cross-reference table or a cross-reference stream object (`12 0 obj`).
  if (!/^(xref|\d+\s+\d+\s+obj)/.test(xref)) throw invalid('pdf', 'startxref does not point at a cross-reference section');
}

async function checkSfnt(w: Window, at: number): Promise<number> {
  const h = await w.view(at, 12);
  const tables = h.getUint16(4, false);
  if (tables === 0 || tables > 1024) throw invalid('font', `${tables} tables`);
  const dir = await w.view(at + 12, tables * 16);
  let end = at + 12 + tables * 16;
  for (let i = 0; i < tables; i++) {
    const offset = dir.getUint32(i * 16 + 8, false);
    const length = dir.getUint32(i * 16 + 12, false);
    if (offset + length > w.size) throw invalid('font', `table ${i} lies outside the file`);
    end = Math.max(end, offset + length);
  }
  return end;
}

/** Checks a font; returns where its last table ends (tables are 4-byte padded; bytes after them are not the font's). */
async function checkFont(w: Window): Promise<number> {
  const tag = (await w.view(0, 4)).getUint32(0, false);
  if (tag === 0x74746366) {
    const n = (await w.view(8, 4)).getUint32(0, false);
    if (n === 0 || n > 4096) throw invalid('font', `collection of ${n} fonts`);
    const offsets = await w.view(12, n * 4);
    let end = 12 + n * 4;
    for (let i = 0; i < n; i++) end = Math.max(end, await checkSfnt(w, offsets.getUint32(i * 4, false)));
    return end;
  }
  if (tag === 0x774f4646 || tag === 0x774f4632) {
    const h = await w.view(0, 44);
    if (h.getUint32(8, false) !== w.size) throw invalid('font', 'WOFF length field is not the file size');
    const tables = h.getUint16(12, false);
    if (tables === 0 || tables > 1024) throw invalid('font', `${tables} tables`);
    if (tag === 0x774f4632) return w.size; // WOFF2: a variable-length directory, then one Brotli stream; length = size
    const dir = await w.view(44, tables * 20);
    for (let i = 0; i < tables; i++) {
      const offset = dir.getUint32(i * 20 + 4, false);
      const length = dir.getUint32(i * 20 + 8, false);
      if (offset + length > w.size) throw invalid('font', `table ${i} lies outside the file`);
    }
    return w.size; // the header's length field is the file size
  }
  return checkSfnt(w, 0);
}

/** ISO/IEC 14496-12 boxes (size, type; size 1: 64-bit size follows; size 0: to the end) up to exactly the end. */
async function walkIsobmff(w: Window): Promise<void> {
  const c = new Cursor(w, 'isobmff');
  while (c.pos < w.size) {
    c.tick();
    const h = await w.view(c.pos, 8);
    let size = h.getUint32(0, false);
    const type = await w.bytes(c.pos + 4, 4);
    if (!type.every((b) => b >= 0x20 && b <= 0x7e))
      throw invalid('isobmff', 'box type is not four characters', { offset: c.pos });
    if (size === 1) size = Number((await w.view(c.pos + 8, 8)).getBigUint64(0, false));
    else if (size === 0) size = w.size - c.pos;
    if (size < 8) throw invalid('isobmff', `box of ${size} bytes`, { offset: c.pos });
    c.skip(size, 'box');
  }
}

/** Bytes of the PLY scalar types. */
const PLY_TYPES: Record<string, number> = {
  char: 1,
  uchar: 1,
  int8: 1,
  uint8: 1,
  short: 2,
  ushort: 2,
  int16: 2,
  uint16: 2,
  int: 4,
  uint: 4,
  int32: 4,
  uint32: 4,
  float: 4,
  float32: 4,
  double: 8,
  float64: 8,
};
/** Bytes of an ASCII PLY body checked per read (bodies reach GBs: never held whole). */
const PLY_TEXT_CHUNK_BYTES = 1024 * 1024;
/** Largest PLY header read (real ones are a few hundred bytes). */
const MAX_PLY_HEADER_BYTES = 64 * 1024;

/** PLY (Turk 1994): a text header of elements and properties, then ASCII text or exactly the binary elements. */
async function walkPly(w: Window): Promise<void> {
  const head = new TextDecoder('latin1').decode(await w.bytes(0, Math.min(w.size, MAX_PLY_HEADER_BYTES)));
  const endAt = head.search(/end_header\r?\n/);
  if (endAt < 0) throw invalid('ply', 'no end_header line within MAX_PLY_HEADER_BYTES');
  const dataAt = endAt + head.slice(endAt).indexOf('\n') + 1;
  const lines = head.slice(0, endAt).split(/\r?\n/);
  const format = /^format (ascii|binary_little_endian|binary_big_endian) 1\.0$/.exec(lines[1]?.trim() ?? '');
  if (!format) throw invalid('ply', 'second line is not a known format line');
  const elements: Array<{ count: number; props: Array<{ list?: [number, number]; size: number }> }> = [];
  for (const line of lines.slice(2)) {
    const t = line.trim().split(/\s+/);
    if (t[0] === 'element' && t.length === 3 && /^\d+$/.test(t[2] as string)) elements.push({ count: Number(t[2]), props: [] });
    else if (t[0] === 'property') {
      const el = elements[elements.length - 1];
      if (!el) throw invalid('ply', 'property before any element');
      if (t[1] === 'list') {
        const count = PLY_TYPES[t[2] as string];
        const item = PLY_TYPES[t[3] as string];
        if (!count || !item || t.length !== 5) throw invalid('ply', `bad list property: ${line}`);
        el.props.push({ list: [count, item], size: 0 });
      } else {
        const size = PLY_TYPES[t[1] as string];
        if (!size || t.length !== 3) throw invalid('ply', `bad property: ${line}`);
        el.props.push({ size });
      }
    } else if (t[0] !== 'comment' && t[0] !== 'obj_info' && t[0] !== '') throw invalid('ply', `unknown header line: ${line}`);
  }
  if (format[1] === 'ascii') {
    for (let pos = dataAt; pos < w.size; pos += PLY_TEXT_CHUNK_BYTES)
      if (hasControlBytes(await w.bytes(pos, Math.min(PLY_TEXT_CHUNK_BYTES, w.size - pos))))
        throw invalid('ply', 'ASCII body holds binary bytes', { offset: pos });
    return;
  }
  const le = format[1] === 'binary_little_endian';
  const c = new Cursor(w, 'ply', dataAt);
  for (const el of elements) {
    const fixed = el.props.every((p) => !p.list);
    if (fixed) {
      c.skip(el.count * el.props.reduce((n, p) => n + p.size, 0), 'element data');
      continue;
    }
    for (let i = 0; i < el.count; i++) {
      c.tick();
      for (const p of el.props) {
        if (!p.list) {
          c.skip(p.size, 'property');
          continue;
        }
        const v = await w.view(c.pos, p.list[0]);
        const n = p.list[0] === 1 ? v.getUint8(0) : p.list[0] === 2 ? v.getUint16(0, le) : v.getUint32(0, le);
        c.skip(p.list[0] + n * p.list[1], 'list property');
      }
    }
  }
  if (c.pos !== w.size) throw invalid('ply', `${w.size - c.pos} bytes after the declared elements`);
}

function hasControlBytes(bytes: Uint8Array): boolean {
  return bytes.some((b) => b < 0x09 || (b > 0x0d && b < 0x20));
}

/** glTF 2.0 binary: 12-byte header (length = file size), then chunks (length, type JSON or BIN) to the end. */
async function walkGlb(w: Window): Promise<void> {
  const c = new Cursor(w, 'glb', 12);
  let first = true;
  while (c.pos < w.size) {
    c.tick();
    const h = await w.view(c.pos, 8);
    const length = h.getUint32(0, true);
    const type = h.getUint32(4, true);
    if (first && type !== 0x4e4f534a) throw invalid('glb', 'first chunk is not JSON');
    first = false;
    if (length % 4 !== 0) throw invalid('glb', 'chunk length is not a multiple of 4', { offset: c.pos });
    c.skip(8 + length, 'chunk');
  }
  if (first) throw invalid('glb', 'no JSON chunk');
}

/** netCDF classic (Unidata file format spec): returns where the last variable's data ends. */
async function checkNetcdf(w: Window): Promise<number> {
  const version = await w.u8(3);
  const wide = version === 5; // CDF-5: 64-bit counts
  const c = new Cursor(w, 'netcdf', 4);
  const be32 = async () => {
    const v = (await w.view(c.pos, 4)).getUint32(0, false);
    c.pos += 4;
    return v;
  };
  const count = async () => {
    if (!wide) return be32();
    const v = (await w.view(c.pos, 8)).getBigUint64(0, false);
    c.pos += 8;
    if (v > BigInt(MAX_DATA_FILE_RECORDS)) throw limit('netcdf', 'count above MAX_DATA_FILE_RECORDS', 'MAX_DATA_FILE_RECORDS');
    return Number(v);
  };
  const offset = async () => {
    if (version === 1) return be32();
    const v = (await w.view(c.pos, 8)).getBigUint64(0, false);
    c.pos += 8;
    return Number(v);
  };
  const name = async () => {
    const n = await count();
    if (n > MAX_NAME_BYTES) throw invalid('netcdf', 'name longer than MAX_NAME_BYTES');
    c.skip(n + ((4 - (n % 4)) % 4), 'name');
  };
  const TYPE_BYTES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 4, 11: 8, 12: 8 };
  const list = async (tag: number, item: () => Promise<void>) => {
    const t = await be32();
    const n = await count();
    if (t === 0 && n === 0) return;
    if (t !== tag) throw invalid('netcdf', `list tag ${t} where ${tag} (or ABSENT) belongs`, { offset: c.pos });
    for (let i = 0; i < n; i++) {
      c.tick();
      await item();
    }
  };
  const attrs = () =>
    list(0x0c, async () => {
      await name();
      const size = TYPE_BYTES[await be32()];
      if (!size) throw invalid('netcdf', 'attribute of unknown type');
      const n = await count();
      const bytes = n * size;
      c.skip(bytes + ((4 - (bytes % 4)) % 4), 'attribute values');
    });
  const numrecs = await count();
  const dims: number[] = [];
  await list(0x0a, async () => {
    await name();
    dims.push(await count());
  });
  await attrs();
  let end = 0;
  let recordBegin = -1;
  let recordSize = 0;
  await list(0x0b, async () => {
    await name();
    const n = await count();
    let record = false;
    for (let i = 0; i < n; i++) {
      const id = await count();
      if (id >= dims.length) throw invalid('netcdf', `variable names dimension ${id} of ${dims.length}`);
      if (i === 0 && dims[id] === 0) record = true;
    }
    await attrs();
    if (!TYPE_BYTES[await be32()]) throw invalid('netcdf', 'variable of unknown type');
    const vsize = await count();
    const begin = await offset();
    if (record) {
      recordBegin = recordBegin < 0 ? begin : Math.min(recordBegin, begin);
      recordSize += vsize;
    } else end = Math.max(end, begin + vsize);
  });
  const header = c.pos;
  if (recordBegin >= 0) end = Math.max(end, numrecs === 0xffffffff ? w.size : recordBegin + numrecs * recordSize);
  end = Math.max(end, header);
  if (end > w.size) throw invalid('netcdf', `variables end at ${end}, past the end of the file`);
  return end;
}

const STATA_SECTIONS = [
  '<stata_dta>',
  '<map>',
  '<variable_types>',
  '<varnames>',
  '<sortlist>',
  '<formats>',
  '<value_label_names>',
  '<variable_labels>',
  '<characteristics>',
  '<data>',
  '<strls>',
  '<value_labels>',
  '</stata_dta>',
];

/** Stata .dta: 117-119 by the section map (14 offsets, each at its tag, the last the file size); 113-115 walked. */
async function checkStata(w: Window): Promise<void> {
  const head = new TextDecoder('latin1').decode(await w.bytes(0, Math.min(w.size, 4096)));
  if (head.startsWith('<stata_dta>')) {
    const le = head.includes('<byteorder>LSF</byteorder>');
    if (!le && !head.includes('<byteorder>MSF</byteorder>')) throw invalid('stata', 'no byteorder');
    const at = head.indexOf('<map>');
    if (at < 0) throw invalid('stata', 'no <map> in the first 4 KiB');
    const map = await w.view(at + 5, 14 * 8);
    const offsets = Array.from({ length: 14 }, (_, i) => Number(map.getBigUint64(i * 8, le)));
    if (offsets[13] !== w.size) throw invalid('stata', 'the map does not end at the file size');
    for (const [i, tag] of STATA_SECTIONS.entries()) {
      const o = offsets[i] as number;
      if (o > w.size - tag.length || new TextDecoder('latin1').decode(await w.bytes(o, tag.length)) !== tag)
        throw invalid('stata', `map entry ${i} does not point at ${tag}`);
    }
    return;
  }
  const le = (await w.u8(1)) === 2;
  const release = await w.u8(0);
  const h = await w.view(0, 10);
  const nvar = h.getUint16(4, le);
  const nobs = h.getUint32(6, le);
  const c = new Cursor(w, 'stata', 109);
  const types = await w.bytes(c.pos, nvar);
  let width = 0;
  for (const t of types) {
    if (t >= 1 && t <= 244) width += t;
    else if (t >= 251) width += [1, 2, 4, 4, 8][t - 251] as number;
    else throw invalid('stata', `variable type ${t}`);
  }
  const nameBytes = release >= 110 ? 33 : 9;
  const fmtBytes = release >= 114 ? 49 : 12;
  c.skip(nvar + nvar * nameBytes + 2 * (nvar + 1) + nvar * fmtBytes + nvar * nameBytes + nvar * 81, 'descriptors');
  for (;;) {
    c.tick();
    const type = await c.u8();
    const len = (await w.view(c.pos, 4)).getUint32(0, le);
    c.pos += 4;
    if (type === 0 && len === 0) break;
    c.skip(len, 'expansion field');
  }
  c.skip(nobs * width, 'data');
  while (c.pos < w.size) {
    c.tick();
    const len = (await w.view(c.pos, 4)).getUint32(0, le);
    c.skip(4 + 33 + 3 + len, 'value label table');
  }
}

/** GNU gettext catalog: header, two string tables and a hash table; returns where the last of them ends. */
async function checkGettext(w: Window): Promise<number> {
  const le = (await w.view(0, 4)).getUint32(0, true) === 0x950412de;
  const h = await w.view(0, 28);
  const major = h.getUint32(4, le) >>> 16;
  const n = h.getUint32(8, le);
  if (major > 1) throw invalid('gettext-mo', `major revision ${major}`);
  if (n > MAX_DATA_FILE_RECORDS) throw limit('gettext-mo', 'more strings than allowed', 'MAX_DATA_FILE_RECORDS');
  let end = 28;
  for (const table of [h.getUint32(12, le), h.getUint32(16, le)]) {
    const t = await w.view(table, n * 8);
    end = Math.max(end, table + n * 8);
    for (let i = 0; i < n; i++) {
      const length = t.getUint32(i * 8, le);
      const offset = t.getUint32(i * 8 + 4, le);
      if (offset + length + 1 > w.size || (await w.u8(offset + length)) !== 0)
        throw invalid('gettext-mo', `string ${i} is not a NUL-terminated string inside the file`);
      end = Math.max(end, offset + length + 1);
    }
  }
  const hashSize = h.getUint32(20, le);
  if (hashSize > 0) {
    const hashAt = h.getUint32(24, le);
    await w.bytes(hashAt, hashSize * 4);
    end = Math.max(end, hashAt + hashSize * 4);
  }
  return end;
}

/**
 * Walks or checks the whole file; returns where it ends (the file size for every format but fonts, whose tables
 * need not reach the end). Throws FORMAT_INVALID / LIMIT_EXCEEDED when it is not what it claims.
 */
export async function checkDataFile(w: Window, format: DataFileFormat): Promise<number> {
  if (format === 'font') return checkFont(w);
  if (format === 'gettext-mo') return checkGettext(w);
  if (format === 'netcdf') return checkNetcdf(w);
  await checkWholeDataFile(w, format);
  return w.size;
}

async function checkWholeDataFile(w: Window, format: Exclude<DataFileFormat, 'font' | 'gettext-mo' | 'netcdf'>): Promise<void> {
  switch (format) {
    case 'fasttext':
      return walkFasttext(w);
    case 'ggml':
      return walkGgml(w);
    case 'idx': {
      const head = await w.bytes(0, Math.min(w.size, 40));
      if (sniffDataFile(head, w.size) !== 'idx') throw invalid('idx', 'dimensions do not account for the file size');
      return;
    }
    case 'matlab':
      return walkMatlab(w);
    case 'matlab-v4':
      return walkMatlabV4(w);
    case 'sqlite':
      return checkSqlite(w);
    case 'pdf':
      return checkPdf(w);
    case 'isobmff':
      return walkIsobmff(w);
    case 'ply':
      return walkPly(w);
    case 'glb':
      return walkGlb(w);
    case 'stl':
      return; // the triangle count accounts for every byte (sniffDataFile)
    case 'stata':
      return checkStata(w);
  }
}
