import type { ByteSource } from '../../formats/byte-source.js';
import { readZipEntries, readZipEntry, ZipFormatError, ZipLimitError } from '../../formats/zip/index.js';
import { runPickle } from '../../scan/pickle/index.js';
import { ByteReader, HeaderError } from './byte-reader.js';
import {
  MAX_BOM_ZIP_DIRECTORY_BYTES,
  MAX_BOM_ZIP_ENTRIES,
  MAX_CHAT_TEMPLATE_CHARS,
  MAX_GGUF_KV_COUNT,
  MAX_GGUF_METADATA_BYTES,
  MAX_GGUF_STRING_BYTES,
  MAX_ONNX_TOP_LEVEL_FIELDS,
  MAX_PYTORCH_PICKLE_BYTES,
  MAX_SAFETENSORS_HEADER_BYTES,
  MAX_TENSORS_PER_FILE,
} from './limits.js';
import type { WeightFormat, WeightSummary } from './types.js';

export { HeaderError };

/** Which header reader applies to a file name, or undefined for non-weight files. */
export function weightFormatOf(fileName: string): WeightFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (lower.endsWith('.gguf')) return 'gguf';
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.pt') || lower.endsWith('.pth') || lower.endsWith('.bin') || lower.endsWith('.ckpt')) return 'pytorch';
  return undefined;
}

/** Bytes per element of safetensors dtypes. */
const SAFETENSORS_DTYPE_BITS: Record<string, number> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
};

function product(shape: unknown[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Reads a safetensors header: tensor count, parameter count and elements per dtype. Throws HeaderError when the
 * header lies (offsets outside the file, sizes that do not match the shape, unknown dtypes, overlapping data).
 */
export async function readSafetensorsHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  const reader = new ByteReader(source);
  const length = await reader.u64();
  if (length > MAX_SAFETENSORS_HEADER_BYTES)
    throw new HeaderError(`header length ${length} exceeds MAX_SAFETENSORS_HEADER_BYTES`);
  const text = Buffer.from(await reader.bytes(length)).toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new HeaderError('header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new HeaderError('header is not a JSON object');
  const dataSize = source.size - 8 - length;
  const dtypes: Record<string, number> = {};
  const ranges: Array<[number, number, string]> = [];
  let parameterCount = 0;
  let tensorCount = 0;
  const facts: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry && typeof entry === 'object') {
        const format = (entry as Record<string, unknown>).format;
        if (typeof format === 'string') facts.format = format.slice(0, 64);
      }
      continue;
    }
    if (++tensorCount > MAX_TENSORS_PER_FILE)
      throw new HeaderError(`more than MAX_TENSORS_PER_FILE (${MAX_TENSORS_PER_FILE}) tensors`);
    const t = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const bits = typeof t?.dtype === 'string' ? SAFETENSORS_DTYPE_BITS[t.dtype] : undefined;
    if (bits === undefined) throw new HeaderError(`tensor '${name}' has unknown dtype ${JSON.stringify(t?.dtype)}`);
    const count = Array.isArray(t.shape) ? product(t.shape) : undefined;
    if (count === undefined) throw new HeaderError(`tensor '${name}' has an invalid shape`);
    const offsets = t.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new HeaderError(`tensor '${name}' has invalid data_offsets`);
    }
    const [start, end] = offsets as [number, number];
    if (end < start || end > dataSize) {
      throw new HeaderError(`tensor '${name}' data_offsets [${start}, ${end}] lie outside the ${dataSize}-byte data section`);
    }
    if (end - start !== (count * bits) / 8) {
      throw new HeaderError(`tensor '${name}' claims ${count} ${t.dtype} elements but spans ${end - start} bytes`);
    }
    ranges.push([start, end, name]);
    dtypes[t.dtype as string] = (dtypes[t.dtype as string] ?? 0) + count;
    parameterCount += count;
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1]!;
    const cur = ranges[i]!;
    if (cur[0] < prev[1]) throw new HeaderError(`tensors '${prev[2]}' and '${cur[2]}' overlap`);
  }
  return { file, format: 'safetensors', parameterCount, tensorCount, dtypes, facts };
}

