/**
 * RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs (generation and verification).
 * Leaf hash = SHA-256(0x00 || entry); node hash = SHA-256(0x01 || left || right); the empty tree hashes to SHA-256("").
 * Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 exactly.
 */
import { createHash, hash } from 'node:crypto';

export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * One-shot `crypto.hash` over one buffer costs about half of a `createHash` object with three updates (measured in
 * bench/tlog.ts): appends are bound by hashing, so each hash input is assembled into one buffer first. A node's input
 * goes through this 65-byte scratch buffer (hashing is synchronous, so it is never shared between two calls).
 */
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/** Longest proof accepted: a tree of 2^64 leaves needs at most 64 hashes (inclusion) or 2*64 (consistency). */
export const MAX_PROOF_HASHES = 128;

export function hashLeaf(entry: Uint8Array): Uint8Array {
  const input = Buffer.allocUnsafe(1 + entry.length);
  input[0] = LEAF_PREFIX;
  input.set(entry, 1);
  // Buffer is a Uint8Array: returned as is, no copy (appends are hash-bound).
  return hash('sha256', input, 'buffer');
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    // Not a tree node of this log (a proof element of another length): hashed as given, like the streaming form.
    return createHash('sha256').update(Uint8Array.of(NODE_PREFIX)).update(left).update(right).digest();
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
}

export function emptyRoot(): Uint8Array {
  return new Uint8Array(createHash('sha256').digest());
}

/** Largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Something that can give the hash of the subtree over leaves [start, end). */
export interface SubtreeHasher {
  subtreeHash(start: number, end: number): Uint8Array;
}

/** MTH over an in-memory list of leaf hashes (reference implementation, O(n)). */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return emptyRoot();
  return mth(leafHashes, 0, leafHashes.length);
}

function mth(hashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return hashes[start] as Uint8Array;
  const k = splitPoint(n);
  return hashChildren(mth(hashes, start, start + k), mth(hashes, start + k, end));
}

/** RFC 6962 PATH(m, D[n]): audit path for leaf `index` in the tree of the first `size` leaves. */
export function inclusionProofFrom(tree: SubtreeHasher, index: number, size: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    throw new RangeError(`inclusion proof: index ${index} not in a tree of size ${size}`);
  const path: Uint8Array[] = [];
  let start = 0;
  let end = size;
  let m = index;
  // Walk down from the root; collect siblings, then reverse (RFC order is leaf to root).
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      path.push(tree.subtreeHash(start + k, end));
      end = start + k;
    } else {
      path.push(tree.subtreeHash(start, start + k));
      start += k;
      m -= k;
    }
  }
  return path.reverse();
}

/** RFC 6962 PROOF(m, D[n]): consistency proof between the trees of sizes `from` and `to`. */
export function consistencyProofFrom(tree: SubtreeHasher, from: number, to: number): Uint8Array[] {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to)
    throw new RangeError(`consistency proof: bad sizes ${from} -> ${to}`);
  if (from === 0 || from === to) return [];
  const out: Uint8Array[] = [];
  subproof(tree, from, 0, to, true, out);
  return out.reverse();
}

// SUBPROOF(m, D[start:end], b); pushes root-first, caller reverses to RFC (bottom-up) order.
function subproof(tree: SubtreeHasher, m: number, start: number, end: number, b: boolean, out: Uint8Array[]): void {
  const n = end - start;
  if (m === n) {
    if (!b) out.push(tree.subtreeHash(start, end));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    out.push(tree.subtreeHash(start + k, end));
    subproof(tree, m, start, start + k, b, out);
  } else {
    out.push(tree.subtreeHash(start, start + k));
    subproof(tree, m - k, start + k, end, false, out);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

function checkProofShape(proof: readonly Uint8Array[]): boolean {
  return proof.length <= MAX_PROOF_HASHES && proof.every((h) => h.length === HASH_SIZE);
}

/** RFC 9162 2.1.3.2: root computed from an inclusion proof, or undefined when the proof is malformed. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return undefined;
  if (!checkProofShape(proof) || leafHash.length !== HASH_SIZE) return undefined;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashChildren(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : undefined;
}

export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== undefined && equalBytes(computed, root);
}

/** RFC 9162 2.1.4.2: does `proof` show the tree of size `from` (root1) is a prefix of the tree of size `to` (root2)? */
export function verifyConsistency(
  from: number,
  to: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) return false;
  if (!checkProofShape(proof)) return false;
  if (from === to) return proof.length === 0 && equalBytes(root1, root2);
  if (from === 0) return proof.length === 0; // the empty tree is consistent with every tree
  let path = [...proof];
  if (path.length === 0) return false;
  // If `from` is an exact power of two, prepend first_hash (root1).
  if ((from & (from - 1)) === 0) path = [root1, ...path];
  let fn = BigInt(from - 1);
  let sn = BigInt(to - 1);
  if ((fn & 1n) === 1n) {
    while ((fn & 1n) === 1n) {
      fn >>= 1n;
      sn >>= 1n;
    }
  }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return equalBytes(fr, root1) && equalBytes(sr, root2) && sn === 0n;
}

export { equalBytes };
