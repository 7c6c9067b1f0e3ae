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
