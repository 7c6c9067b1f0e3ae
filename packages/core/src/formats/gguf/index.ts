/**
 * GGUF (v2/v3) header reader: magic, version, metadata key/values (every type, arrays bounded) and tensor infos.
 * Never reads tensor data.
 */
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../byte-source.js';

/** Most metadata entries: real files have a few dozen; bounds parsing work on a hostile count. */
export const MAX_GGUF_METADATA_ENTRIES = 65_536;
/** Most tensors: large models have a few thousand. */
export const MAX_GGUF_TENSORS = 1_000_000;
/** Longest string (keys, values, chat templates): real chat templates are tens of KB. */
export const MAX_GGUF_STRING_BYTES = 16 * 1024 * 1024;
/** Most elements in one array value (tokenizer vocabularies reach ~260k). */
export const MAX_GGUF_ARRAY_ELEMENTS = 4_000_000;
/** Most header bytes read (metadata + tensor infos); vocabularies make headers of tens of MB. */
export const MAX_GGUF_HEADER_BYTES = 256 * 1024 * 1024;
/** Most dimensions per tensor. */
export const MAX_GGUF_DIMS = 8;

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  dims: bigint[];
  type: number;
  offset: bigint;
}

export interface GgufHeader {
  version: number;
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

const MAGIC = 0x46554747; // 'GGUF' little-endian

export function isGguf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46;
}

class Reader {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  pos = 0;
  constructor(private readonly source: ByteSource) {}

  /** Throws when `n` bytes at the current position run past the file or MAX_GGUF_HEADER_BYTES. */
  private check(n: number): void {
    if (this.pos + n > this.source.size) {
      throw new ModelsecError('FORMAT_INVALID', `gguf: truncated at offset ${this.pos}`, { details: { offset: this.pos } });
    }
    if (this.pos + n > MAX_GGUF_HEADER_BYTES) {
      throw new ModelsecError('LIMIT_EXCEEDED', 'gguf: header exceeds MAX_GGUF_HEADER_BYTES', {
        details: { limit: MAX_GGUF_HEADER_BYTES },
      });
    }
  }

  private async need(n: number): Promise<DataView> {
    this.check(n);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      this.bufStart = this.pos;
      this.buf = await this.source.read(this.pos, Math.max(n, 1 << 20));
    }
    const off = this.pos - this.bufStart;
    this.pos += n;
    return new DataView(this.buf.buffer, this.buf.byteOffset + off, n);
  }
  async u8() {
    return (await this.need(1)).getUint8(0);
  }
  async i8() {
    return (await this.need(1)).getInt8(0);
  }
  async u16() {
    return (await this.need(2)).getUint16(0, true);
  }
  async i16() {
    return (await this.need(2)).getInt16(0, true);
  }
  async u32() {
    return (await this.need(4)).getUint32(0, true);
  }
  async i32() {
    return (await this.need(4)).getInt32(0, true);
  }
  async f32() {
    return (await this.need(4)).getFloat32(0, true);
  }
  async u64() {
    return (await this.need(8)).getBigUint64(0, true);
  }
  async i64() {
    return (await this.need(8)).getBigInt64(0, true);
  }
  async f64() {
    return (await this.need(8)).getFloat64(0, true);
  }
  async count(what: string, limit: number, limitName: string): Promise<number> {
    const n = await this.u64();
    if (n > BigInt(limit)) {
      throw new ModelsecError('LIMIT_EXCEEDED', `gguf: ${what} count ${n} exceeds ${limitName}`, {
        details: { field: what, limit },
      });
    }
    return Number(n);
  }
  async string(): Promise<string> {
    const n = await this.count('string length', MAX_GGUF_STRING_BYTES, 'MAX_GGUF_STRING_BYTES');
    const view = await this.need(n);
    return new TextDecoder('utf-8').decode(new Uint8Array(view.buffer, view.byteOffset, n));
  }
  /** Steps over a string with the same checks as string(), without reading or decoding it. */
  async skipString(): Promise<void> {
    const n = await this.count('string length', MAX_GGUF_STRING_BYTES, 'MAX_GGUF_STRING_BYTES');
    this.check(n);
    this.pos += n;
  }
}

/**
 * Reads one value. When `keep` is false, strings and arrays are walked with the same checks but not stored
 * (undefined is returned for them); scalars are always returned.
 */