/** GGML tensor type names by id (ggml.h). */
const GGML_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
};

/** llama.cpp `general.file_type` values (LLAMA_FTYPE_*), the quantisation of the file as a whole. */
const GGUF_FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
};

type GgufValue = string | number | boolean | bigint | GgufValue[] | undefined;

async function ggufString(r: ByteReader): Promise<string> {
  const len = await r.u64();
  if (len > MAX_GGUF_STRING_BYTES) throw new HeaderError(`string of ${len} bytes exceeds MAX_GGUF_STRING_BYTES`);
  return Buffer.from(await r.bytes(len)).toString('utf8');
}

/** Reads one GGUF value; arrays are skipped (undefined) except short ones of scalars, which metadata never needs. */
async function ggufValue(r: ByteReader, type: number, keep: boolean): Promise<GgufValue> {
  switch (type) {
    case 0:
      return r.u8();
    case 1:
      return ((await r.u8()) << 24) >> 24;
    case 2:
      return r.u16();
    case 3:
      return ((await r.u16()) << 16) >> 16;
    case 4:
      return r.u32();
    case 5:
      return r.i32();
    case 6:
      return r.f32();
    case 7:
      return (await r.u8()) !== 0;
    case 8: {
      if (keep) return ggufString(r);
      r.skip(await r.u64());
      return undefined;
    }
    case 9: {
      const itemType = await r.u32();
      const count = await r.u64();
      const fixed: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
      const size = fixed[itemType];
      if (size !== undefined) {
        r.skip(count * size);
        return undefined;
      }
      for (let i = 0; i < count; i++) await ggufValue(r, itemType, false);
      return undefined;
    }
    case 10:
      return r.u64();
    case 11:
      return r.i64();
    case 12:
      return r.f64();
    default:
      throw new HeaderError(`unknown GGUF value type ${type}`);
  }
}

/** Reads GGUF metadata and tensor infos: architecture, quantisation, context length, chat template, parameters. */
export async function readGgufHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  const r = new ByteReader(source, 0, Math.min(source.size, MAX_GGUF_METADATA_BYTES));
  const magic = Buffer.from(await r.bytes(4)).toString('latin1');
  if (magic !== 'GGUF') throw new HeaderError('not a GGUF file (bad magic)');
  const version = await r.u32();
  if (version < 2 || version > 3) throw new HeaderError(`unsupported GGUF version ${version}`);
  const tensorCount = await r.u64();
  const kvCount = await r.u64();
  if (kvCount > MAX_GGUF_KV_COUNT) throw new HeaderError(`${kvCount} metadata entries exceed MAX_GGUF_KV_COUNT`);
  if (tensorCount > MAX_TENSORS_PER_FILE) throw new HeaderError(`${tensorCount} tensors exceed MAX_TENSORS_PER_FILE`);
  const meta = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = await ggufString(r);
    const type = await r.u32();
    const keep =
      key.startsWith('general.') ||
      key === 'tokenizer.chat_template' ||
      key.endsWith('.context_length') ||
      key === 'tokenizer.ggml.model';
    meta.set(key, await ggufValue(r, type, keep));
  }
  const dtypes: Record<string, number> = {};
  let parameterCount = 0;
  for (let i = 0; i < tensorCount; i++) {
    await ggufString(r);
    const dims = await r.u32();
    if (dims > 8) throw new HeaderError(`tensor ${i} has ${dims} dimensions`);
    let n = 1;
    for (let d = 0; d < dims; d++) n *= await r.u64();
    const type = await r.u32();
    await r.u64();
    if (!Number.isSafeInteger(n)) throw new HeaderError(`tensor ${i} element count overflows`);
    const name = GGML_TYPES[type] ?? `type${type}`;
    dtypes[name] = (dtypes[name] ?? 0) + n;
    parameterCount += n;
  }
  const facts: Record<string, string> = { 'gguf:version': String(version) };
  const arch = meta.get('general.architecture');
  if (typeof arch === 'string') {
    facts.architecture = arch;
    const ctx = meta.get(`${arch}.context_length`);
    if (ctx !== undefined) facts.contextLength = String(ctx);
  }
  const name = meta.get('general.name');
  if (typeof name === 'string') facts.name = name.slice(0, 256);
  const fileType = meta.get('general.file_type');
  if (typeof fileType === 'number') facts.quantization = GGUF_FILE_TYPES[fileType] ?? `file_type ${fileType}`;
  const tokenizer = meta.get('tokenizer.ggml.model');
  if (typeof tokenizer === 'string') facts.tokenizer = tokenizer.slice(0, 64);
  const license = meta.get('general.license');
  if (typeof license === 'string') facts.license = license.slice(0, 128);
  const template = meta.get('tokenizer.chat_template');
  const summary: WeightSummary = { file, format: 'gguf', parameterCount, tensorCount, dtypes, facts };
  if (typeof template === 'string') summary.chatTemplate = template.slice(0, MAX_CHAT_TEMPLATE_CHARS);
  return summary;
}

