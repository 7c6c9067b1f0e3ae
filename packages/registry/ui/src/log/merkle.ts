/**
 * RFC 9162 (RFC 6962) Merkle tree checks in the browser, with WebCrypto SHA-256:
 * leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right).
 * `rootFromInclusionProof` follows RFC 9162 section 2.1.3.2 and `verifyConsistency` section 2.1.4.2, step by step.
 * Sizes stay below 2^53, so halving uses Math.floor (bit shifts would cut at 32 bits).
 */

/** A proof has at most one hash per tree level (consistency: two); a tree of 2^53 leaves has 53 levels. */
export const MAX_PROOF_HASHES = 2 * 64;
export const HASH_BYTES = 32;

export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

export const hashLeaf = (entry: Uint8Array) => sha256(Uint8Array.of(0x00), entry);
export const hashChildren = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(0x01), left, right);

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m > 1 && m % 2 === 0) m /= 2;
  return m === 1;
}

function checkProof(proof: readonly Uint8Array[]): boolean {
  return proof.length <= MAX_PROOF_HASHES && proof.every((p) => p.length === HASH_BYTES);
}

/** The root an inclusion proof leads to, or undefined when the proof cannot be one for (index, size). */
export async function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | undefined> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size || !checkProof(proof))
    return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (odd(fn) || fn === sn) {
      r = await hashChildren(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

export async function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  const computed = await rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== undefined && equalBytes(computed, root);
}

/** Does `proof` show that the tree of size `first` (root1) is a prefix of the tree of size `second` (root2)? */
export async function verifyConsistency(
  first: number,
  second: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<boolean> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second || !checkProof(proof))
    return false;
  if (first === second) return proof.length === 0 && equalBytes(root1, root2);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = [...proof];
  // Step 2: when `first` is a power of two, its root is a node of the second tree and starts the path.
  if (isPowerOfTwo(first)) path.unshift(root1);
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await hashChildren(c, fr);
      sr = await hashChildren(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}
