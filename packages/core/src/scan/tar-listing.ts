import type { ByteSource } from '../formats/byte-source.js';

/** Tar members listed (a bound on hostile archives; hitting it is a finding in the archive handler). */
export const MAX_TAR_ENTRIES = 100_000;

export interface TarMember {
  name: string;
  type: string;
  size: number;
  dataOffset: number;
}

function octal(bytes: Uint8Array): number {
  const text = new TextDecoder('latin1').decode(bytes).replace(/\0.*$/s, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

/** Lists ustar/GNU tar members from their 512-byte headers (no data read). Stops at the end marker or a bad header. */
export async function listTar(source: ByteSource, limit = MAX_TAR_ENTRIES): Promise<TarMember[]> {
  const members: TarMember[] = [];
  let pos = 0;
  while (pos + 512 <= source.size && members.length < limit + 1) {
    const header = await source.read(pos, 512);
    if (header.every((b) => b === 0)) break;
    const prefix = new TextDecoder('utf-8').decode(header.subarray(345, 500)).replace(/\0.*$/s, '');
    const base = new TextDecoder('utf-8').decode(header.subarray(0, 100)).replace(/\0.*$/s, '');
    const size = octal(header.subarray(124, 136));
    if (!Number.isSafeInteger(size) || size < 0) break;
    members.push({
      name: prefix ? `${prefix}/${base}` : base,
      type: String.fromCharCode(header[156] ?? 0),
      size,
      dataOffset: pos + 512,
    });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}
