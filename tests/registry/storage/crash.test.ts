/**
 * kill -9 at every phase of a push (HEAD, upload, verification and scan, commit, log confirmation), with quotas and
 * garbage collection enabled (a sweep every second), then restart: nothing partial is visible, every stored blob
 * hashes to its name, and the transparency log and the store agree (one publish entry per published version).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeLogEntry } from '@modelsec/core';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, describe, expect, it } from 'vitest';
import { signedModel } from '../../../packages/registry/src/test-support.js';
import { killAllRegistries, type ServedRegistry, serveRegistry } from '../../helpers/registry-processes.js';

const TOKEN = 'msk_storage-crash-admin';
const auth = { authorization: `Bearer ${TOKEN}` };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
afterAll(() => killAllRegistries());

const STORAGE_ENV = {
  MODELSEC_REGISTRY_MAX_UPLOAD_SESSIONS: '8',
  MODELSEC_REGISTRY_MAX_BYTES_IN_FLIGHT: String(256 * 1024 * 1024),
  MODELSEC_REGISTRY_MAX_STORED_BYTES: String(1024 * 1024 * 1024),
  MODELSEC_REGISTRY_UPLOAD_EXPIRY_SECONDS: '600',
  MODELSEC_REGISTRY_GC_GRACE_SECONDS: '60',
  MODELSEC_REGISTRY_GC_INTERVAL_SECONDS: '1',
};

/** Kill delays after the push starts: before, during and after the upload, during the scan, around the commit. */
const KILL_AFTER_MS = [5, 60, 150, 300, 500, 700, 900, 1200];

async function checkInvariants(server: ServedRegistry, dataDir: string, attempted: string[]): Promise<string[]> {
  const published: string[] = [];
  for (const version of attempted) {
    const r = await fetch(`${server.url}/v1/namespaces/acme/models/crash/versions/${version}`, { headers: auth });
    expect([200, 404]).toContain(r.status);
    if (r.status !== 200) continue;
    published.push(version);
    const v = (await r.json()) as { files: { path: string; digest: string; size: number }[]; bundleDigest: string };
    for (const f of [...v.files, { path: 'bundle', digest: v.bundleDigest, size: -1 }]) {
      const blob = await fetch(`${server.url}/v1/namespaces/acme/blobs/${f.digest}`, { headers: auth });
      expect(blob.status, `${version} ${f.path}`).toBe(200);
      expect(sha(new Uint8Array(await blob.arrayBuffer()))).toBe(f.digest);
    }
  }
  // The log: namespace + policy + one publish entry per published version, nothing else.
  const checkpoint = await (await fetch(`${server.url}/v1/log/checkpoint`)).text();
  const size = Number(checkpoint.split('\n')[1]);
  const publishes: string[] = [];
  for (let i = 0; i < size; i++) {
    const entry = decodeLogEntry(new Uint8Array(await (await fetch(`${server.url}/v1/log/entries/${i}`)).arrayBuffer()));
    if (entry.type === 'publish') publishes.push(entry.version);
  }
  expect(size).toBe(2 + publishes.length);
  expect(publishes.sort()).toEqual([...published].sort());
  // Every stored blob is whole: it hashes to its name.
  const root = path.join(dataDir, 'blobs', 'sha256');
  for (const prefix of readdirSync(root))
    for (const name of readdirSync(path.join(root, prefix))) expect(sha(readFileSync(path.join(root, prefix, name)))).toBe(name);
  return published;
}

describe('registry killed at each phase of a push (quotas and garbage collection enabled)', () => {
  it('after each restart nothing partial is visible and the log and the store agree', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-storage-crash-'));
    let server = await serveRegistry(dataDir, { adminToken: TOKEN, env: STORAGE_ENV });
    const admin = new RegistryClient({ baseUrl: server.url, token: TOKEN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme', public: true } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { required: true, allowIncomplete: true } } });
    const attempted: string[] = [];
    const outcomes: string[] = [];
    try {
      for (const [i, delay] of KILL_AFTER_MS.entries()) {
        const version = `1.0.${i}`;
        attempted.push(version);
        const model = await signedModel({
          'config.json': `{"attempt":${i}}`,
          'weights.bin': randomBytes(12 * 1024 * 1024).toString('latin1'),
        });
        const client = new RegistryClient({ baseUrl: server.url, token: TOKEN });
        const push = pushModel(client, model.dir, parseModelRef(`acme/crash@${version}`), {
          signaturePath: model.signaturePath,
          publicKeyPem: model.key.publicKeyPem,
        }).then(
          () => 'published',
          (e: unknown) => `failed ${(e as { code?: string }).code}`,
        );
        await new Promise((r) => setTimeout(r, delay));
        await server.stop('SIGKILL');
        outcomes.push(await push);
        server = await serveRegistry(dataDir, { adminToken: TOKEN, env: STORAGE_ENV });
        const published = await checkInvariants(server, dataDir, attempted);
        // A push the client saw succeed is published (whatever the client did not see may or may not be).
        for (const [j, o] of outcomes.entries()) if (o === 'published') expect(published).toContain(`1.0.${j}`);
      }
      // After all the crashes (and sweeps), the namespace still takes a push: no quota is held by the dead ones.
      await new Promise((r) => setTimeout(r, 1500));
      const model = await signedModel({ 'config.json': '{"after":1}', 'weights.bin': 'after the crashes' });
      await pushModel(new RegistryClient({ baseUrl: server.url, token: TOKEN }), model.dir, parseModelRef('acme/crash@2.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      });
      await checkInvariants(server, dataDir, [...attempted, '2.0.0']);
    } finally {
      await server.stop();
    }
  }, 180_000);
});
