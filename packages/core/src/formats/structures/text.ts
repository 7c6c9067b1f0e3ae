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

/** Code points below U+0020 other than tab, LF, VT, FF, CR and ESC (binary data decoded as UTF-16). */
const CONTROL_CHAR = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f\u007f]/;

/**
 * Text in an encoding other than UTF-8, as old datasets, changelogs and Windows tools write it: UTF-16 with its BOM
 * (decoding cleanly, no control characters), or a legacy 8-bit / CJK encoding (Latin-1, Windows-125x, Shift-JIS,
 * GBK...): no control byte at all, and not UTF-8. The head is what is decided on; `isLegacyTextSource` checks the
 * whole file. Only asked after every binary format was ruled out, never to decide between text and a compressed or
 * binary stream (detect.ts keeps `isTextHead` for that).
 */
export function isLegacyTextHead(head: Uint8Array, truncated: boolean): boolean {
  if (head.length === 0) return false;
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
  const first = await source.read(0, 2);
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
