import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  canonicalJson,
  decodeLogEntry,
  hashLeaf,
  parseVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@modelsec/core';
import { createRegistry, parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayLog, verifiedCheckpoint, verifyLogInclusion } from '../../../packages/registry/src/log/index.js';
import { ADMIN, signedModel, testRegistry } from '../../../packages/registry/src/test-support.js';

const NO_SCAN = { scan: { required: false } };

describe('registry transparency log over HTTP', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  let url: string;
  let configDir: string;
  let pushedIndex: number;
  let rootDigest: string;

  beforeAll(async () => {
    configDir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-cfg-'));
    registry = await testRegistry();
    url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    // A public namespace: its entries are in the clear (tests/registry/log/private.test.ts covers sealed ones).
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme', public: true } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', { json: NO_SCAN });
    const model = await signedModel();
    const pushed = await pushModel(admin, model.dir, parseModelRef('acme/bert@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    pushedIndex = pushed.logIndex as number;
    rootDigest = pushed.rootDigest;
  });
  afterAll(async () => registry.app.close());

  it('logs namespace, policy and publish events and serves checkpoint, key, entries and proofs by their fixed paths', async () => {
    expect(pushedIndex).toBe(2);
    const key = parseVerifierKey(await (await fetch(`${url}/v1/log/key`)).text());
    const cpResponse = await fetch(`${url}/v1/log/checkpoint`);
    expect(cpResponse.headers.get('content-type')).toMatch(/^text\/plain/);
    const cp = verifyCheckpoint(await cpResponse.text(), key);
    expect(cp.size).toBe(3);
    const types: string[] = [];
    for (let i = 0; i < cp.size; i++) {
      const leaf = new Uint8Array(await (await fetch(`${url}/v1/log/entries/${i}`)).arrayBuffer());
      types.push(JSON.parse(Buffer.from(leaf).toString()).type);
      const { hashes } = (await (await fetch(`${url}/v1/log/proofs/inclusion?index=${i}&size=${cp.size}`)).json()) as {
        hashes: string[];
      };
      const proof = hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64')));
      expect(verifyInclusion(i, cp.size, hashLeaf(leaf), proof, cp.rootHash)).toBe(true);
    }
    expect(types).toEqual(['namespace', 'policy', 'publish']);
    const tile = await fetch(`${url}/v1/log/tile/0/000.p/3`);
    expect(tile.status).toBe(200);
    const tileBytes = Buffer.from(await tile.arrayBuffer());
    expect(tileBytes.length).toBe(3 * 32);
    expect((await fetch(`${url}/v1/log/tile/0/000`)).status).toBe(404);
    expect((await fetch(`${url}/v1/log/tile/0/bogus`)).status).toBe(400);
    expect((await fetch(`${url}/v1/log/entries/99`)).status).toBe(404);
    expect((await fetch(`${url}/v1/log/proofs/inclusion?index=5&size=3`)).status).toBe(400);
    expect((await fetch(`${url}/v1/log/proofs/consistency?from=x&to=3`)).status).toBe(400);
  });

  it('client: verifies inclusion of the version entry, pins the key on first use and proves consistency later', async () => {
    const first = await verifyLogInclusion(url, pushedIndex, { type: 'publish', namespace: 'acme', rootDigest }, { configDir });
    expect(first.keyTrust).toBe('first-use');
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'other', public: true } });
    const second = await verifyLogInclusion(url, pushedIndex, { model: 'bert', version: '1.0.0' }, { configDir });
    expect(second).toMatchObject({ keyTrust: 'known', consistentWith: 3, checkpoint: { size: 4 } });
    await expect(verifyLogInclusion(url, pushedIndex, { version: '2.0.0' }, { configDir })).rejects.toMatchObject({
      code: 'LOG_INCONSISTENT',
    });
    const replay = await replayLog(url, { configDir });
    expect(replay).toMatchObject({ size: 4, entries: { namespace: 2, policy: 1, publish: 1 }, problems: [] });
  });

  it('client: a pinned key file that differs from the served key is a loud LOG_KEY_MISMATCH', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'modelsec-key-'));
    const keyFile = path.join(other, 'log.pub');
    writeFileSync(keyFile, 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n');
    await expect(verifiedCheckpoint(url, { configDir, logKeyFile: keyFile })).rejects.toMatchObject({ code: 'LOG_KEY_MISMATCH' });
    writeFileSync(keyFile, await (await fetch(`${url}/v1/log/key`)).text());
    expect((await verifiedCheckpoint(url, { configDir, logKeyFile: keyFile })).keyTrust).toBe('pinned');
  });

  it('consistency proofs served for every pair of sizes verify', async () => {
    const key = parseVerifierKey(await (await fetch(`${url}/v1/log/key`)).text());
    const cp = verifyCheckpoint(await (await fetch(`${url}/v1/log/checkpoint`)).text(), key);
    const { hashes } = (await (await fetch(`${url}/v1/log/proofs/consistency?from=1&to=${cp.size}`)).json()) as {
      hashes: string[];
    };
    const leaf0 = new Uint8Array(await (await fetch(`${url}/v1/log/entries/0`)).arrayBuffer());
    const proof = hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64')));
    expect(verifyConsistency(1, cp.size, hashLeaf(leaf0), cp.rootHash, proof)).toBe(true);
  });

  it('a yank is logged in the same transaction and the version stays verifiable', async () => {
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    const before = await verifiedCheckpoint(url, { configDir });
    await admin.json('POST', '/v1/namespaces/acme/models/bert/versions/1.0.0/yank', { json: { reason: 'bad weights' } });
    const after = await verifiedCheckpoint(url, { configDir });
    expect(after.checkpoint.size).toBe(before.checkpoint.size + 1);
    expect(after.consistentWith).toBe(before.checkpoint.size);
    const leaf = await (await fetch(`${url}/v1/log/entries/${before.checkpoint.size}`)).json();
    expect(leaf).toMatchObject({
      type: 'yank',
      namespace: 'acme',
      model: 'bert',
      version: '1.0.0',
      rootDigest,
      reason: 'bad weights',
      v: 2,
    });
    const still = await verifyLogInclusion(url, pushedIndex, { type: 'publish', version: '1.0.0' }, { configDir });
    expect(still.index).toBe(pushedIndex);
  });
});

