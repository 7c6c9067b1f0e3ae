/**
 * Amplification (issue 12), over HTTP: one stored blob listed under many paths with a shards signature is hashed
 * once per distinct blob (the push's audit entry records the bytes hashed), and lineage is answered from the index
 * written at push: an anonymous lineage request parses no attachment (it answers with the ML-BOM gone from disk),
 * and versions published before the index existed are indexed once at start.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey, signModel } from '@modelsec/core';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../../packages/registry/src/app.js';
import { ADMIN, signedModel, tempDir, testRegistry } from '../../../packages/registry/src/test-support.js';

describe('a blob listed under many paths with a shards signature', () => {
  it('is hashed once per distinct blob, not once per path', async () => {
    const registry = await testRegistry();
    try {
      const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
      const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
      await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
      await admin.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { required: false } } });
      const dir = tempDir('modelsec-model-');
      const repeated = randomBytes(64 * 1024);
      const PATHS = 64;
      for (let i = 0; i < PATHS; i++) {
        mkdirSync(path.join(dir, `copy-${i}`), { recursive: true });
        writeFileSync(path.join(dir, `copy-${i}`, 'weights.bin'), repeated);
      }
      const other = randomBytes(1000);
      writeFileSync(path.join(dir, 'other.bin'), other);
      const key = generateSigningKey();
      const { bundle } = await signModel(
        dir,
        { kind: 'key', privateKeyPem: key.privateKeyPem },
        { method: 'shards', shardSize: 4096 },
      );
      writeFileSync(path.join(dir, 'model.sig'), JSON.stringify(bundle));
      await pushModel(admin, dir, parseModelRef('acme/copies@1.0.0'), {
        signaturePath: path.join(dir, 'model.sig'),
        publicKeyPem: key.publicKeyPem,
      });
      const { entries } = await admin.json<{ entries: { action: string; outcome: string; details: Record<string, unknown> }[] }>(
        'GET',
        '/v1/audit?namespace=acme',
      );
      const push = entries.find((e) => e.action === 'version.push' && e.outcome === 'ok');
      expect(push?.details.hashedBytes).toBe(repeated.length + other.length);

      // Every path is still checked against its signed shards: one changed copy is refused, by its path.
      writeFileSync(path.join(dir, 'copy-7', 'weights.bin'), randomBytes(repeated.length));
      const refused = await pushModel(admin, dir, parseModelRef('acme/copies@1.0.1'), {
        signaturePath: path.join(dir, 'model.sig'),
        publicKeyPem: key.publicKeyPem,
      }).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: 'POLICY_DENIED',
        details: { failed: [{ code: 'MODEL_MISMATCH', details: { mismatches: [{ name: 'copy-7/weights.bin' }] } }] },
      });
    } finally {
      await registry.app.close();
    }
  });
});

function bomDerivedFrom(baseDigest: string) {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      component: {
        type: 'machine-learning-model',
        'bom-ref': 'model',
        name: 'tuned',
        pedigree: {
          ancestors: [{ type: 'machine-learning-model', name: 'base', hashes: [{ alg: 'SHA-256', content: baseDigest }] }],
        },
      },
    },
  };
}

describe('lineage from the index written at push', () => {
  it('answers an anonymous request without parsing attachments, and indexes older versions once at start', async () => {
    const registry = await testRegistry();
    const { dataDir } = registry;
    let reopened: Awaited<ReturnType<typeof createRegistry>> | undefined;
    try {
      const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
      const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
      await admin.json('POST', '/v1/namespaces', { json: { name: 'open', public: true } });
      await admin.json('PUT', '/v1/namespaces/open/policy', { json: { scan: { required: false } } });
      const base = await signedModel({ 'weights.bin': 'base weights' });
      const pushedBase = await pushModel(admin, base.dir, parseModelRef('open/base@1.0.0'), {
        signaturePath: base.signaturePath,
        publicKeyPem: base.key.publicKeyPem,
      });
      const tuned = await signedModel({ 'weights.bin': 'tuned weights' });
      const bomPath = path.join(tempDir(), 'bom.json');
      writeFileSync(bomPath, JSON.stringify(bomDerivedFrom(pushedBase.rootDigest)));
      await pushModel(admin, tuned.dir, parseModelRef('open/tuned@1.0.0'), {
        signaturePath: tuned.signaturePath,
        publicKeyPem: tuned.key.publicKeyPem,
        bomPath,
      });
      const version = await admin.json<{ attachments: { kind: string; digest: string }[] }>(
        'GET',
        '/v1/namespaces/open/models/tuned/versions/1.0.0',
      );
      const bom = version.attachments.find((a) => a.kind === 'mlbom')?.digest as string;
      const bomFile = path.join(dataDir, 'blobs', 'sha256', bom.slice(0, 2), bom);

      const lineage = async (base: string) => {
        const anonymous = await fetch(`${base}/v1/lineage/open/tuned/1.0.0`);
        expect(anonymous.status).toBe(200);
        return (await anonymous.json()) as { ancestors: { relation: string; version?: { model: string } }[] };
      };
      const descendants = async (base: string) =>
        ((await (await fetch(`${base}/v1/lineage/open/base/1.0.0`)).json()) as { descendants: { model: string }[] }).descendants;
      const expected = [{ relation: 'derived-from', version: { model: 'base' } }];
      expect((await lineage(url)).ancestors).toMatchObject(expected);

      // The ML-BOM gone from disk: a query that parsed attachments would find no edge; the index still answers.
      rmSync(bomFile);
      expect((await lineage(url)).ancestors).toMatchObject(expected);
      expect((await descendants(url)).map((d) => d.model)).toEqual(['tuned']);
      await registry.app.close();

      // A data directory from before the index (its rows absent): the registry indexes those versions at start.
      writeFileSync(bomFile, JSON.stringify(bomDerivedFrom(pushedBase.rootDigest)));
      const db = new Database(path.join(dataDir, 'registry.sqlite'));
      db.exec('DELETE FROM lineage_edges; DELETE FROM lineage_indexed;');
      db.close();
      reopened = await createRegistry({ dataDir, adminToken: ADMIN, scanner: null });
      const url2 = await reopened.app.listen({ host: '127.0.0.1', port: 0 });
      expect(await reopened.store.unindexedVersions(10)).toEqual([]);
      rmSync(bomFile);
      expect((await lineage(url2)).ancestors).toMatchObject(expected);
      expect((await descendants(url2)).map((d) => d.model)).toEqual(['tuned']);
    } finally {
      await reopened?.app.close();
      await registry.app.close().catch(() => undefined);
    }
  });
});
