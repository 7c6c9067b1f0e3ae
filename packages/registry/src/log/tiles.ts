/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles) read paths: `tile/<L>/<N>[.p/<W>]` (hashes of level L*8 nodes,
 * 256 per full tile) and `tile/entries/<N>[.p/<W>]` (entry bundles: each entry as a big-endian uint16 length and
 * its bytes). N is written in groups of three digits, all but the last prefixed with "x" (x001/x234/067).
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { TransparencyLog } from './transparency-log.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 1 << TILE_HEIGHT;
/** Entry bundles length-prefix entries with a uint16. */
export const MAX_TILE_ENTRY_BYTES = 0xffff;
/** Highest tile level served (2^(8*6) leaves is far beyond any registry). */
export const MAX_TILE_LEVEL = 6;

export interface TilePath {
  level: number | 'entries';
  index: number;
  /** Partial width, or TILE_WIDTH for a full tile. */
  width: number;
}

function bad(message: string): ModelsecError {
  return new ModelsecError('USAGE', `tile path: ${message}`);
}

/** Parses the part of a tile URL after `tile/`. */
export function parseTilePath(path: string): TilePath {
  const parts = path.split('/');
  const head = parts.shift();
  let level: TilePath['level'];
  if (head === 'entries') level = 'entries';
  else if (head !== undefined && /^[0-9]$/.test(head) && Number(head) <= MAX_TILE_LEVEL) level = Number(head);
  else throw bad(`bad level ${JSON.stringify(head)}`);
  let width = TILE_WIDTH;
  const last = parts[parts.length - 1] ?? '';
  if (parts.length >= 2 && /^[0-9]{1,3}$/.test(last) && (parts[parts.length - 2] ?? '').endsWith('.p')) {
    width = Number(last);
    parts.pop();
    parts[parts.length - 1] = (parts[parts.length - 1] as string).slice(0, -2);
    if (width < 1 || width >= TILE_WIDTH) throw bad('partial width must be 1..255');
  }
  if (parts.length === 0 || parts.length > 6) throw bad('bad index');
  let index = 0;
  parts.forEach((p, i) => {
    const group = i < parts.length - 1 ? /^x([0-9]{3})$/.exec(p)?.[1] : /^([0-9]{3})$/.exec(p)?.[1];
    if (group === undefined) throw bad(`bad index element ${JSON.stringify(p)}`);
    index = index * 1000 + Number(group);
  });
  if (!Number.isSafeInteger(index)) throw bad('index too large');
  return { level, index, width };
}

/** The bytes of a tile, or NOT_FOUND when the tree does not (yet) have that many complete nodes. */
export async function readTile(log: TransparencyLog, tile: TilePath): Promise<Uint8Array> {
  await log.sync();
  const size = log.tree.size;
  const levelHeight = tile.level === 'entries' ? 0 : tile.level * TILE_HEIGHT;
  const nodeSpan = 2 ** levelHeight;
  const completeNodes = Math.floor(size / nodeSpan);
  const first = tile.index * TILE_WIDTH;
  if (first + tile.width > completeNodes) throw new ModelsecError('NOT_FOUND', 'no such tile in the current tree');
  if (tile.level === 'entries') {
    const leaves = await log.store.readLogLeaves(first, first + tile.width);
    const parts: Buffer[] = [];
    for (const leaf of leaves) {
      if (leaf.length > MAX_TILE_ENTRY_BYTES) throw new ModelsecError('INTERNAL', 'a log entry is too long for an entry bundle');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(leaf.length, 0);
      parts.push(len, Buffer.from(leaf));
    }
    return new Uint8Array(Buffer.concat(parts));
  }
  const hashes: Uint8Array[] = [];
  for (let k = 0; k < tile.width; k++) {
    const start = (first + k) * nodeSpan;
    hashes.push(log.tree.subtreeHash(start, start + nodeSpan));
  }
  return new Uint8Array(Buffer.concat(hashes));
}

/** Formats an index as a tile path element (x001/x234/067). */
export function tileIndexPath(index: number): string {
  const digits = String(index).padStart(3, '0');
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/.{3}/g) as string[];
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}
