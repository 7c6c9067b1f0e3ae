/**
 * An append-only Merkle tree that keeps the hash of every complete, aligned subtree (level k holds the hashes
 * of subtrees of 2^k leaves). Appending costs O(log n) hashes; the root of any earlier size and any inclusion or
 * consistency proof cost O(log n) lookups/hashes, because every RFC 6962 split yields a complete left subtree.
 */
import {
  consistencyProofFrom,
  emptyRoot,
  hashChildren,
  hashLeaf,
  inclusionProofFrom,
  type SubtreeHasher,
  splitPoint,
} from './merkle.js';

export class MerkleTree implements SubtreeHasher {
  /** levels[k][i] = hash of leaves [i * 2^k, (i + 1) * 2^k). */
  private readonly levels: Uint8Array[][] = [[]];

  get size(): number {
    return (this.levels[0] as Uint8Array[]).length;
  }

  /** Appends an entry (hashing it as a leaf) and returns its index. */
  append(entry: Uint8Array): number {
    return this.appendLeafHash(hashLeaf(entry));
  }

  appendLeafHash(leafHash: Uint8Array): number {
    const index = this.size;
    (this.levels[0] as Uint8Array[]).push(leafHash);
    let level = 0;
    let i = index;
    while (i % 2 === 1) {
      const row = this.levels[level] as Uint8Array[];
      const parent = hashChildren(row[i - 1] as Uint8Array, row[i] as Uint8Array);
      level++;
      if (this.levels.length <= level) this.levels.push([]);
      (this.levels[level] as Uint8Array[]).push(parent);
      i = (i - 1) / 2;
    }
    return index;
  }

  leafHash(index: number): Uint8Array {
    const h = (this.levels[0] as Uint8Array[])[index];
    if (h === undefined) throw new RangeError(`no leaf ${index} in a tree of size ${this.size}`);
    return h;
  }

  subtreeHash(start: number, end: number): Uint8Array {
    if (start < 0 || end > this.size || start >= end) throw new RangeError(`bad subtree [${start}, ${end})`);
    const n = end - start;
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const level = Math.log2(n);
      return (this.levels[level] as Uint8Array[])[start / n] as Uint8Array;
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