async function varint(r: ByteReader): Promise<number> {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    const b = await r.u8();
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
  throw new HeaderError('varint longer than 10 bytes');
}

async function skipField(r: ByteReader, wire: number): Promise<void> {
  if (wire === 0) await varint(r);
  else if (wire === 1) r.skip(8);
  else if (wire === 2) r.skip(await varint(r));
  else if (wire === 5) r.skip(4);
  else throw new HeaderError(`unsupported protobuf wire type ${wire}`);
}

/**
 * Reads the top level of an ONNX ModelProto: ir_version, producer, opset imports. The graph (field 7, holding
 * the weights) is skipped by length, never read.
 */
export async function readOnnxHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  const r = new ByteReader(source);
  const facts: Record<string, string> = {};
  const opsets: string[] = [];
  let fields = 0;
  while (r.offset < source.size) {
    if (++fields > MAX_ONNX_TOP_LEVEL_FIELDS) throw new HeaderError('too many top-level fields');
    const key = await varint(r);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 1 && wire === 0) facts.irVersion = String(await varint(r));
    else if ((field === 2 || field === 3 || field === 4) && wire === 2) {
      const len = await varint(r);
      if (len > 4096) throw new HeaderError(`field ${field} is ${len} bytes long`);
      const value = Buffer.from(await r.bytes(len)).toString('utf8');
      facts[field === 2 ? 'producerName' : field === 3 ? 'producerVersion' : 'domain'] = value;
    } else if (field === 8 && wire === 2) {
      const len = await varint(r);
      const end = r.offset + len;
      let domain = '';
      let version = 0;
      while (r.offset < end) {
        const k = await varint(r);
        if (k === 10) {
          const len = await varint(r);
          if (len > 4096) throw new HeaderError(`opset domain is ${len} bytes long`);
          domain = Buffer.from(await r.bytes(len)).toString('utf8');
        } else if (k === 16) version = await varint(r);
        else await skipField(r, k % 8);
      }
      opsets.push(`${domain || 'ai.onnx'}:${version}`);
    } else await skipField(r, wire);
  }
  if (r.offset !== source.size) throw new HeaderError('protobuf fields run past the end of the file');
  if (opsets.length === 0 && facts.irVersion === undefined) throw new HeaderError('no ONNX ModelProto fields found');
  const defaultOpset = opsets.find((o) => o.startsWith('ai.onnx:'));
  if (defaultOpset) facts.opset = defaultOpset.slice('ai.onnx:'.length);
  if (opsets.length > 0) facts.opsetImports = opsets.sort().join(',');
  return { file, format: 'onnx', facts };
}

/**
 * Lists a PyTorch zip checkpoint's members from the central directory (never inflating anything): the pickle
 * members and the number of tensor storage records. Pickle-level tensor summaries belong to the pickle VM.
 */
