/**
 * safetensors header parsing and validation. Reads only the 8-byte length and the JSON header, never the tensor
 * bytes. The validator reports integrity problems as data (the scanner turns them into findings).
 */
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../byte-source.js';
import { countParameters, type ParameterCounts } from '../parameter-counts.js';

/** Largest header accepted: the reference implementation refuses headers above 100 MB (a DoS guard). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024 * 1024;
/** Most tensors in one header: far above real checkpoints (tens of thousands) and bounds validation work. */
export const MAX_SAFETENSORS_TENSORS = 1_000_000;
/** Most dimensions per tensor: real tensors have a handful; bounds shape arithmetic. */
export const MAX_SAFETENSORS_RANK = 64;

/** Bytes per element of each safetensors dtype (bits for sub-byte types are rounded by the validator). */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

export interface SafetensorsTensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** [begin, end) relative to the start of the data section (after the header). */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  headerLength: number;
  /** Absolute file offset where tensor data starts (8 + headerLength). */
  dataStart: number;
  fileSize: number;
  metadata: Record<string, string>;
  /** Sorted by name. */
  tensors: SafetensorsTensorInfo[];
}

/** Reads the header length and JSON; throws FORMAT_INVALID / LIMIT_EXCEEDED naming the field. */
export async function readSafetensorsHeader(source: ByteSource): Promise<SafetensorsHeader> {
  if (source.size < 8) throw new ModelsecError('FORMAT_INVALID', 'safetensors: file shorter than the 8-byte header length');
  const lenBytes = await source.read(0, 8);
  const view = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const big = view.getBigUint64(0, true);
  if (big > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new ModelsecError('LIMIT_EXCEEDED', `safetensors: header length ${big} exceeds MAX_SAFETENSORS_HEADER_BYTES`, {
      details: { field: 'header_length', value: big.toString(), limit: MAX_SAFETENSORS_HEADER_BYTES },
    });
  }
  const headerLength = Number(big);
  if (8 + headerLength > source.size) {
    throw new ModelsecError('FORMAT_INVALID', `safetensors: header length ${headerLength} runs past the end of the file`, {
      details: { field: 'header_length', value: headerLength, fileSize: source.size },
    });
  }
  const text = new TextDecoder('utf-8', { fatal: true });
  let json: unknown;
  try {
    json = JSON.parse(text.decode(await source.read(8, headerLength)));
  } catch (cause) {
    throw new ModelsecError('FORMAT_INVALID', 'safetensors: header is not UTF-8 JSON', { cause, details: { field: 'header' } });
  }
  return parseSafetensorsHeaderJson(json, headerLength, source.size);
}

function bad(message: string, field: string): ModelsecError {
  return new ModelsecError('FORMAT_INVALID', `safetensors: ${message}`, { details: { field } });
}

