import { OPCODES } from './opcodes.js';

/** Opcodes a protocol 0/1 pickle typically starts with. */
const PROTO0_STARTS = new Set('(cNIJKLSVXU]})lditGFgh'.split('').map((c) => c.charCodeAt(0)));
/** Opcodes skimmed to confirm a protocol 0/1 pickle (enough to reach STOP of small ones, bounded). */
export const LOOKS_LIKE_PICKLE_SKIM_OPCODES = 4096;

/**
 * Content test for a pickle: `\x80` + protocol 2..5 followed by an opcode, or a protocol 0/1 stream whose
 * opcodes (skimmed, bounded) parse up to STOP. Used by format detection and to find pickles stored as data.
 */
export function looksLikePickle(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  if (bytes[0] === 0x80) {
    const protocol = bytes[1] as number;
    return protocol >= 2 && protocol <= 5 && (bytes.length === 2 || OPCODES[bytes[2] as number] !== undefined);
  }
  if (!PROTO0_STARTS.has(bytes[0] as number)) return false;
  return skimToStop(bytes);
}

function skimToStop(bytes: Uint8Array): boolean {
  let pos = 0;
  for (let n = 0; n < LOOKS_LIKE_PICKLE_SKIM_OPCODES && pos < bytes.length; n++) {
    const info = OPCODES[bytes[pos] as number];
    if (!info) return false;
    pos++;
    if (info.name === 'STOP') return n > 0;
    switch (info.arg) {
      case 'none':
        break;
      case 'u1':
      case 'bytes1':
      case 'long1': {
        const len = info.arg === 'u1' ? 0 : (bytes[pos] ?? 0);
        pos += 1 + len;
        break;
      }
      case 'u2':
        pos += 2;
        break;
      case 'i4':
      case 'u4':
        pos += 4;
        break;
      case 'u8':
      case 'f8':
        pos += 8;
        break;
      case 'bytes4':
      case 'sbytes4':
      case 'long4': {
        if (pos + 4 > bytes.length) return false;
        const len =
          (bytes[pos] as number) |
          ((bytes[pos + 1] as number) << 8) |
          ((bytes[pos + 2] as number) << 16) |
          ((bytes[pos + 3] as number) << 24);
        if (len < 0) return false;
        pos += 4 + len;
        break;
      }
      case 'bytes8':
        return false;
      case 'line':
      case 'line2': {
        for (let lines = info.arg === 'line' ? 1 : 2; lines > 0; lines--) {
          const nl = bytes.indexOf(0x0a, pos);
          if (nl < 0 || nl - pos > 4096) return false;
          pos = nl + 1;
        }
        break;
      }
    }
  }
  return false;
}
