/**
 * TensorFlow checkpoint index (`variables/variables.index`): a LevelDB-format table (tensorflow/core/lib/io/table*)
 * whose keys are tensor names and whose values are BundleEntryProto (tensor_bundle.proto: dtype 1, shape 2,
 * shard_id 3, offset 4, size 5, crc32c 6, slices 7), with the empty key holding BundleHeaderProto (num_shards 1,
 * endianness 2, version 3). Read here to recognise the index itself (footer magic, block handles in bounds) and
 * to tell what each data shard `variables.data-NNNNN-of-MMMMM` must hold: its size is the end of its last tensor.
 */
import { protoFields, readVarint } from '../protobuf/index.js';
import { maskedCrc32c } from './crc.js';
import { invalid, limit, type Window } from './window.js';

/** The table magic number, little-endian, in the last 8 bytes (table/format.h kTableMagicNumber). */
const TABLE_MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];
/** Footer: two block handles padded to 40 bytes, then the magic. */
const FOOTER_BYTES = 48;
/** Block trailer: 1 byte compression type, 4 bytes masked CRC-32C. */
const BLOCK_TRAILER_BYTES = 5;
/** Largest index file read (real ones are KBs to a few MB: one entry per variable). */
export const MAX_TF_INDEX_BYTES = 256 * 1024 * 1024;
/** Entries read from one index. */
export const MAX_TF_INDEX_ENTRIES = 10_000_000;

export function sniffTfIndex(tail: Uint8Array): boolean {
  return tail.length >= 8 && TABLE_MAGIC.every((b, i) => tail[tail.length - 8 + i] === b);
}

export interface TfBundleIndex {
  numShards: number;
  /** Per shard: the end of its last tensor (the size its data file must have). */
  shardSizes: Map<number, number>;
  entries: number;
}

interface Handle {
  offset: number;
  size: number;
}

function handle(bytes: Uint8Array, pos: number): [Handle, number] {
  const [offset, p1] = readVarint(bytes, pos);
  const [size, p2] = readVarint(bytes, p1);
  return [{ offset: Number(offset), size: Number(size) }, p2];
}

async function readBlock(w: Window, h: Handle): Promise<Uint8Array> {
  if (h.offset + h.size + BLOCK_TRAILER_BYTES > w.size - FOOTER_BYTES) throw invalid('tf-index', 'block outside the table');
  const withType = await w.bytes(h.offset, h.size + 1);
  const type = withType[h.size];
  const crc = (await w.view(h.offset + h.size + 1, 4)).getUint32(0, true);
  if (crc !== maskedCrc32c(withType)) throw invalid('tf-index', 'block CRC-32C mismatch', { offset: h.offset });
  if (type !== 0) throw invalid('tf-index', `block compression ${type} is not read (only uncompressed tables)`);
  return withType.subarray(0, h.size);
}

/** Entries of one block: prefix-compressed keys, values; the restart array at the end is skipped. */
function* blockEntries(block: Uint8Array): Generator<[string, Uint8Array]> {
  if (block.length < 4) throw invalid('tf-index', 'block shorter than its restart count');
  const restarts = new DataView(block.buffer, block.byteOffset, block.length).getUint32(block.length - 4, true);
  const limitPos = block.length - 4 - 4 * restarts;
  if (limitPos < 0) throw invalid('tf-index', 'restart array larger than the block');
  let pos = 0;
  let key = new Uint8Array(0);
  const latin1 = new TextDecoder('latin1');
  while (pos < limitPos) {
    const [shared, p1] = readVarint(block, pos);
    const [unshared, p2] = readVarint(block, p1);
    const [valueLength, p3] = readVarint(block, p2);
    const s = Number(shared);
    const u = Number(unshared);
    const v = Number(valueLength);
    if (s > key.length || p3 + u + v > limitPos) throw invalid('tf-index', 'entry runs past its block');
    const next = new Uint8Array(s + u);
    next.set(key.subarray(0, s));
    next.set(block.subarray(p3, p3 + u), s);
    key = next;
    yield [latin1.decode(key), block.subarray(p3 + u, p3 + u + v)];
    pos = p3 + u + v;
  }
}

/** Reads the whole index. Throws FORMAT_INVALID / LIMIT_EXCEEDED. */
export async function readTfBundleIndex(w: Window): Promise<TfBundleIndex> {
  if (w.size < FOOTER_BYTES) throw invalid('tf-index', 'shorter than the table footer');
  if (w.size > MAX_TF_INDEX_BYTES) throw limit('tf-index', 'index file size', 'MAX_TF_INDEX_BYTES');
  const footer = await w.bytes(w.size - FOOTER_BYTES, FOOTER_BYTES);
  if (!sniffTfIndex(footer)) throw invalid('tf-index', 'no table magic');
  const [, afterMeta] = handle(footer, 0);
  const [indexHandle] = handle(footer, afterMeta);
  const index = await readBlock(w, indexHandle);
  const result: TfBundleIndex = { numShards: 0, shardSizes: new Map(), entries: 0 };
  let sawHeader = false;
  for (const [, value] of blockEntries(index)) {
    const [dataHandle] = handle(value, 0);
    for (const [key, entry] of blockEntries(await readBlock(w, dataHandle))) {
      if (++result.entries > MAX_TF_INDEX_ENTRIES) throw limit('tf-index', 'entries', 'MAX_TF_INDEX_ENTRIES');
      if (key === '') {
        sawHeader = true;
        for (const f of protoFields(entry)) if (f.field === 1 && f.wire === 0) result.numShards = Number(f.value);
        continue;
      }
      let shard = 0;
      let offset = 0n;
      let size = 0n;
      for (const f of protoFields(entry)) {
        if (f.wire !== 0) continue;
        if (f.field === 3) shard = Number(f.value);
        else if (f.field === 4) offset = f.value;
        else if (f.field === 5) size = f.value;
      }
      const end = Number(offset + size);
      result.shardSizes.set(shard, Math.max(result.shardSizes.get(shard) ?? 0, end));
    }
  }
  if (!sawHeader) throw invalid('tf-index', 'no bundle header entry');
  return result;
}