/** Checks the shape of a parsed header object and returns typed tensor infos. */
export function parseSafetensorsHeaderJson(json: unknown, headerLength: number, fileSize: number): SafetensorsHeader {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('header is not a JSON object', 'header');
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length > MAX_SAFETENSORS_TENSORS) {
    throw new ModelsecError('LIMIT_EXCEEDED', 'safetensors: too many tensors (MAX_SAFETENSORS_TENSORS)', {
      details: { field: 'header', limit: MAX_SAFETENSORS_TENSORS },
    });
  }
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, value] of entries) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('__metadata__ is not an object', name);
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k} is not a string`, `__metadata__.${k}`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) throw bad(`tensor '${name}' is not an object`, name);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string') throw bad(`tensor '${name}' has no dtype`, `${name}.dtype`);
    if (!Array.isArray(shape) || shape.length > MAX_SAFETENSORS_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`tensor '${name}' has an invalid shape`, `${name}.shape`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`tensor '${name}' has invalid data_offsets`, `${name}.data_offsets`);
    }
    tensors.push({ name, dtype, shape: shape as number[], dataOffsets: [offsets[0] as number, offsets[1] as number] });
  }
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { headerLength, dataStart: 8 + headerLength, fileSize, metadata, tensors };
}

export type SafetensorsProblemKind =
  | 'unknown-dtype'
  | 'size-mismatch'
  | 'offsets-reversed'
  | 'offsets-past-eof'
  | 'overlap'
  | 'gap'
  | 'trailing-bytes';

export interface SafetensorsProblem {
  kind: SafetensorsProblemKind;
  tensor?: string;
  message: string;
}

/** Integrity checks: dtype/shape/byte-size agreement, offsets within the file, no overlaps, no gaps. */
export function validateSafetensors(header: SafetensorsHeader): SafetensorsProblem[] {
  const problems: SafetensorsProblem[] = [];
  const dataSize = header.fileSize - header.dataStart;
  for (const t of header.tensors) {
    const [begin, end] = t.dataOffsets;
    if (end < begin)
      problems.push({ kind: 'offsets-reversed', tensor: t.name, message: `tensor '${t.name}' ends before it begins` });
    if (end > dataSize) {
      problems.push({
        kind: 'offsets-past-eof',
        tensor: t.name,
        message: `tensor '${t.name}' data_offsets [${begin}, ${end}] lie outside the ${dataSize}-byte data section`,
      });
    }
    const bits = Object.hasOwn(SAFETENSORS_DTYPE_BITS, t.dtype) ? SAFETENSORS_DTYPE_BITS[t.dtype] : undefined;
    if (bits === undefined) {
      problems.push({ kind: 'unknown-dtype', tensor: t.name, message: `tensor '${t.name}' has unknown dtype '${t.dtype}'` });
      continue;
    }
    const elements = t.shape.reduce((acc, d) => acc * BigInt(d), 1n);
    const expected = (elements * BigInt(bits) + 7n) / 8n;
    if (end >= begin && expected !== BigInt(end - begin)) {
      problems.push({
        kind: 'size-mismatch',
        tensor: t.name,
        message: `tensor '${t.name}' (${t.dtype} ${JSON.stringify(t.shape)}) needs ${expected} bytes but data_offsets span ${end - begin}`,
      });
    }
  }
  const spans = header.tensors
    .filter((t) => t.dataOffsets[1] >= t.dataOffsets[0])
    .sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  for (const t of spans) {
    const [begin, end] = t.dataOffsets;
    if (begin < cursor)
      problems.push({ kind: 'overlap', tensor: t.name, message: `tensor '${t.name}' overlaps the previous tensor at ${begin}` });
    else if (begin > cursor)
      problems.push({ kind: 'gap', tensor: t.name, message: `${begin - cursor} unused bytes before tensor '${t.name}'` });
    cursor = Math.max(cursor, end);
  }
  if (cursor < dataSize)
    problems.push({
      kind: 'trailing-bytes',
      message: `${dataSize - cursor} bytes after the last tensor are not described by the header`,
    });
  return problems;
}

/** Elements in total and per dtype (the product of each tensor's shape; the header is not checked here). */
export function safetensorsParameterCounts(header: SafetensorsHeader): ParameterCounts {
  return countParameters(
    header.tensors.map((t) => ({ dtype: t.dtype, elements: t.shape.reduce((n, d) => n * BigInt(d), 1n) })),
    'safetensors',
  );
}

/** `model.safetensors.index.json`: tensor name → shard file. */
export interface SafetensorsIndex {
  metadata: Record<string, unknown>;
  weightMap: Record<string, string>;
}

export function parseSafetensorsIndex(text: string): SafetensorsIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ModelsecError('FORMAT_INVALID', 'safetensors index: not JSON', { cause, details: { field: 'index' } });
  }
  const obj = json as Record<string, unknown>;
  if (typeof obj !== 'object' || obj === null || typeof obj.weight_map !== 'object' || obj.weight_map === null) {
    throw bad('index has no weight_map object', 'weight_map');
  }
  const weightMap: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.weight_map as Record<string, unknown>)) {
    if (typeof v !== 'string') throw bad(`weight_map.${k} is not a string`, `weight_map.${k}`);
    weightMap[k] = v;
  }
  const metadata = typeof obj.metadata === 'object' && obj.metadata !== null ? (obj.metadata as Record<string, unknown>) : {};
  return { metadata, weightMap };
}
