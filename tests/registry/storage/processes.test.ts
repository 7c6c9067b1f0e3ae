/**
 * Several registry processes, one store (issue 12): two `modelsec registry serve` processes on one PostgreSQL
 * schema and one data directory. An append held open on one process races the completion of the same upload on
 * the other: the lock lives in the database, so the completion is refused (REGISTRY_UPLOAD_LOCKED) instead of
 * renaming a file the append still writes into; what the registry scans and serves is exactly the signed content.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedModel } from '../../../packages/registry/src/test-support.js';
import {
  freshPostgresSchema,
  holdRequest,
  killAllRegistries,
  type ServedRegistry,
  serveRegistry,
} from '../../helpers/registry-processes.js';

const TOKEN = 'msk_storage-two-process-admin';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const auth = { authorization: `Bearer ${TOKEN}` };
afterAll(() => killAllRegistries());

describe('two registry processes on one PostgreSQL database and one data directory', () => {
  let a: ServedRegistry;
  let b: ServedRegistry;
  let dataDir: string;

  beforeAll(async () => {
    const databaseUrl = await freshPostgresSchema();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-storage-pg-'));
    a = await serveRegistry(dataDir, { databaseUrl, adminToken: TOKEN });
    b = await serveRegistry(dataDir, { databaseUrl, adminToken: TOKEN });
    const admin = new RegistryClient({ baseUrl: a.url, token: TOKEN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', {
      json: { scan: { required: true, maxSeverity: 'high', allowIncomplete: true } },
    });
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('an append held open on one process blocks completion on the other; the scanned content is the signed content', async () => {
    const weights = randomBytes(256 * 1024);
    const model = await signedModel({ 'config.json': '{"layers":1}', 'weights.bin': weights.toString('latin1') });
    const good = readFileSync(path.join(model.dir, 'weights.bin'));
    const digest = sha(good);

    // The attacker uploads the signed bytes on A, then holds an append of more bytes open on A.
    const started = await fetch(`${a.url}/v1/namespaces/acme/uploads`, { method: 'POST', headers: auth });
    const { id } = (await started.json()) as { id: string };
    const sessionOn = (s: ServedRegistry) => `${s.url}/v1/namespaces/acme/uploads/${id}`;
    const first = await fetch(sessionOn(a), {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/octet-stream', 'upload-offset': '0' },
      body: good,
    });
    expect(first.status).toBe(200);
    const tail = Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(64 * 1024)]);
    const held = await holdRequest(
      sessionOn(a),
      'PATCH',
      { ...auth, 'content-type': 'application/octet-stream', 'upload-offset': good.length },
      tail.length,
      tail.subarray(0, 1024),
    );
    await new Promise((r) => setTimeout(r, 300));

    // B finishes the upload with the digest of the signed bytes while A still writes: refused, nothing renamed.
    const racing = await fetch(`${sessionOn(b)}?digest=${digest}`, { method: 'PUT', headers: auth });
    expect(racing.status).toBe(409);
    expect(await racing.json()).toMatchObject({ error: { code: 'REGISTRY_UPLOAD_LOCKED', details: { upload: id } } });
    expect((await fetch(`${b.url}/v1/namespaces/acme/blobs/${digest}`, { method: 'HEAD', headers: auth })).status).toBe(404);

    // The held append completes; the session now holds more than the signed bytes and cannot finish as them.
    expect(await held.finish(tail.subarray(1024))).toMatchObject({ status: 200, body: { offset: good.length + tail.length } });
    const late = await fetch(`${sessionOn(b)}?digest=${digest}`, { method: 'PUT', headers: auth });
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: { code: 'DIGEST_MISMATCH' } });
    for (const s of [a, b])
      expect((await fetch(`${s.url}/v1/namespaces/acme/blobs/${digest}`, { method: 'HEAD', headers: auth })).status).toBe(404);

    // The honest push through B: what the registry stored, scanned and serves is what the signature covers.
    const client = new RegistryClient({ baseUrl: b.url, token: TOKEN });
    const pushed = await pushModel(client, model.dir, parseModelRef('acme/raced@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    expect(pushed.rootDigest).toBe(model.digest.rootDigest);
    const version = (await (
      await fetch(`${a.url}/v1/namespaces/acme/models/raced/versions/1.0.0`, { headers: auth })
    ).json()) as { attachments: { kind: string; digest: string }[] };
    const reportDigest = version.attachments.find((x) => x.kind === 'registry-scan')?.digest as string;
    const report = (await (await fetch(`${a.url}/v1/namespaces/acme/blobs/${reportDigest}`, { headers: auth })).json()) as {
      files: { path: string; size: number; sha256: string }[];
    };
    expect(report.files.find((f) => f.path === 'weights.bin')).toMatchObject({ size: good.length, sha256: digest });
    for (const s of [a, b]) {
      const served = Buffer.from(
        await (await fetch(`${s.url}/v1/namespaces/acme/blobs/${digest}`, { headers: auth })).arrayBuffer(),
      );
      expect(served.equals(good)).toBe(true);
    }
    const stored = readFileSync(path.join(dataDir, 'blobs', 'sha256', digest.slice(0, 2), digest));
    expect(sha(stored)).toBe(digest);
    // Each live process keeps its own temp directory; neither removed the other's.
    expect(readdirSync(path.join(dataDir, 'tmp'))).toHaveLength(2);
  }, 120_000);
});
