import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeMetadataStore, sampleVersion } from '../metadata-store.contract.js';
import { PostgresMetadataStore } from './postgres-metadata-store.js';

// Set by tests/setup/postgres.ts (vitest globalSetup), which fails the run when PostgreSQL is unreachable.
const url = process.env.MODELSEC_TEST_POSTGRES_URL;
if (!url) throw new Error('MODELSEC_TEST_POSTGRES_URL is not set: the vitest globalSetup tests/setup/postgres.ts did not run');
const DB_URL: string = url;

/** Each store gets its own schema in the scratch database, so it starts empty. */
const freshStore = () => PostgresMetadataStore.open(DB_URL, { schema: `s_${randomBytes(6).toString('hex')}` });

describeMetadataStore('postgres', freshStore);

describe('PostgresMetadataStore across connections (as several registry processes)', () => {
  it('two stores on one schema: unique versions enforced by the database, one gap-free log', async () => {
    const schema = `s_${randomBytes(6).toString('hex')}`;
    const a = await PostgresMetadataStore.open(DB_URL, { schema });
    const b = await PostgresMetadataStore.open(DB_URL, { schema });
    try {
      const attempts = Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).transaction(async (tx) => {
          await tx.insertVersion(sampleVersion({ version: '1.0.0' }), [], []);
          return tx.appendLogLeaf(Buffer.from(`leaf-${i}`));
        }),
      );
      const results = await Promise.allSettled(attempts);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('CONFLICT');
      const leaves = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).transaction((tx) => tx.appendLogLeaf(Buffer.from(`x${i}`)))),
      );
      expect([...leaves].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await a.logSize()).toBe(21);
      expect(await b.readLogLeaves(0, 21)).toHaveLength(21);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses an unreachable database with a clear error', async () => {
    await expect(PostgresMetadataStore.open('postgres://nobody@127.0.0.1:1/none')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
