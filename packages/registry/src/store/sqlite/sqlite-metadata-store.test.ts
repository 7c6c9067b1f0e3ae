import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeMetadataStore, sampleVersion } from '../metadata-store.contract.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeMetadataStore('sqlite', async () => SqliteMetadataStore.open(path.join(dir, `db${n++}.sqlite`)));

describe('SqliteMetadataStore', () => {
  it('persists across reopen (WAL file database)', async () => {
    const file = path.join(dir, 'persist.sqlite');
    const a = SqliteMetadataStore.open(file);
    await a.insertVersion(sampleVersion(), [], []);
    await a.close();
    const b = SqliteMetadataStore.open(file);
    expect((await b.getVersion('acme', 'bert', '1.0.0'))?.rootDigest).toBe('a'.repeat(64));
    await b.close();
  });
});
