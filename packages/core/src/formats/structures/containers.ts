/**
 * Data containers of ML repositories that cannot name code, checked by structure: TFRecord files (TensorBoard
 * event files and `tf.data` datasets: the framing and every CRC-32C), Parquet (`PAR1` head and tail, the footer length fits, the footer opens as
 * Thrift FileMetaData), macOS `.DS_Store` (Bud1 buddy allocator header), TFLite (FlatBuffer `TFL3`, root table and
 * vtable in bounds, operator codes read), Core ML weight blobs (MIL blob storage v2), Paddle parameter files
 * (a run of serialised LoDTensors that fills the file).
 */
import { protoFields } from '../protobuf/index.js';
import { maskedCrc32c } from './crc.js';
import { invalid, limit, type Window } from './window.js';

/** Records walked in one TFRecord file or tensors in one Paddle params file (bounds work on hostile input). */
export const MAX_CONTAINER_RECORDS = 10_000_000;
/** Largest single TFRecord record whose CRC is checked in memory (event records are small; summaries of images KBs). */
export const MAX_TFRECORD_RECORD_BYTES = 256 * 1024 * 1024;

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

// ── TensorBoard events (TFRecord) ──────────────────────────────────────────────────────────────────────────────

/** Whether `head` opens as a TFRecord whose first record is an Event carrying `file_version: "brain.Event:..."`. */
export function sniffTensorboardEvents(head: Uint8Array, size: number): boolean {
  if (head.length < 16) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const length = Number(view.getBigUint64(0, true));
  if (length <= 0 || length + 16 > size || 12 + length > head.length) return false;
  if (view.getUint32(8, true) !== maskedCrc32c(head.subarray(0, 8))) return false;
  try {
    for (const f of protoFields(head.subarray(12, 12 + length))) {
      if (f.field === 3 && f.wire === 2) return ascii(f.value, 0, 'brain.Event:');
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * Whether `head` opens as a TFRecord (what `tf.io.TFRecordWriter` writes: a little-endian u64 length, its masked
 * CRC-32C, the record, the record's masked CRC-32C): the length fits the file and its CRC matches; when the whole
 * first record is in `head`, its data CRC too. A 32-bit CRC of the 8 length bytes is a strong signature on its own.
 */
export function sniffTfRecord(head: Uint8Array, size: number): boolean {
  if (head.length < 16) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const length = Number(view.getBigUint64(0, true));
  if (length + 16 > size) return false;
  if (view.getUint32(8, true) !== maskedCrc32c(head.subarray(0, 8))) return false;
  if (16 + length <= head.length) return view.getUint32(12 + length, true) === maskedCrc32c(head.subarray(12, 12 + length));
  return true;
}

/**
 * Walks every record of a TFRecord file, checking both masked CRC-32Cs of each; `onRecord` sees each record's data
 * (the scanner looks into records that open like a pickle).
 */
export async function walkTfRecord(
  w: Window,
  onRecord?: (data: Uint8Array, index: number, offset: number) => Promise<void>,
): Promise<number> {
  let pos = 0;
  let records = 0;
  while (pos < w.size) {
    if (++records > MAX_CONTAINER_RECORDS) throw limit('tfrecord', 'records', 'MAX_CONTAINER_RECORDS');
    const header = await w.bytes(pos, 12);
    const view = new DataView(header.buffer, header.byteOffset, 12);
    const length = view.getBigUint64(0, true);
    if (view.getUint32(8, true) !== maskedCrc32c(header.subarray(0, 8)))
      throw invalid('tfrecord', 'length CRC-32C mismatch', { offset: pos });
    if (length > BigInt(MAX_TFRECORD_RECORD_BYTES)) throw limit('tfrecord', 'record length', 'MAX_TFRECORD_RECORD_BYTES');
    const n = Number(length);
    const data = await w.bytes(pos + 12, n);
    const stored = (await w.view(pos + 12 + n, 4)).getUint32(0, true);
    if (stored !== maskedCrc32c(data)) throw invalid('tfrecord', 'data CRC-32C mismatch', { offset: pos });
    if (onRecord) await onRecord(data, records - 1, pos);
    pos += 16 + n;
  }
  return records;
}

// ── Parquet ───────────────────────────────────────────────────────────────────────────────────────────────────

/** `PAR1` at both ends, the footer length fits between them, the footer opens with FileMetaData.version (i32). */
export async function checkParquet(w: Window): Promise<void> {
  if (w.size < 12) throw invalid('parquet', 'shorter than its magic and footer');
  const head = await w.bytes(0, 4);
  const tail = await w.bytes(w.size - 8, 8);
  if (!ascii(head, 0, 'PAR1') || !ascii(tail, 4, 'PAR1')) throw invalid('parquet', 'no PAR1 magic at both ends');
  const footer = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
  if (footer === 0 || footer > w.size - 12) throw invalid('parquet', 'footer length does not fit the file');
  // Thrift compact protocol: field 1 (delta 1), type i32 (5).
  if ((await w.u8(w.size - 8 - footer)) !== 0x15) throw invalid('parquet', 'footer is not a FileMetaData');
}

export function sniffParquet(head: Uint8Array): boolean {
  return ascii(head, 0, 'PAR1');
}

// ── .DS_Store ─────────────────────────────────────────────────────────────────────────────────────────────────

export function sniffDsStore(head: Uint8Array): boolean {
  return head.length >= 20 && head[0] === 0 && head[1] === 0 && head[2] === 0 && head[3] === 1 && ascii(head, 4, 'Bud1');
}

/** The buddy allocator header: root block offset (twice, equal) and size lie inside the file. */
export async function checkDsStore(w: Window): Promise<void> {
  const v = await w.view(0, 20);
  const offset = v.getUint32(8, false);
  const size = v.getUint32(12, false);
  const offset2 = v.getUint32(16, false);
  if (offset !== offset2 || offset + 4 + size > w.size) throw invalid('ds-store', 'allocator header disagrees with the file');
}

// ── TFLite ────────────────────────────────────────────────────────────────────────────────────────────────────

export function sniffTflite(head: Uint8Array): boolean {
  return head.length >= 8 && ascii(head, 4, 'TFL3');
}

/** Operators walked in one TFLite model (real models have a few hundred operator codes). */
export const MAX_TFLITE_OPERATOR_CODES = 100_000;

/**
 * Checks the FlatBuffer root (Model table and its vtable in bounds) and returns the custom operator codes
 * (`custom_code` strings: Flex ops name the TensorFlow op they run, e.g. `FlexReadFile`).
 */
export async function readTflite(w: Window): Promise<{ customCodes: string[] }> {
  const u32 = async (p: number) => (await w.view(p, 4)).getUint32(0, true);
  const root = await u32(0);
  const table = async (at: number) => {
    const vt = at - (await w.view(at, 4)).getInt32(0, true);
    const vtSize = (await w.view(vt, 2)).getUint16(0, true);
    const tableSize = (await w.view(vt + 2, 2)).getUint16(0, true);
    if (vtSize < 4 || vtSize % 2 !== 0) throw invalid('tflite', 'bad vtable', { offset: vt });
    await w.bytes(vt, vtSize);
    await w.bytes(at, tableSize);
    return async (field: number): Promise<number | undefined> => {
      if (4 + 2 * field >= vtSize) return undefined;
      const off = (await w.view(vt + 4 + 2 * field, 2)).getUint16(0, true);
      if (off === 0) return undefined;
      if (off >= tableSize) throw invalid('tflite', 'field outside its table', { offset: at });
      return at + off;
    };
  };
  const model = await table(root);
  const customCodes: string[] = [];
  const codesAt = await model(1);
  if (codesAt !== undefined) {
    const vec = codesAt + (await u32(codesAt));
    const n = await u32(vec);
    if (n > MAX_TFLITE_OPERATOR_CODES) throw limit('tflite', 'operator codes', 'MAX_TFLITE_OPERATOR_CODES');
    for (let i = 0; i < n; i++) {
      const elem = vec + 4 + 4 * i;
      const code = await table(elem + (await u32(elem)));
      const customAt = await code(1);
      if (customAt === undefined) continue;
      const str = customAt + (await u32(customAt));
      const len = await u32(str);
      customCodes.push(new TextDecoder().decode(await w.bytes(str + 4, Math.min(len, 256))));
    }
  }
  return { customCodes };
}

// ── Core ML weights (MIL blob storage) ────────────────────────────────────────────────────────────────────────

const MIL_SENTINEL = 0xdeadbeef;
const MIL_ALIGNMENT = 64;

export function sniffCoremlWeights(head: Uint8Array): boolean {
  if (head.length < 72) return false;
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  return v.getUint32(4, true) === 2 && v.getUint32(64, true) === MIL_SENTINEL;
}

/** Walks the blob metadata records (storage_header, then blob_metadata + data, 64-byte aligned) to the end. */
export async function walkCoremlWeights(w: Window): Promise<number> {
  const header = await w.view(0, 64);
  const count = header.getUint32(0, true);
  if (header.getUint32(4, true) !== 2) throw invalid('coreml-weights', 'storage version is not 2');
  if (count > MAX_CONTAINER_RECORDS) throw limit('coreml-weights', 'blobs', 'MAX_CONTAINER_RECORDS');
  let pos = 64;
  let end = 64;
  for (let i = 0; i < count; i++) {
    const m = await w.view(pos, 64);
    if (m.getUint32(0, true) !== MIL_SENTINEL) throw invalid('coreml-weights', `blob ${i} has no sentinel`, { offset: pos });
    const size = Number(m.getBigUint64(8, true));
    const offset = Number(m.getBigUint64(16, true));
    if (offset < pos + 64 || offset + size > w.size) throw invalid('coreml-weights', `blob ${i} lies outside the file`);
    end = offset + size;
    pos = Math.ceil(end / MIL_ALIGNMENT) * MIL_ALIGNMENT;
  }
  if (w.size < end || w.size > Math.ceil(end / MIL_ALIGNMENT) * MIL_ALIGNMENT)
    throw invalid('coreml-weights', 'bytes after the last blob');
  return count;
}

// ── Paddle parameters (.pdiparams) ────────────────────────────────────────────────────────────────────────────

/** Bytes per element of Paddle's VarType.Type data types (framework.proto). */
const PADDLE_DTYPE_BYTES: Readonly<Record<number, number>> = {
  0: 1, // BOOL
  1: 2, // INT16
  2: 4, // INT32
  3: 8, // INT64
  4: 2, // FP16
  5: 4, // FP32
  6: 8, // FP64
  19: 8, // SIZE_T
  20: 1, // UINT8
  21: 1, // INT8
  22: 2, // BF16
  23: 8, // COMPLEX64
  24: 16, // COMPLEX128
  32: 1, // FP8_E4M3FN
  33: 1, // FP8_E5M2
};
/** Bytes of one TensorDesc (a dtype and a few dims). */
const MAX_PADDLE_DESC_BYTES = 64 * 1024;
/** LoD levels of one tensor (parameters have none). */
const MAX_PADDLE_LOD_LEVELS = 64;

/**
 * Walks a Paddle parameters file as `paddle.static.load_inference_model` reads it: LoDTensors back to back, each
 * `u32 version (0)`, `u64 lod levels` (+ each level's byte size and data), `u32 version (0)`, `i32 desc size`,
 * a TensorDesc (data_type, dims), then the raw data of numel × element size. They must fill the file exactly.
 */
export async function walkPaddleParams(w: Window): Promise<number> {
  let pos = 0;
  let tensors = 0;
  while (pos < w.size) {
    if (++tensors > MAX_CONTAINER_RECORDS) throw limit('paddle-params', 'tensors', 'MAX_CONTAINER_RECORDS');
    const head = await w.view(pos, 12);
    if (head.getUint32(0, true) !== 0) throw invalid('paddle-params', 'LoDTensor version is not 0', { offset: pos });
    const levels = head.getBigUint64(4, true);
    if (levels > BigInt(MAX_PADDLE_LOD_LEVELS)) throw invalid('paddle-params', 'too many LoD levels', { offset: pos });
    pos += 12;
    for (let l = 0; l < Number(levels); l++) {
      const size = Number((await w.view(pos, 8)).getBigUint64(0, true));
      pos += 8 + size;
    }
    const t = await w.view(pos, 8);
    if (t.getUint32(0, true) !== 0) throw invalid('paddle-params', 'tensor version is not 0', { offset: pos });
    const descSize = t.getInt32(4, true);
    if (descSize <= 0 || descSize > MAX_PADDLE_DESC_BYTES) throw invalid('paddle-params', 'bad TensorDesc size', { offset: pos });
    const desc = await w.bytes(pos + 8, descSize);
    let dtype: number | undefined;
    let numel = 1n;
    for (const f of protoFields(desc)) {
      if (f.field === 1 && f.wire === 0) dtype = Number(f.value);
      else if (f.field === 2 && f.wire === 0) numel *= f.value;
      else if (f.field === 2 && f.wire === 2) {
        // packed dims
        let p = 0;
        const bytes = f.value;
        while (p < bytes.length) {
          let v = 0n;
          let shift = 0n;
          for (;;) {
            const b = bytes[p++];
            if (b === undefined) throw invalid('paddle-params', 'truncated dims');
            v |= BigInt(b & 0x7f) << shift;
            shift += 7n;
            if ((b & 0x80) === 0) break;
          }
          numel *= v;
        }
      } else throw invalid('paddle-params', `unexpected TensorDesc field ${f.field}`, { offset: pos });
    }
    const width = dtype === undefined ? undefined : PADDLE_DTYPE_BYTES[dtype];
    if (width === undefined) throw invalid('paddle-params', `unknown data type ${dtype}`, { offset: pos });
    const bytes = numel * BigInt(width);
    if (bytes > BigInt(w.size)) throw invalid('paddle-params', 'tensor data runs past the end', { offset: pos });
    pos += 8 + descSize + Number(bytes);
    if (pos > w.size) throw invalid('paddle-params', 'tensor data runs past the end', { offset: pos });
  }
  return tensors;
}

/** The head opens as a Paddle LoDTensor: versions 0, no LoD levels, a small TensorDesc of a known dtype. */
export function sniffPaddleParams(head: Uint8Array): boolean {
  if (head.length < 24) return false;
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  if (v.getUint32(0, true) !== 0 || v.getBigUint64(4, true) !== 0n || v.getUint32(12, true) !== 0) return false;
  const descSize = v.getInt32(16, true);
  if (descSize <= 0 || descSize > 4096 || 20 + descSize > head.length) return false;
  try {
    const fields = [...protoFields(head.subarray(20, 20 + descSize))];
    const dtype = fields.find((f) => f.field === 1 && f.wire === 0);
    return (
      dtype !== undefined &&
      PADDLE_DTYPE_BYTES[Number(dtype.value)] !== undefined &&
      fields.every((f) => (f.field === 1 && f.wire === 0) || (f.field === 2 && (f.wire === 0 || f.wire === 2)))
    );
  } catch {
    return false;
  }
}

// ── CTranslate2 model.bin ─────────────────────────────────────────────────────────────────────────────────────

/** Variables in one CTranslate2 model (large models have a few thousand). */
export const MAX_CT2_VARIABLES = 1_000_000;

/** `u32 binary_version` (1..MAX), then (version >= 2) a u16-length NUL-terminated spec name like `WhisperSpec`. */
export function sniffCtranslate2(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  const version = v.getUint32(0, true);
  if (version < 2 || version > 16) return false;
  const len = v.getUint16(4, true);
  if (len < 2 || len > 256 || 6 + len > head.length || head[6 + len - 1] !== 0) return false;
  for (let i = 6; i < 6 + len - 1; i++) {
    const c = head[i] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f)) return false;
  }
  return true;
}

/**
 * Walks a CTranslate2 model.bin as ctranslate2's Model::load reads it: version, spec name and revision, variables
 * (u16-length name, u8 rank, u32 dims, u8 type, u32 byte count, data), aliases; they must fill the file.
 */
export async function walkCtranslate2(w: Window): Promise<number> {
  let pos = 0;
  const u8 = async () => (await w.view(pos++, 1)).getUint8(0);
  const u32 = async () => {
    const v = (await w.view(pos, 4)).getUint32(0, true);
    pos += 4;
    return v;
  };
  const str = async () => {
    const n = (await w.view(pos, 2)).getUint16(0, true);
    await w.bytes(pos + 2, n);
    pos += 2 + n;
  };
  const version = await u32();
  if (version >= 2) {
    await str();
    await u32();
  }
  const variables = await u32();
  if (variables > MAX_CT2_VARIABLES) throw limit('ctranslate2', 'variables', 'MAX_CT2_VARIABLES');
  for (let i = 0; i < variables; i++) {
    await str();
    const rank = await u8();
    pos += 4 * rank;
    if (version >= 4)
      pos += 1; // type id
    else pos += 1; // item size
    const count = await u32();
    const itemSize = version >= 4 ? 1 : Math.max(1, (await w.u8(pos - 5)) as number);
    pos += count * itemSize;
    if (pos > w.size) throw invalid('ctranslate2', `variable ${i} runs past the end`, { offset: pos });
  }
  if (version >= 3 && pos < w.size) {
    const aliases = await u32();
    if (aliases > MAX_CT2_VARIABLES) throw limit('ctranslate2', 'aliases', 'MAX_CT2_VARIABLES');
    for (let i = 0; i < aliases; i++) {
      await str();
      await str();
    }
  }
  if (pos !== w.size) throw invalid('ctranslate2', `${w.size - pos} bytes after the model`, { offset: pos });
  return variables;
}

// ── word2vec binary vectors ───────────────────────────────────────────────────────────────────────────────────

/** Longest word in a word2vec binary file (gensim and word2vec.c read up to a space). */
const MAX_WORD2VEC_WORD_BYTES = 4096;

/** `<count> <dim>\n` (ASCII), then binary vectors. */
export function sniffWord2vec(head: Uint8Array): { count: number; dim: number; start: number } | undefined {
  let i = 0;
  const int = () => {
    let n = 0;
    const start = i;
    while (i < head.length && i - start < 12 && (head[i] as number) >= 0x30 && (head[i] as number) <= 0x39)
      n = n * 10 + ((head[i++] as number) - 0x30);
    return i > start ? n : -1;
  };
  const count = int();
  if (count <= 0 || head[i++] !== 0x20) return undefined;
  const dim = int();
  if (dim <= 0 || dim > 100_000) return undefined;
  if (head[i] === 0x0d) i++;
  if (head[i] !== 0x0a) return undefined;
  return { count, dim, start: i + 1 };
}

/** Walks every record (word, space, dim float32s, optional newline); they must fill the file. */
export async function walkWord2vec(w: Window, header: { count: number; dim: number; start: number }): Promise<number> {
  let pos = header.start;
  for (let r = 0; r < header.count; r++) {
    while (pos < w.size && ((await w.u8(pos)) === 0x0a || (await w.u8(pos)) === 0x0d)) pos++;
    const chunk = await w.bytes(pos, Math.min(MAX_WORD2VEC_WORD_BYTES + 1, w.size - pos));
    const space = chunk.indexOf(0x20);
    if (space <= 0) throw invalid('word2vec', `record ${r} has no word`, { offset: pos });
    pos += space + 1 + 4 * header.dim;
    if (pos > w.size) throw invalid('word2vec', `record ${r} runs past the end`, { offset: pos });
  }
  while (pos < w.size && ((await w.u8(pos)) === 0x0a || (await w.u8(pos)) === 0x0d)) pos++;
  if (pos !== w.size) throw invalid('word2vec', `${w.size - pos} bytes after the last vector`, { offset: pos });
  return header.count;
}

// ── XGBoost legacy binary model ───────────────────────────────────────────────────────────────────────────────

/** LearnerModelParam of XGBoost's legacy binary format (base_score, num_feature, num_class, ..., reserved). */
const XGB_LEARNER_PARAM_BYTES = 136;
const XGB_BOOSTERS = new Set(['gbtree', 'gblinear', 'dart']);

/**
 * XGBoost's legacy binary model (`Booster.save_model('x.bst')` before 2.0, `binf` magic): the LearnerModelParam,
 * then the objective and booster names as u64-length strings. The tree arrays after it are numbers only.
 */
export async function checkXgboostLegacy(w: Window): Promise<{ objective: string; booster: string }> {
  let pos = 4 + XGB_LEARNER_PARAM_BYTES;
  const string = async () => {
    const n = Number((await w.view(pos, 8)).getBigUint64(0, true));
    if (n === 0 || n > 256) throw invalid('xgboost', 'name length out of range', { offset: pos });
    const text = new TextDecoder().decode(await w.bytes(pos + 8, n));
    if (!/^[A-Za-z0-9_:.-]+$/.test(text)) throw invalid('xgboost', 'name is not a name', { offset: pos });
    pos += 8 + n;
    return text;
  };
  const objective = await string();
  const booster = await string();
  if (!XGB_BOOSTERS.has(booster)) throw invalid('xgboost', `unknown booster ${booster}`);
  return { objective, booster };
}

export function sniffXgboostLegacy(head: Uint8Array): boolean {
  return head.length >= 4 + XGB_LEARNER_PARAM_BYTES + 8 && ascii(head, 0, 'binf');
}
