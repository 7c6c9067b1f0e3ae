/**
 * Apache Arrow IPC files (`.arrow`, `.feather` v2, Hugging Face `datasets` cache and `save_to_disk` shards), read as
 * `pyarrow.ipc` reads them: the stream format (encapsulated messages: 0xFFFFFFFF, a metadata length, a FlatBuffer
 * `Message`, its body) and the file format (`ARROW1` magic, the same stream, a FlatBuffer `Footer`, its length,
 * `ARROW1`). Record batches are data; what can name code is metadata: a field whose extension type is
 * `arrow.py_extension_type` carries a pickle in `ARROW:extension:metadata`, which pyarrow before 14.0.1 unpickled on
 * read (CVE-2023-47248) and later versions unpickle once auto-loading is turned on. `walkArrow` checks the framing of
 * every message to the end of the file and returns every key/value pair of every schema (stream and footer), field
 * (children included) and message, for the scanner to judge.
 */
import { invalid, limit, type Window } from './window.js';

/** Messages walked in one file (bounds work on hostile input; each record batch is one message). */
export const MAX_ARROW_MESSAGES = 10_000_000;
/** Largest FlatBuffer metadata of one message or footer read in memory (schemas of thousands of columns are KBs). */
export const MAX_ARROW_METADATA_BYTES = 64 * 1024 * 1024;
/** Fields walked in one schema, children included (wide tables have thousands). */
export const MAX_ARROW_FIELDS = 1_000_000;
/** Nesting of child fields followed (struct of list of struct...). */
export const MAX_ARROW_FIELD_DEPTH = 64;

const CONTINUATION = 0xffffffff;
const FILE_MAGIC = 'ARROW1';
/** Message header union types (Message.fbs). */
const HEADER_SCHEMA = 1;

export interface ArrowKeyValue {
  /** Where the pair was found: `schema`, `footer schema`, `field a.b`, `message 3`. */
  where: string;
  key: string;
  value: Uint8Array;
  /** For a field's pairs: the field's `ARROW:extension:name`, when it has one. */
  extensionName?: string;
}

export interface ArrowReading {
  format: 'stream' | 'file';
  messages: number;
  metadata: ArrowKeyValue[];
}

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Whether `head` opens as an Arrow IPC file (`ARROW1\0\0`) or stream (a continuation marker and a length that fits). */
export function sniffArrow(head: Uint8Array, size: number): 'file' | 'stream' | undefined {
  if (head.length >= 8 && ascii(head, 0, FILE_MAGIC) && head[6] === 0 && head[7] === 0) return 'file';
  if (head.length < 16) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  if (view.getUint32(0, true) !== CONTINUATION) return undefined;
  const length = view.getInt32(4, true);
  if (length < 8 || length % 8 !== 0 || 8 + length > size) return undefined;
  // The Message's root table offset lands inside the metadata.
  const root = view.getUint32(8, true);
  return root >= 4 && root < length ? 'stream' : undefined;
}

