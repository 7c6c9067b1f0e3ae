/**
 * A minimal protobuf wire-format reader: iterates the fields of one message (varint, fixed64, length-delimited,
 * fixed32). Enough for ONNX ModelProto and TF SavedModel headers; schemas live with their callers.
 */
import { ModelsecError } from '../../errors/index.js';

/** Nesting of embedded messages followed by callers (protobuf's own default recursion limit is 100). */
export const MAX_PROTOBUF_DEPTH = 64;

export type ProtoField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1 | 5; value: Uint8Array }
  | { field: number; wire: 2; value: Uint8Array };

function fail(message: string, offset: number): never {
  throw new ModelsecError('FORMAT_INVALID', `protobuf: ${message} at offset ${offset}`, { details: { offset } });
}

export function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= bytes.length) fail('truncated varint', pos);
    const b = bytes[pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  return fail('varint longer than 10 bytes', pos);
}

/** Iterates the fields of one message; throws FORMAT_INVALID on malformed wire data. */
export function* protoFields(bytes: Uint8Array): Generator<ProtoField> {
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [key, next] = readVarint(bytes, pos);
    pos = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) fail('field number 0', start);
    if (wire === 0) {
      const [value, after] = readVarint(bytes, pos);
      pos = after;
      yield { field, wire: 0, value };
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4;
      if (pos + len > bytes.length) fail('truncated fixed field', pos);
      yield { field, wire, value: bytes.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 2) {
      const [lenBig, after] = readVarint(bytes, pos);
      if (lenBig > BigInt(bytes.length - after)) fail(`field ${field} length runs past the end`, pos);
      const len = Number(lenBig);
      yield { field, wire: 2, value: bytes.subarray(after, after + len) };
      pos = after + len;
    } else fail(`unsupported wire type ${wire}`, start);
  }
}

const utf8 = new TextDecoder('utf-8');
export function protoString(value: Uint8Array): string {
  return utf8.decode(value);
}
