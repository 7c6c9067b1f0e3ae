import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashLeaf, rootFromLeafHashes } from '@modelsec/core';
import { SqliteMetadataStore } from '@modelsec/registry';
import { describe, expect, it } from 'vitest';
import { parseTilePath, readTile, TransparencyLog, tileIndexPath } from '../../../packages/registry/src/log/index.js';

describe('C2SP tlog-tiles', () => {
  it('encodes and parses tile indexes and partial widths', () => {
    expect(tileIndexPath(1234067)).toBe('x001/x234/067');
    expect(tileIndexPath(5)).toBe('005');
    expect(parseTilePath('1/x001/x234/067')).toEqual({ level: 1, index: 1234067, width: 256 });
    expect(parseTilePath('0/002.p/88')).toEqual({ level: 0, index: 2, width: 88 });
    expect(parseTilePath('entries/x001/000.p/7')).toEqual({ level: 'entries', index: 1000, width: 7 });
    for (const bad of ['9/000', '0/2', '0/x002', '0/000.p/0', '0/000.p/256', 'z/000', '0/../000'])
      expect(() => parseTilePath(bad), bad).toThrow();
  });

  it('serves hash tiles and entry bundles that rebuild the signed tree', async () => {
    const store = SqliteMetadataStore.open(':memory:');
    const log = await TransparencyLog.open(store, { dataDir: mkdtempSync(path.join(os.tmpdir(), 'modelsec-tiles-')) });
    const leaves = Array.from({ length: 600 }, (_, i) => Buffer.from(`{"i":${i}}`));
    for (const leaf of leaves) await store.appendLogLeaf(leaf);
    await log.sync();

    const full0 = await readTile(log, parseTilePath('0/000'));
    expect(full0.length).toBe(256 * 32);
    const t1 = await readTile(log, parseTilePath('0/001'));
    const t2 = await readTile(log, parseTilePath('0/002.p/88'));
    await expect(readTile(log, parseTilePath('0/002'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const all = Buffer.concat([full0, t1, t2]);
    const leafHashes = Array.from({ length: 600 }, (_, i) => new Uint8Array(all.subarray(i * 32, i * 32 + 32)));
    expect(leafHashes.map((h) => Buffer.from(h).toString('hex'))).toEqual(
      leaves.map((l) => Buffer.from(hashLeaf(l)).toString('hex')),
    );
    expect(Buffer.from(rootFromLeafHashes(leafHashes))).toEqual(Buffer.from(log.tree.root()));

    const level1 = await readTile(log, parseTilePath('1/000.p/2'));
    expect(Buffer.from(level1.subarray(0, 32))).toEqual(Buffer.from(rootFromLeafHashes(leafHashes.slice(0, 256))));
    expect(Buffer.from(level1.subarray(32))).toEqual(Buffer.from(rootFromLeafHashes(leafHashes.slice(256, 512))));
    await expect(readTile(log, parseTilePath('1/000.p/3'))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const bundle = Buffer.from(await readTile(log, parseTilePath('entries/002.p/88')));
    const entries: string[] = [];
    for (let off = 0; off < bundle.length; ) {
      const len = bundle.readUInt16BE(off);
      entries.push(bundle.subarray(off + 2, off + 2 + len).toString());
      off += 2 + len;
    }
    expect(entries).toEqual(leaves.slice(512).map(String));
    await store.close();
  });
});