/** A bounds-checked FlatBuffer reader over one metadata buffer. */
class FlatBuffer {
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  private need(at: number, n: number): void {
    if (at < 0 || n < 0 || at + n > this.bytes.length) throw invalid('arrow', `${this.what}: FlatBuffer offset out of bounds`);
  }
  u8(at: number): number {
    this.need(at, 1);
    return this.view.getUint8(at);
  }
  u32(at: number): number {
    this.need(at, 4);
    return this.view.getUint32(at, true);
  }
  i64(at: number): bigint {
    this.need(at, 8);
    return this.view.getBigInt64(at, true);
  }
  root(): number {
    return this.u32(0);
  }
  /** The position of field `index` of the table at `table`, or undefined when absent. */
  field(table: number, index: number): number | undefined {
    this.need(table, 4);
    const vtable = table - this.view.getInt32(table, true);
    this.need(vtable, 4);
    const vtSize = this.view.getUint16(vtable, true);
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (vtSize < 4 || vtSize % 2 !== 0) throw invalid('arrow', `${this.what}: bad FlatBuffer vtable`);
    this.need(vtable, vtSize);
    this.need(table, tableSize);
    if (4 + 2 * index >= vtSize) return undefined;
    const offset = this.view.getUint16(vtable + 4 + 2 * index, true);
    if (offset === 0) return undefined;
    if (offset >= tableSize) throw invalid('arrow', `${this.what}: FlatBuffer field outside its table`);
    return table + offset;
  }
  /** Follows the offset stored at `at` (a table, vector or string reference). */
  deref(at: number): number {
    return at + this.u32(at);
  }
  vector(at: number): { length: number; start: number } {
    const v = this.deref(at);
    const length = this.u32(v);
    this.need(v + 4, length * 4);
    return { length, start: v + 4 };
  }
  bytesOf(at: number): Uint8Array {
    const s = this.deref(at);
    const length = this.u32(s);
    this.need(s + 4, length);
    return this.bytes.subarray(s + 4, s + 4 + length);
  }
}

const decoder = new TextDecoder();

/** The KeyValue pairs of a `custom_metadata` vector at field position `at`. */
function keyValues(fb: FlatBuffer, at: number | undefined): { key: string; value: Uint8Array }[] {
  if (at === undefined) return [];
  const { length, start } = fb.vector(at);
  if (length > MAX_ARROW_FIELDS) throw limit('arrow', 'metadata pairs', 'MAX_ARROW_FIELDS');
  const pairs: { key: string; value: Uint8Array }[] = [];
  for (let i = 0; i < length; i++) {
    const kv = fb.deref(start + 4 * i);
    const keyAt = fb.field(kv, 0);
    const valueAt = fb.field(kv, 1);
    pairs.push({
      key: keyAt === undefined ? '' : decoder.decode(fb.bytesOf(keyAt)),
      value: valueAt === undefined ? new Uint8Array(0) : fb.bytesOf(valueAt),
    });
  }
  return pairs;
}

/** Every key/value of a Schema table (its own and each field's, children included). */
function schemaMetadata(fb: FlatBuffer, schema: number, where: string, out: ArrowKeyValue[]): void {
  for (const kv of keyValues(fb, fb.field(schema, 2))) out.push({ where, ...kv });
  let fields = 0;
  const walk = (vectorAt: number | undefined, path: string, depth: number): void => {
    if (vectorAt === undefined) return;
    if (depth > MAX_ARROW_FIELD_DEPTH) throw limit('arrow', 'field nesting', 'MAX_ARROW_FIELD_DEPTH');
    const { length, start } = fb.vector(vectorAt);
    for (let i = 0; i < length; i++) {
      if (++fields > MAX_ARROW_FIELDS) throw limit('arrow', 'fields', 'MAX_ARROW_FIELDS');
      const field = fb.deref(start + 4 * i);
      const nameAt = fb.field(field, 0);
      const name = nameAt === undefined ? `#${i}` : decoder.decode(fb.bytesOf(nameAt));
      const fieldPath = path ? `${path}.${name}` : name;
      const pairs = keyValues(fb, fb.field(field, 6));
      const extension = pairs.find((p) => p.key === 'ARROW:extension:name');
      const extensionName = extension ? decoder.decode(extension.value) : undefined;
      for (const kv of pairs) out.push({ where: `field ${fieldPath}`, ...kv, ...(extensionName ? { extensionName } : {}) });
      walk(fb.field(field, 5), fieldPath, depth + 1);
    }
  };
  walk(fb.field(schema, 1), '', 0);
}