export async function readPytorchZipHeader(source: ByteSource, file: string): Promise<WeightSummary> {
  const tailLength = Math.min(source.size, 65_557);
  const tail = await source.read(source.size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new HeaderError('not a zip archive (no end of central directory); legacy pickle checkpoints are not summarised');
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let entries = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (entries === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) throw new HeaderError('zip64 locator missing');
    const z64 = Number(view.getBigUint64(locator + 8, true));
    const recBytes = await source.read(z64, 56);
    const rec = new DataView(recBytes.buffer, recBytes.byteOffset, recBytes.byteLength);
    if (rec.byteLength < 56 || rec.getUint32(0, true) !== 0x06064b50) throw new HeaderError('zip64 end record missing');
    entries = Number(rec.getBigUint64(32, true));
    dirSize = Number(rec.getBigUint64(40, true));
    dirOffset = Number(rec.getBigUint64(48, true));
  }
  if (entries > MAX_BOM_ZIP_ENTRIES) throw new HeaderError(`${entries} zip entries exceed MAX_BOM_ZIP_ENTRIES`);
  if (dirSize > MAX_BOM_ZIP_DIRECTORY_BYTES || dirOffset + dirSize > source.size)
    throw new HeaderError('central directory out of bounds');
  const dir = await source.read(dirOffset, dirSize);
  const dv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  const names: string[] = [];
  let at = 0;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > dir.length || dv.getUint32(at, true) !== 0x02014b50) throw new HeaderError(`bad central directory entry ${i}`);
    const nameLen = dv.getUint16(at + 28, true);
    const extraLen = dv.getUint16(at + 30, true);
    const commentLen = dv.getUint16(at + 32, true);
    names.push(Buffer.from(dir.subarray(at + 46, at + 46 + nameLen)).toString('utf8'));
    at += 46 + nameLen + extraLen + commentLen;
  }
  const pickles = names.filter((n) => n.endsWith('.pkl')).sort();
  const storages = names.filter((n) => /\/data\/\d+$/.test(n)).length;
  const facts: Record<string, string> = {
    'pytorch:members': String(names.length),
    'pytorch:storages': String(storages),
  };
  if (pickles.length > 0) facts['pytorch:pickles'] = pickles.slice(0, 16).join(',');
  const summary = await pytorchTensorSummary(source);
  if (summary) {
    facts['pytorch:tensors'] = String(summary.tensors);
    if (summary.storageTypes.length > 0) facts['pytorch:storage_dtypes'] = summary.storageTypes.join(',');
  }
  return { file, format: 'pytorch', facts };
}

/** torch storage classes by the dtype name used elsewhere in the BOM (safetensors names). */
const TORCH_STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/**
 * Tensor count and storage dtypes of a PyTorch zip checkpoint, from its data.pkl run through the symbolic pickle
 * VM (never executed): each `_rebuild_tensor*` call is a tensor, each `torch.*Storage` global a dtype. Undefined
 * when there is no data.pkl or it cannot be read (the scanner reports why).
 */
async function pytorchTensorSummary(source: ByteSource): Promise<{ tensors: number; storageTypes: string[] } | undefined> {
  try {
    const listing = await readZipEntries(source);
    const entry = listing.entries.find((e) => /(^|\/)data\.pkl$/.test(e.name));
    if (!entry) return undefined;
    const { bytes } = await readZipEntry(source, entry, { maxBytes: MAX_PYTORCH_PICKLE_BYTES });
    const run = runPickle(bytes);
    let tensors = 0;
    const types = new Set<string>();
    for (const event of run.events) {
      if (event.type === 'global' && (event.module === 'torch' || event.module === 'torch.storage')) {
        const dtype = TORCH_STORAGE_DTYPES[event.name];
        if (dtype) types.add(dtype);
      }
      if (
        event.type === 'call' &&
        event.callee.kind === 'global' &&
        event.callee.module === 'torch._utils' &&
        /^_rebuild_tensor/.test(event.callee.name)
      ) {
        tensors++;
      }
    }
    return { tensors, storageTypes: [...types].sort() };
  } catch (error) {
    if (error instanceof ZipFormatError || error instanceof ZipLimitError) return undefined;
    throw error;
  }
}

/** Reads the header of a weights file of the given format. Throws HeaderError when the header is malformed or lies. */
export function readWeightHeader(format: WeightFormat, source: ByteSource, file: string): Promise<WeightSummary> {
  switch (format) {
    case 'safetensors':
      return readSafetensorsHeader(source, file);
    case 'gguf':
      return readGgufHeader(source, file);
    case 'onnx':
      return readOnnxHeader(source, file);
    case 'pytorch':
      return readPytorchZipHeader(source, file);
  }
}
