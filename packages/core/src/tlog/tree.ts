/**
 * An append-only Merkle tree that keeps the hash of every complete, aligned subtree (level k holds the hashes
 * of subtrees of 2^k leaves). Appending costs O(log n) hashes; the root of any earlier size and any inclusion or
 * consistency proof cost O(log n) lookups/hashes, because every RFC 6962 split yields a complete left subtree.
 * Each level is one growable byte array of 32-byte hashes, not an array of buffers: a million small buffers cost
 * the garbage collector more than hashing them did (bench/tlog.ts), and four times the memory.
 */
import {
  consistencyProofFrom,
  emptyRoot,
  HASH_SIZE,
  hashChildren,
  hashLeaf,
  inclusionProofFrom,
  type SubtreeHasher,
  splitPoint,
} from './merkle.js';

export class MerkleTree implements SubtreeHasher {
  /** levels[k] holds, at offset 32 * i, the hash of leaves [i * 2^k, (i + 1) * 2^k). */
  private readonly levels: HashRow[] = [new HashRow()];

  get size(): number {
    return (this.levels[0] as HashRow).count;
  }

  /** Appends an entry (hashing it as a leaf) and returns its index. */
  append(entry: Uint8Array): number {
    return this.appendLeafHash(hashLeaf(entry));
  }

  appendLeafHash(leafHash: Uint8Array): number {
    if (leafHash.length !== HASH_SIZE) throw new RangeError(`a leaf hash is ${HASH_SIZE} bytes, not ${leafHash.length}`);
    const index = this.size;
    (this.levels[0] as HashRow).push(leafHash);
    let level = 0;
    let i = index;
    while (i % 2 === 1) {
      const row = this.levels[level] as HashRow;
      const parent = hashChildren(row.view(i - 1), row.view(i));
      level++;
      if (this.levels.length <= level) this.levels.push(new HashRow());
      (this.levels[level] as HashRow).push(parent);
      i = (i - 1) / 2;
    }
    return index;
  }

  leafHash(index: number): Uint8Array {
    const row = this.levels[0] as HashRow;
    if (!Number.isSafeInteger(index) || index < 0 || index >= row.count)
      throw new RangeError(`no leaf ${index} in a tree of size ${this.size}`);
    return row.copy(index);
  }

  subtreeHash(start: number, end: number): Uint8Array {
    if (start < 0 || end > this.size || start >= end) throw new RangeError(`bad subtree [${start}, ${end})`);
    const n = end - start;
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const level = Math.log2(n);
      return (this.levels[level] as HashRow).copy(start / n);
    }
    const k = splitPoint(n);
    return hashChildren(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
  }

  /** Root of the tree of the first `size` leaves (default: all). */
  root(size: number = this.size): Uint8Array {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size)
      throw new RangeError(`no tree of size ${size} (have ${this.size})`);
    return size === 0 ? emptyRoot() : this.subtreeHash(0, size);
  }

  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    if (size > this.size) throw new RangeError(`no tree of size ${size} (have ${this.size})`);
    return inclusionProofFrom(this, index, size);
  }

  consistencyProof(from: number, to: number = this.size): Uint8Array[] {
    if (to > this.size) throw new RangeError(`no tree of size ${to} (have ${this.size})`);
    return consistencyProofFrom(this, from, to);
  }
}

/** First capacity of a level, in hashes; it doubles as the level fills. */
const INITIAL_ROW_HASHES = 64;

/** A growable array of 32-byte hashes in one buffer. */
class HashRow {
  private bytes = new Uint8Array(INITIAL_ROW_HASHES * HASH_SIZE);
  count = 0;

  push(hash: Uint8Array): void {
    if ((this.count + 1) * HASH_SIZE > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(hash, this.count * HASH_SIZE);
    this.count++;
  }

  /** The hash at `i` as a view (valid until the next push may grow the row: use at once). */
  view(i: number): Uint8Array {
    return this.bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  /** The hash at `i` as a buffer of its own (what callers keep). */
  copy(i: number): Uint8Array {
    return Buffer.from(this.bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  }
}