describe('registry log start-up check', () => {
  it('refuses to start when a stored leaf no longer matches the last signed checkpoint', async () => {
    const registry = await testRegistry();
    const admin = { authorization: `Bearer ${ADMIN}` };
    await registry.app.inject({ method: 'POST', url: '/v1/namespaces', headers: admin, payload: { name: 'acme' } });
    await registry.app.inject({ method: 'POST', url: '/v1/namespaces', headers: admin, payload: { name: 'beta' } });
    expect((await registry.app.inject({ method: 'GET', url: '/v1/log/checkpoint' })).body).toMatch(/\n2\n/);
    await registry.app.close();

    const again = await createRegistry({ dataDir: registry.dataDir, adminToken: ADMIN, scanner: null });
    await again.app.close();

    const dbFile = findSqlite(registry.dataDir);
    const db = new Database(dbFile);
    db.prepare('UPDATE log_leaves SET leaf = ? WHERE idx = 0').run(Buffer.from('{"namespace":"evil","type":"namespace"}'));
    db.close();
    await expect(createRegistry({ dataDir: registry.dataDir, adminToken: ADMIN, scanner: null })).rejects.toMatchObject({
      code: 'LOG_INCONSISTENT',
    });
  });
});

function findSqlite(dir: string): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.db') || f.endsWith('.sqlite') || f.endsWith('.sqlite3'));
  if (!file) throw new Error(`no SQLite file in ${dir}: ${readdirSync(dir).join(', ')}`);
  return path.join(dir, file);
}

describe('an existing data dir with format v1 leaves (the log is append-only)', () => {
  it('still opens, decodes the v1 entries, finds their versions and appends v2 entries after them', async () => {
    const registry = await testRegistry();
    await registry.app.close();
    // Leaves as the v1 registry wrote them (publish: no file sizes, no scan; the bundle among the attachments).
    const v1 = [
      { type: 'namespace', namespace: 'legacy', public: true, at: '2025-01-01T00:00:00.000Z', v: 1 },
      {
        type: 'publish',
        namespace: 'legacy',
        model: 'old',
        version: '0.1.0',
        rootDigest: 'a'.repeat(64),
        bundleDigest: 'b'.repeat(64),
        signer: { kind: 'key', keyFingerprint: 'c'.repeat(64) },
        attachments: [{ kind: 'bundle', digest: 'b'.repeat(64) }],
        files: [{ path: 'w.bin', digest: 'd'.repeat(64) }],
        at: '2025-01-01T00:00:00.000Z',
        v: 1,
      },
    ];
    const db = new Database(findSqlite(registry.dataDir));
    for (const [i, entry] of v1.entries())
      db.prepare('INSERT INTO log_leaves (idx, leaf) VALUES (?, ?)').run(i, Buffer.from(canonicalJson(entry)));
    db.prepare('INSERT INTO namespaces (name, public, created_at, created_by) VALUES (?, 1, ?, ?)').run(
      'legacy',
      '2025-01-01T00:00:00.000Z',
      'admin',
    );
    db.close();

    const again = await createRegistry({ dataDir: registry.dataDir, adminToken: ADMIN, scanner: null });
    try {
      const first = decodeLogEntry(new Uint8Array((await again.app.inject({ url: '/v1/log/entries/1' })).rawPayload));
      expect(first).toMatchObject({ type: 'publish', v: 1, files: [{ path: 'w.bin' }] });
      const lookup = await again.app.inject({ url: '/v1/log/lookup?namespace=legacy&model=old&version=0.1.0' });
      expect(lookup.json()).toEqual({ index: 1, sealed: false });
      const created = await again.app.inject({
        method: 'POST',
        url: '/v1/namespaces',
        headers: { authorization: `Bearer ${ADMIN}` },
        payload: { name: 'fresh', public: true },
      });
      expect(created.statusCode).toBe(201);
      const next = decodeLogEntry(new Uint8Array((await again.app.inject({ url: '/v1/log/entries/2' })).rawPayload));
      expect(next).toMatchObject({ type: 'namespace', namespace: 'fresh', v: 2 });
      expect((await again.app.inject({ url: '/v1/log/checkpoint' })).body.split('\n')[1]).toBe('3');
    } finally {
      await again.app.close();
    }
  });
});
