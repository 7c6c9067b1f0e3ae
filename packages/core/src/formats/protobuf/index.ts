/**
 * A minimal protobuf wire-format reader: iterates the fields of one message (varint, fixed64, length-delimited,
 * fixed32), from bytes in memory or from a ByteSource without loading it. Enough for ONNX ModelProto and TF
 * SavedModel headers; schemas live with their callers.
 */
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../byte-source.js';

/** Nesting of embedded messages followed by callers (protobuf's own default recursion limit is 100). */
export const MAX_PROTOBUF_DEPTH = 64;

export type ProtoField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1 | 5; value: Uint8Array }
  | { field: number; wire: 2; value: Uint8Array };

/**
 * A field read from a ByteSource: as ProtoField, but a length-delimited value is located, not read; `read()`
 * fetches it (through the walker's read-ahead when the bytes are already there).
 */
export type SourceProtoField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1 | 5; value: Uint8Array }
  | { field: number; wire: 2; offset: number; length: number; read: () => Promise<Uint8Array> };

function fail(message: string, offset: number): never {
  throw new ModelsecError('FORMAT_INVALID', `protobuf: ${message} at offset ${offset}`, { details: { offset } });
}

/** Reads a varint at `pos`; `base` is added to offsets in errors (the position of `bytes` in its file). */
export function readVarint(bytes: Uint8Array, pos: number, base = 0): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= bytes.length) fail('truncated varint', base + pos);
    const b = bytes[pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  return fail('varint longer than 10 bytes', base + pos);
}

/** A field's key and where its value lies; bounds against the end of the message are checked by the caller. */
interface FieldHead {
  field: number;
  wire: 0 | 1 | 2 | 5;
  /** The value of a varint field (wire 0). */
  varint: bigint;
  /** Where the value's bytes start (wire 1, 2, 5) or, for wire 0, where the next field starts. */
  dataStart: number;
  /** Bytes of value at dataStart (0 for wire 0). */
  length: bigint;
}

/** Decodes the key at `pos` and the varint value or length that follows it (20 bytes at most). */
function readFieldHead(bytes: Uint8Array, pos: number, base: number): FieldHead {
  const [key, afterKey] = readVarint(bytes, pos, base);
  const field = Number(key >> 3n);
  const wire = Number(key & 7n);
  if (field === 0) fail('field number 0', base + pos);
  if (wire === 0) {
    const [varint, end] = readVarint(bytes, afterKey, base);
    return { field, wire, varint, dataStart: end, length: 0n };
  }
  if (wire === 1 || wire === 5) return { field, wire, varint: 0n, dataStart: afterKey, length: wire === 1 ? 8n : 4n };
  if (wire === 2) {
    const [length, dataStart] = readVarint(bytes, afterKey, base);
    return { field, wire, varint: 0n, dataStart, length };
  }
  return fail(`unsupported wire type ${wire}`, base + pos);
}

/** FORMAT_INVALID when a field's value runs past `end` (the end of the message). */
function checkEnd(head: FieldHead, end: number, base: number): number {
  if (head.length > BigInt(end - head.dataStart)) {
    if (head.wire === 2) fail(`field ${head.field} length runs past the end`, base + head.dataStart);
    fail('truncated fixed field', base + head.dataStart);
  }
  return Number(head.length);
}

/** Iterates the fields of one message; throws FORMAT_INVALID on malformed wire data. */
export function* protoFields(bytes: Uint8Array): Generator<ProtoField> {
  let pos = 0;
  while (pos < bytes.length) {
    const head = readFieldHead(bytes, pos, 0);
    const length = checkEnd(head, bytes.length, 0);
    const { field, wire, dataStart } = head;
    if (wire === 0) yield { field, wire, value: head.varint };
    else yield { field, wire, value: bytes.subarray(dataStart, dataStart + length) };
    pos = dataStart + length;
  }
}

/** Bytes fetched per read while walking a source: one request covers the small fields around a large one. */
const SOURCE_WINDOW_BYTES = 64 * 1024;
/** Longest key plus varint value or length (two 10-byte varints). */
const MAX_FIELD_HEAD_BYTES = 20;

/**
 * Iterates the fields of the message that fills a ByteSource without loading it: a length-delimited value comes
 * as its offset and length for the caller to read or skip, so a multi-GB field (an ONNX graph) costs nothing.
 * Same checks and errors as protoFields, with offsets in the file.
 */
export async function* protoFieldsOfSource(source: ByteSource): AsyncGenerator<SourceProtoField> {
  let window: Uint8Array = new Uint8Array(0);
  let windowStart = 0;
  /** The bytes from `pos`: at least `n` of them, or all up to the end of the source. */
  const bytesAt = async (pos: number, n: number): Promise<Uint8Array> => {
    const want = Math.min(n, source.size - pos);
    if (pos < windowStart || pos + want > windowStart + window.length) {
      window = await source.read(pos, Math.max(want, SOURCE_WINDOW_BYTES));
      windowStart = pos;
    }
    return window.subarray(pos - windowStart);
  };
  let pos = 0;
  while (pos < source.size) {
    const head = readFieldHead(await bytesAt(pos, MAX_FIELD_HEAD_BYTES), 0, pos);
    const dataStart = pos + head.dataStart;
    const length = checkEnd({ ...head, dataStart }, source.size, 0);
    const { field, wire } = head;
    if (wire === 0) yield { field, wire, value: head.varint };
    else if (wire === 2) {
      const read = async () => (await bytesAt(dataStart, length)).subarray(0, length);
      yield { field, wire, offset: dataStart, length, read };
    } else yield { field, wire, value: (await bytesAt(dataStart, length)).subarray(0, length) };
    pos = dataStart + length;
  }
}

const utf8 = new TextDecoder('utf-8');
export function protoString(value: Uint8Array): string {
  return utf8.decode(value);
}
