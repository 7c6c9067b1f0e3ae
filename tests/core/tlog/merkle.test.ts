import { randomBytes } from 'node:crypto';
import {
  consistencyProofFrom,
  emptyRoot,
  hashLeaf,
  inclusionProofFrom,
  MerkleTree,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '@modelsec/core';
import { describe, expect, it } from 'vitest';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// RFC 6962 reference leaves and roots, as used by the test data of transparency-dev/merkle (rfc6962 package)
// and certificate-transparency-go: leaf i is the byte string below, root k is MTH of the first k leaves.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

function treeOf(leaves: Uint8Array[]): MerkleTree {
  const t = new MerkleTree();
  for (const l of leaves) t.append(l);
  return t;
}

describe('RFC 6962 test vectors', () => {
  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(hex(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(new MerkleTree().root())).toBe(hex(emptyRoot()));
  });

  it('computes the reference roots for sizes 1..8, incrementally and from scratch', () => {
    const tree = treeOf(LEAVES.map(unhex));
    for (let k = 1; k <= 8; k++) {
      expect(hex(tree.root(k))).toBe(ROOTS[k - 1]);
      expect(hex(rootFromLeafHashes(LEAVES.slice(0, k).map((l) => hashLeaf(unhex(l)))))).toBe(ROOTS[k - 1]);
    }
  });

  it('proves every leaf and every prefix of the reference tree', () => {
    const tree = treeOf(LEAVES.map(unhex));
    for (let n = 1; n <= 8; n++) {
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        expect(verifyInclusion(i, n, hashLeaf(unhex(LEAVES[i] as string)), proof, unhex(ROOTS[n - 1] as string))).toBe(true);
      }
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        expect(verifyConsistency(m, n, unhex(ROOTS[m - 1] as string), unhex(ROOTS[n - 1] as string), proof)).toBe(true);
      }
    }
  });

  it('gives the RFC 6962 section 2.1.3 example proof lengths (7-leaf tree)', () => {
    const tree = treeOf(LEAVES.slice(0, 7).map(unhex));
    // d0: [b, h, l] ; d3: [c, g, l] ; d4: [f, j, k] ; d6: [i, k]
    expect(tree.inclusionProof(0, 7)).toHaveLength(3);
    expect(tree.inclusionProof(3, 7)).toHaveLength(3);
    expect(tree.inclusionProof(4, 7)).toHaveLength(3);
    expect(tree.inclusionProof(6, 7)).toHaveLength(2);
    // consistency 3 -> 7: [c, d, g, l] ; 4 -> 7: [l] ; 6 -> 7: [i, j, k]
    expect(tree.consistencyProof(3, 7)).toHaveLength(4);
    expect(tree.consistencyProof(4, 7)).toHaveLength(1);
    expect(tree.consistencyProof(6, 7)).toHaveLength(3);
    expect(hex(tree.consistencyProof(4, 7)[0] as Uint8Array)).toBe(hex(tree.subtreeHash(4, 7)));
  });
});

describe('randomised trees', () => {
  const N = 40;
  const leaves = Array.from({ length: N }, (_, i) => randomBytes(1 + (i % 7)));
  const tree = treeOf(leaves);
  const leafHashes = leaves.map(hashLeaf);

  it('incremental roots equal the reference MTH for every size', () => {
    for (let n = 0; n <= N; n++) expect(hex(tree.root(n))).toBe(hex(rootFromLeafHashes(leafHashes.slice(0, n))));
  });

  it('keeps every stored hash when its levels grow past their first capacity (a thousand leaves)', () => {
    const many = Array.from({ length: 1000 }, (_, i) => Buffer.from(`leaf ${i}`));
    const big = treeOf(many);
    const hashes = many.map(hashLeaf);
    for (const n of [1, 63, 64, 65, 127, 128, 129, 511, 512, 513, 999, 1000])
      expect(hex(big.root(n))).toBe(hex(rootFromLeafHashes(hashes.slice(0, n))));
    const root = big.root();
    for (const i of [0, 63, 64, 500, 999]) {
      expect(hex(big.leafHash(i))).toBe(hex(hashes[i] as Uint8Array));
      expect(verifyInclusion(i, 1000, hashes[i] as Uint8Array, big.inclusionProof(i), root)).toBe(true);
    }
    // A hash handed out is the caller's own copy: changing it changes nothing stored.
    const handed = big.leafHash(5);
    handed.fill(0);
    expect(hex(big.leafHash(5))).toBe(hex(hashes[5] as Uint8Array));
  });

  it('every inclusion proof for sizes 1..N verifies; altered ones fail', () => {
    for (let n = 1; n <= N; n++) {
      const root = tree.root(n);
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        expect(proof.map(hex)).toEqual(inclusionProofFrom(tree, i, n).map(hex));
        const leaf = leafHashes[i] as Uint8Array;
        expect(verifyInclusion(i, n, leaf, proof, root)).toBe(true);
        expect(verifyInclusion(i, n, hashLeaf(randomBytes(3)), proof, root)).toBe(false);
        if (n > 1) expect(verifyInclusion((i + 1) % n, n, leaf, proof, root)).toBe(false);
        if (proof.length > 0) {
          const bad = proof.map((h) => new Uint8Array(h));
          const j = (i * 7) % bad.length;
          (bad[j] as Uint8Array)[0] = ((bad[j] as Uint8Array)[0] as number) ^ 1;
          expect(verifyInclusion(i, n, leaf, bad, root)).toBe(false);
          expect(verifyInclusion(i, n, leaf, proof.slice(0, -1), root)).toBe(false);
          expect(verifyInclusion(i, n, leaf, [...proof, root], root)).toBe(false);
        }
      }
    }
  });

  it('every consistency proof for 1 <= m <= n <= N verifies; altered ones fail', () => {
    for (let n = 1; n <= N; n++) {
      const rootN = tree.root(n);
      for (let m = 1; m <= n; m++) {
        const rootM = tree.root(m);
        const proof = tree.consistencyProof(m, n);
        expect(proof.map(hex)).toEqual(consistencyProofFrom(tree, m, n).map(hex));
        expect(verifyConsistency(m, n, rootM, rootN, proof)).toBe(true);
        if (m < n) {
          if (m > 1) expect(verifyConsistency(m, n, tree.root(m - 1), rootN, proof)).toBe(false);
          expect(verifyConsistency(m, n, rootM, tree.root(n - 1), proof)).toBe(false);
          const bad = proof.map((h) => new Uint8Array(h));
          const j = (m + n) % bad.length;
          (bad[j] as Uint8Array)[31] = ((bad[j] as Uint8Array)[31] as number) ^ 0x80;
          expect(verifyConsistency(m, n, rootM, rootN, bad)).toBe(false);
          expect(verifyConsistency(m, n, rootM, rootN, proof.slice(1))).toBe(false);
          expect(verifyConsistency(m, n, rootM, rootN, [])).toBe(false);
        }
      }
    }
  });

  it('a tree whose history was rewritten is not consistent with the old checkpoint', () => {
    const forked = treeOf([...leaves.slice(0, 10), randomBytes(4), ...leaves.slice(11)]);
    const proof = forked.consistencyProof(12, N);
    expect(verifyConsistency(12, N, tree.root(12), forked.root(N), proof)).toBe(false);
  });

  it('refuses out-of-range proof requests', () => {
    expect(() => tree.inclusionProof(N, N)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, N + 1)).toThrow(RangeError);
    expect(() => tree.consistencyProof(5, 4)).toThrow(RangeError);
    expect(tree.consistencyProof(0, 5)).toEqual([]);
  });
});
