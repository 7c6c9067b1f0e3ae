/**
 * The browser's proof code (WebCrypto) against core's log (node:crypto): every proof core makes verifies here, and
 * any altered leaf, root, proof or note does not. Node's globalThis.crypto.subtle is the same WebCrypto API.
 */
import { generateNoteSigner, MerkleTree, signCheckpoint } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { hashLeaf, verifyConsistency, verifyInclusion } from './merkle.js';
import { keyFingerprint, parseLogKey, toBase64, verifyCheckpoint } from './note.js';
import { type KeyStore, LAST_CHECKPOINT_STORAGE, type Step, verifyLatestCheckpoint } from './verify.js';

const leaf = (i: number) => new TextEncoder().encode(`{"i":${i}}`);

function tree(n: number): MerkleTree {
  const t = new MerkleTree();
  for (let i = 0; i < n; i++) t.append(leaf(i));
  return t;
}

class MemoryStore implements KeyStore {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

describe('RFC 9162 proofs in the browser code', () => {
  it('every inclusion proof of core verifies; a wrong leaf, index or root does not', async () => {
    const t = tree(23);
    for (let size = 1; size <= 23; size++) {
      for (let index = 0; index < size; index++) {
        const proof = t.inclusionProof(index, size);
        const h = await hashLeaf(leaf(index));
        expect(await verifyInclusion(index, size, h, proof, t.root(size))).toBe(true);
        expect(await verifyInclusion(index, size, await hashLeaf(leaf(index + 100)), proof, t.root(size))).toBe(false);
        if (size > 1) expect(await verifyInclusion((index + 1) % size, size, h, proof, t.root(size))).toBe(false);
      }
    }
    expect(await verifyInclusion(0, 1, await hashLeaf(leaf(0)), [], t.root(2))).toBe(false);
    expect(await verifyInclusion(5, 5, await hashLeaf(leaf(5)), [], t.root(5))).toBe(false);
  });

  it('every consistency proof of core verifies; a forked root or a truncated proof does not', async () => {
    const t = tree(20);
    const forked = new Uint8Array(32).fill(9);
    for (let to = 1; to <= 20; to++) {
      for (let from = 1; from <= to; from++) {
        const proof = t.consistencyProof(from, to);
        expect(await verifyConsistency(from, to, t.root(from), t.root(to), proof)).toBe(true);
        expect(await verifyConsistency(from, to, forked, t.root(to), proof)).toBe(false);
        if (proof.length > 0) expect(await verifyConsistency(from, to, t.root(from), t.root(to), proof.slice(1))).toBe(false);
      }
    }
  });
});

describe('C2SP notes and checkpoints in the browser code', () => {
  it("verifies core's signed checkpoint under its key (also when the key's base64 holds '+'), and nothing else", async () => {
    let signer = generateNoteSigner('modelsec-registry');
    while (!signer.text.split('+').slice(2).join('+').includes('+')) signer = generateNoteSigner('modelsec-registry');
    const key = await parseLogKey(`${signer.text}\n`);
    expect(key.keyId).toBe(signer.keyId);
    expect(await keyFingerprint(key)).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    const t = tree(5);
    const note = signCheckpoint({ origin: signer.name, size: 5, rootHash: t.root(), extensions: [] }, signer);
    const cp = await verifyCheckpoint(note, key);
    expect([cp.size, cp.rootText]).toEqual([5, toBase64(t.root())]);
    await expect(verifyCheckpoint(note.replace('\n5\n', '\n6\n'), key)).rejects.toThrow(/does not verify/);
    const other = await parseLogKey(generateNoteSigner('modelsec-registry').text);
    await expect(verifyCheckpoint(note, other)).rejects.toThrow(/no signature by/);
    await expect(parseLogKey(signer.text.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).rejects.toThrow(/id does not match/);
  });

  it('remembers the last checkpoint: a later consistent one passes, a fork of the same size and a shrink fail', async () => {
    const signer = generateNoteSigner('log');
    const key = await parseLogKey(signer.text);
    const store = new MemoryStore();
    const t = tree(9);
    let served = signCheckpoint({ origin: 'log', size: 4, rootHash: t.root(4), extensions: [] }, signer);
    const api = {
      text: async () => served,
      bytes: async () => new Uint8Array(),
      json: async <T>(path: string) => {
        const q = new URLSearchParams(path.split('?')[1]);
        return { hashes: t.consistencyProof(Number(q.get('from')), Number(q.get('to'))).map(toBase64) } as T;
      },
    };
    const run = async () => {
      const steps: Step[] = [];
      const cp = await verifyLatestCheckpoint(api, store, key, steps);
      return { ok: cp !== undefined, detail: steps.map((s) => s.detail).join(' | ') };
    };
    expect((await run()).ok).toBe(true);
    served = signCheckpoint({ origin: 'log', size: 9, rootHash: t.root(9), extensions: [] }, signer);
    expect(await run()).toMatchObject({ ok: true, detail: expect.stringContaining('prefix') });
    expect(JSON.parse(store.getItem(LAST_CHECKPOINT_STORAGE) ?? '{}')).toMatchObject({ size: 9 });
    served = signCheckpoint({ origin: 'log', size: 9, rootHash: new Uint8Array(32), extensions: [] }, signer);
    expect(await run()).toMatchObject({ ok: false, detail: expect.stringContaining('FORK') });
    served = signCheckpoint({ origin: 'log', size: 3, rootHash: t.root(3), extensions: [] }, signer);
    expect(await run()).toMatchObject({ ok: false, detail: expect.stringContaining('shrank') });
    expect(JSON.parse(store.getItem(LAST_CHECKPOINT_STORAGE) ?? '{}')).toMatchObject({ size: 9 });
  });
});