async function readValue(r: Reader, type: number, keep: boolean, depth = 0): Promise<GgufValue | undefined> {
  switch (type) {
    case 0:
      return r.u8();
    case 1:
      return r.i8();
    case 2:
      return r.u16();
    case 3:
      return r.i16();
    case 4:
      return r.u32();
    case 5:
      return r.i32();
    case 6:
      return r.f32();
    case 7:
      return (await r.u8()) !== 0;
    case 8:
      if (keep) return r.string();
      await r.skipString();
      return undefined;
    case 9: {
      if (depth > 0)
        throw new ModelsecError('FORMAT_INVALID', 'gguf: nested arrays are not allowed', { details: { offset: r.pos } });
      const elementType = await r.u32();
      const n = await r.count('array', MAX_GGUF_ARRAY_ELEMENTS, 'MAX_GGUF_ARRAY_ELEMENTS');
      const out: GgufValue[] = [];
      for (let i = 0; i < n; i++) {
        const value = await readValue(r, elementType, keep, depth + 1);
        if (keep && value !== undefined) out.push(value);
      }
      return keep ? out : undefined;
    }
    case 10:
      return r.u64();
    case 11:
      return r.i64();
    case 12:
      return r.f64();
    default:
      throw new ModelsecError('FORMAT_INVALID', `gguf: unknown metadata value type ${type}`, {
        details: { offset: r.pos, type },
      });
  }
}

export interface ReadGgufHeaderOptions {
  /**
   * Metadata keys whose values are stored (default: all). Other values are still walked and checked, so the
   * header is accepted or refused the same way; only what is kept in memory changes.
   */
  keepKey?: (key: string) => boolean;
  /**
   * Called with each kept value as soon as it is read, before the rest of the header: a caller that judges values
   * still has those read before a truncation or a limit stops the reader (the reader then throws as usual).
   */
  onKept?: (key: string, value: GgufValue) => void;
}

/** Reads the GGUF header (v2 and v3; v1 with 32-bit counts is refused). */
export async function readGgufHeader(source: ByteSource, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  const r = new Reader(source);
  if ((await r.u32()) !== MAGIC) throw new ModelsecError('FORMAT_INVALID', 'gguf: bad magic', { details: { field: 'magic' } });
  const version = await r.u32();
  if (version !== 2 && version !== 3) {
    throw new ModelsecError('FORMAT_INVALID', `gguf: unsupported version ${version}`, {
      details: { field: 'version', value: version },
    });
  }
  const tensorCount = await r.count('tensor', MAX_GGUF_TENSORS, 'MAX_GGUF_TENSORS');
  const kvCount = await r.count('metadata', MAX_GGUF_METADATA_ENTRIES, 'MAX_GGUF_METADATA_ENTRIES');
  // Null prototype: a key named `__proto__` (or `constructor`) is data like any other, never the object's prototype.
  const metadata = Object.create(null) as Record<string, GgufValue>;
  const seen = new Set<string>();
  for (let i = 0; i < kvCount; i++) {
    const key = await r.string();
    // Loaders disagree on a repeated key (llama.cpp refuses the file, a dict keeps the last): a scanner must not
    // pick one reading, so the file is invalid (fail closed).
    if (seen.has(key))
      throw new ModelsecError('FORMAT_INVALID', `gguf: metadata key '${key.slice(0, 200)}' appears twice`, {
        details: { field: 'metadata', key: key.slice(0, 200) },
      });
    seen.add(key);
    const type = await r.u32();
    const keep = options.keepKey?.(key) ?? true;
    const value = await readValue(r, type, keep);
    if (keep && value !== undefined) {
      metadata[key] = value;
      options.onKept?.(key, value);
    }
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await r.string();
    const nDims = await r.u32();
    if (nDims > MAX_GGUF_DIMS)
      throw new ModelsecError('LIMIT_EXCEEDED', `gguf: tensor '${name}' has ${nDims} dims (MAX_GGUF_DIMS)`, {
        details: { field: name },
      });
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) dims.push(await r.u64());
    const type = await r.u32();
    const offset = await r.u64();
    tensors.push({ name, dims, type, offset });
  }
  return { version, metadata, tensors };
}

export { type GgufModelInfo, ggufModelInfo, ggufParameterCounts, isGgufModelInfoKey } from './model-info.js';
export { GGML_TYPE_NAMES, ggmlTypeName, LLAMA_FILE_TYPE_NAMES, llamaFileTypeName } from './names.js';
