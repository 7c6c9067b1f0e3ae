/**
 * Which compressor joblib.load would pick for a file's first bytes: a module of its own so detection (detect.ts)
 * can ask without loading the joblib handler and the archive code it uses.
 */

export type Codec = 'none' | 'zlib' | 'gzip' | 'zf' | 'bz2' | 'xz' | 'lzma' | 'lz4';

/**
 * The compressor joblib would pick for these first bytes, restricted to streams that can decode to anything (a
 * zlib header must pass its check, bz2 needs 'BZh'): detection routes those here.
 */
export function joblibCodec(head: Uint8Array): Codec {
  if (head[0] === 0x5a && head[1] === 0x46) return 'zf';
  if (head[0] === 0x78 && ((head[0] << 8) | (head[1] ?? 0)) % 31 === 0) return 'zlib';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bz2';
  if (head[0] === 0x5d && head[1] === 0x00) return 'lzma';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a) return 'xz';
  if (head[0] === 0x04 && head[1] === 0x22 && head[2] === 0x4d && head[3] === 0x18) return 'lz4';
  return 'none';
}
