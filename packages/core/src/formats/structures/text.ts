/**
 * Text, by content: UTF-8 (an optional BOM) without the control bytes that only binary data holds. Detection looks
 * at the head; the text handler checks the whole file the same way (a file whose head is text and whose tail is
 * binary is not text, and is reported).
 */
import type { ByteSource } from '../byte-source.js';

/** Bytes checked per read when a whole file is verified as text. */
const TEXT_CHUNK_BYTES = 1024 * 1024;

/** Control bytes other than tab, LF, VT, FF, CR and ESC mean binary (protobuf, packed numbers), not text. */
function hasBinaryControl(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) return true;
  }
  return false;
}

/**
 * Whether `head` is text. `truncated`: the head is a prefix of a longer file, so a multi-byte character cut at its
 * end is not an error.
 */
export function isTextHead(head: Uint8Array, truncated: boolean): boolean {
  if (head.length === 0 || hasBinaryControl(head)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: truncated });
    return true;
  } catch {
    return false;
  }
}

/** Whether the whole source is text (read in chunks; linear, constant memory). */
export async function isTextSource(source: ByteSource): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for (let pos = 0; pos < source.size; pos += TEXT_CHUNK_BYTES) {
      const chunk = await source.read(pos, TEXT_CHUNK_BYTES);
      if (chunk.length === 0 || hasBinaryControl(chunk)) return false;
      decoder.decode(chunk, { stream: true });
    }
    decoder.decode();
    return source.size > 0;
  } catch {
    return false;
  }
}

const utf8 = new TextDecoder('utf-8');
/** Decodes text (a BOM is dropped, as Python's utf-8-sig and JSON readers do). */
export function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Code points below U+0020 other than tab, LF, VT, FF, CR and ESC (binary data decoded as UTF-16 or UTF-32). */
const CONTROL_CHAR = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f\u007f]/;

/**
 * The byte order a UTF-32 BOM names (Python's `encode('utf-32')` writes FF FE 00 00 first; big-endian is 00 00 FE FF).
 * Checked before UTF-16: FF FE 00 00 also opens a UTF-16LE BOM followed by U+0000, which is no text.
 */
function utf32Bom(head: Uint8Array): 'le' | 'be' | undefined {
  if (head.length < 4) return undefined;
  if (head[0] === 0xff && head[1] === 0xfe && head[2] === 0 && head[3] === 0) return 'le';
  if (head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff) return 'be';
  return undefined;
}

/**
 * UTF-32 code units (a whole number of them; TEXT_CHUNK_BYTES is a multiple of 4, so chunks never split one) as a
 * string, or undefined when one is no Unicode scalar value (above U+10FFFF or a surrogate), as a strict decoder
 * rejects them. The WHATWG TextDecoder that Node ships has no UTF-32.
 */
function decodeUtf32(bytes: Uint8Array, littleEndian: boolean): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const cp = view.getUint32(i, littleEndian);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    parts.push(String.fromCodePoint(cp));
  }
  return parts.join('');
}

/**
 * Text in an encoding other than UTF-8, as old datasets, changelogs and Windows tools write it: UTF-16 or UTF-32 with
 * its BOM (decoding cleanly, no control characters), or a legacy 8-bit / CJK encoding (Latin-1, Windows-125x, Shift-JIS,
 * GBK...): no control byte at all, and not UTF-8. The head is what is decided on; `isLegacyTextSource` checks the
 * whole file. Only asked after every binary format was ruled out, never to decide between text and a compressed or
 * binary stream (detect.ts keeps `isTextHead` for that).
 */
export function isLegacyTextHead(head: Uint8Array, truncated: boolean): boolean {
  if (head.length === 0) return false;
  const bom32 = utf32Bom(head);
  if (bom32 !== undefined) {
    if (!truncated && head.length % 4 !== 0) return false;
    const text = decodeUtf32(head.subarray(0, head.length - (head.length % 4)), bom32 === 'le');
    return text !== undefined && !CONTROL_CHAR.test(text);
  }
  const bom16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  if (bom16) {
    const even = truncated ? head.subarray(0, head.length - (head.length % 2)) : head;
    try {
      const text = new TextDecoder(head[0] === 0xff ? 'utf-16le' : 'utf-16be', { fatal: true }).decode(even, {
        stream: truncated,
      });
      return !CONTROL_CHAR.test(text);
    } catch {
      return false;
    }
  }
  return !hasBinaryControl(head);
}

/** Whether the whole source is text in a legacy encoding or UTF-16 (see isLegacyTextHead), read in chunks. */
export async function isLegacyTextSource(source: ByteSource): Promise<boolean> {
  if (source.size === 0) return false;
  const first = await source.read(0, 4);
  const bom32 = utf32Bom(first);
  if (bom32 !== undefined) {
    if (source.size % 4 !== 0) return false;
    for (let pos = 0; pos < source.size; pos += TEXT_CHUNK_BYTES) {
      const text = decodeUtf32(await source.read(pos, TEXT_CHUNK_BYTES), bom32 === 'le');
      if (text === undefined || CONTROL_CHAR.test(text)) return false;
    }
    return true;
  }
  const bom16 = (first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff);
  if (bom16 && source.size % 2 !== 0) return false;
  const decoder = bom16 ? new TextDecoder(first[0] === 0xff ? 'utf-16le' : 'utf-16be', { fatal: true }) : undefined;
  try {
    for (let pos = 0; pos < source.size; pos += TEXT_CHUNK_BYTES) {
      const chunk = await source.read(pos, TEXT_CHUNK_BYTES);
      if (chunk.length === 0) return false;
      if (decoder) {
        if (CONTROL_CHAR.test(decoder.decode(chunk, { stream: true }))) return false;
      } else if (hasBinaryControl(chunk)) return false;
    }
    decoder?.decode();
    return true;
  } catch {
    return false;
  }
}