/** Walks the encapsulated messages from `start` to the end-of-stream marker (or the end of `limitEnd`). */
async function walkMessages(w: Window, start: number, limitEnd: number, reading: ArrowReading): Promise<number> {
  let pos = start;
  while (pos < limitEnd) {
    if (++reading.messages > MAX_ARROW_MESSAGES) throw limit('arrow', 'messages', 'MAX_ARROW_MESSAGES');
    const first = (await w.view(pos, 4)).getUint32(0, true);
    let length: number;
    if (first === CONTINUATION) {
      length = (await w.view(pos + 4, 4)).getInt32(0, true);
      pos += 8;
    } else {
      // Format before Arrow 0.15: the length alone.
      length = first | 0;
      pos += 4;
    }
    if (length === 0) return pos; // end of stream
    if (length < 0 || length > MAX_ARROW_METADATA_BYTES)
      throw limit('arrow', 'message metadata length', 'MAX_ARROW_METADATA_BYTES');
    if (pos + length > limitEnd) throw invalid('arrow', 'message metadata runs past the end', { offset: pos });
    const fb = new FlatBuffer(await w.bytes(pos, length), `message ${reading.messages - 1}`);
    const message = fb.root();
    const bodyAt = fb.field(message, 3);
    const body = bodyAt === undefined ? 0n : fb.i64(bodyAt);
    if (body < 0n || BigInt(pos + length) + body > BigInt(limitEnd))
      throw invalid('arrow', 'message body runs past the end', { offset: pos });
    for (const kv of keyValues(fb, fb.field(message, 4)))
      reading.metadata.push({ where: `message ${reading.messages - 1}`, ...kv });
    const typeAt = fb.field(message, 1);
    if (typeAt !== undefined && fb.u8(typeAt) === HEADER_SCHEMA) {
      const headerAt = fb.field(message, 2);
      if (headerAt === undefined) throw invalid('arrow', 'schema message without a schema');
      schemaMetadata(fb, fb.deref(headerAt), 'schema', reading.metadata);
    }
    pos += length + Number(body);
  }
  return pos;
}

/** Reads an Arrow IPC file or stream whole (framing of every message, every schema's metadata); throws when malformed. */
export async function walkArrow(w: Window, format: 'file' | 'stream'): Promise<ArrowReading> {
  const reading: ArrowReading = { format, messages: 0, metadata: [] };
  if (format === 'stream') {
    const end = await walkMessages(w, 0, w.size, reading);
    if (end !== w.size) {
      // pyarrow stops at the end-of-stream marker: bytes after it are read by no Arrow reader but may be by another.
      const rest = await w.bytes(end, w.size - end);
      if (!rest.every((b) => b === 0)) throw invalid('arrow', 'bytes after the end of the stream', { offset: end });
    }
    return reading;
  }
  if (w.size < 8 + 10) throw invalid('arrow', 'shorter than its magic and footer');
  const tail = await w.bytes(w.size - 10, 10);
  if (!ascii(tail, 4, FILE_MAGIC)) throw invalid('arrow', 'no ARROW1 magic at the end');
  const footerLength = new DataView(tail.buffer, tail.byteOffset, 10).getInt32(0, true);
  const footerStart = w.size - 10 - footerLength;
  if (footerLength <= 0 || footerLength > MAX_ARROW_METADATA_BYTES || footerStart < 8)
    throw invalid('arrow', 'footer length does not fit the file');
  const streamEnd = await walkMessages(w, 8, footerStart, reading);
  const gap = await w.bytes(streamEnd, footerStart - streamEnd);
  if (!gap.every((b) => b === 0)) throw invalid('arrow', 'bytes between the stream and the footer', { offset: streamEnd });
  const fb = new FlatBuffer(await w.bytes(footerStart, footerLength), 'footer');
  const footer = fb.root();
  const schemaAt = fb.field(footer, 1);
  if (schemaAt !== undefined) schemaMetadata(fb, fb.deref(schemaAt), 'footer schema', reading.metadata);
  for (const kv of keyValues(fb, fb.field(footer, 4))) reading.metadata.push({ where: 'footer', ...kv });
  return reading;
}
