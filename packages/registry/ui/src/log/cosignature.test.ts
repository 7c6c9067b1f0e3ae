/**
 * The browser's cosignature check (WebCrypto) against core's witness code (node:crypto): a cosignature core makes
 * verifies here with the pinned witness key, and an altered body, timestamp, key or name does not.
 */
import {
  addNoteSignatures,
  cosignCheckpoint,
  generateCosigner,
  generateNoteSigner,
  MerkleTree,
  signCheckpoint,
} from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import {
  forgetWitness,
  judgeCosignatures,
  MAX_PINNED_WITNESSES,
  PINNED_WITNESSES_STORAGE,
  parseWitnessKey,
  pinnedWitnesses,
  pinWitness,
} from './cosignature.js';
import { toBase64 } from './note.js';

class MemoryStore {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
}

function cosignedCheckpoint() {
  const t = new MerkleTree();
  for (let i = 0; i < 5; i++) t.append(new TextEncoder().encode(`{"i":${i}}`));
  const log = generateNoteSigner('log.example');
  const note = signCheckpoint({ origin: log.name, size: 5, rootHash: t.root(), extensions: [] }, log);
  const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
  const w1 = generateCosigner('witness.example/w1');
  const w2 = generateCosigner('witness.example/w2');
  const cosigned = addNoteSignatures(note, cosignCheckpoint(text, w1, 1_780_000_000) + cosignCheckpoint(text, w2, 1_780_000_060));
  return { log, note: cosigned, w1, w2, text };
}

describe('witness cosignatures checked in the browser', () => {
  it('verifies a pinned witness, shows an unpinned one with its claimed time, skips the log signature', async () => {
    const { log, note, w1 } = cosignedCheckpoint();
    const pinned = [await parseWitnessKey(w1.text)];
    const { rows, verifiedWitnesses } = await judgeCosignatures(note, { name: log.name, keyId: log.keyId }, pinned);
    expect(verifiedWitnesses).toBe(1);
    expect(rows.map((r) => [r.name, r.status.state, 'timestamp' in r.status ? r.status.timestamp : null])).toEqual([
      ['witness.example/w1', 'verified', 1_780_000_000],
      ['witness.example/w2', 'unpinned', 1_780_000_060],
    ]);
  });

  it('a cosignature over another body, with an altered timestamp or by another key is invalid', async () => {
    const { log, note, w1, text } = cosignedCheckpoint();
    const pinned = [await parseWitnessKey(w1.text)];
    const logKey = { name: log.name, keyId: log.keyId };
    const lines = note.slice(note.lastIndexOf('\n\n') + 2);
    const w1Line = lines.split('\n').find((l) => l.includes('w1')) as string;
    // The same cosignature line under a different checkpoint body (a fork of size 5).
    const fork = signCheckpoint({ origin: log.name, size: 5, rootHash: new Uint8Array(32).fill(7), extensions: [] }, log);
    const forked = await judgeCosignatures(addNoteSignatures(fork, `${w1Line}\n`), logKey, pinned);
    expect(forked.rows.map((r) => r.status.state)).toEqual(['invalid']);
    expect(forked.verifiedWitnesses).toBe(0);
    // The timestamp moved by one second.
    const raw = Uint8Array.from(atob(w1Line.slice(w1Line.lastIndexOf(' ') + 1)), (c) => c.charCodeAt(0));
    raw[11] = (raw[11] as number) ^ 1;
    const retimed = `${w1Line.slice(0, w1Line.lastIndexOf(' ') + 1)}${toBase64(raw)}`;
    const moved = await judgeCosignatures(
      `${text}\n${note.slice(note.lastIndexOf('\n\n') + 2).split('\n')[0]}\n${retimed}\n`,
      logKey,
      pinned,
    );
    expect(moved.rows.map((r) => r.status.state)).toEqual(['invalid']);
    // A different witness key under the pinned name and key id is never "verified".
    const impostor = generateCosigner('witness.example/w1');
    const imp = await judgeCosignatures(note, logKey, [await parseWitnessKey(impostor.text)]);
    expect(imp.verifiedWitnesses).toBe(0);
  });

  it('counts one key under two names once; malformed notes are refused', async () => {
    const { log, w1, text } = cosignedCheckpoint();
    const note = signCheckpoint(
      {
        origin: log.name,
        size: 5,
        rootHash: Uint8Array.from(atob(text.split('\n')[2] as string), (c) => c.charCodeAt(0)),
        extensions: [],
      },
      log,
    );
    const line = cosignCheckpoint(text, w1, 1_780_000_000);
    const { verifiedWitnesses } = await judgeCosignatures(addNoteSignatures(note, line), undefined, [
      await parseWitnessKey(w1.text),
    ]);
    expect(verifiedWitnesses).toBe(1);
    await expect(judgeCosignatures('no signature block', undefined, [])).rejects.toThrow(/signature block/);
    await expect(judgeCosignatures(`${text}\nnot a signature line\n`, undefined, [])).rejects.toThrow(/malformed/);
  });

  it('pins witness keys in storage: parsed and deduplicated, bounded, forgotten one by one; a log key is not a witness key', async () => {
    const store = new MemoryStore();
    const { log, w1, w2 } = cosignedCheckpoint();
    await pinWitness(store, w2.text);
    await pinWitness(store, ` ${w1.text}\n`);
    await pinWitness(store, w1.text);
    expect((await pinnedWitnesses(store)).map((k) => k.name)).toEqual(['witness.example/w1', 'witness.example/w2']);
    await expect(pinWitness(store, log.text)).rejects.toThrow(/cosignature\/v1/);
    await forgetWitness(store, w1.text);
    expect((await pinnedWitnesses(store)).map((k) => k.name)).toEqual(['witness.example/w2']);
    store.setItem(PINNED_WITNESSES_STORAGE, '{not json');
    expect(await pinnedWitnesses(store)).toEqual([]);
    for (let i = 0; i < MAX_PINNED_WITNESSES; i++) await pinWitness(store, generateCosigner(`w${i}`).text);
    await expect(pinWitness(store, generateCosigner('one-more').text)).rejects.toThrow(/at most/);
  });
});
