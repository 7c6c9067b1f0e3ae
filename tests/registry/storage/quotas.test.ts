/**
 * Storage exhaustion (issue 12), over HTTP with two namespaces and real tokens: per-namespace quotas on upload
 * sessions, bytes in flight and stored bytes (REGISTRY_QUOTA_EXCEEDED, the other namespace unaffected), upload
 * session expiry (REGISTRY_UPLOAD_EXPIRED, staged bytes removed), and garbage collection of unreferenced blobs after
 * the grace period, safe against a push in flight.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '@modelsec/core';
import { parseModelRef, pullModel, pushModel, RegistryClient, type RegistryScanner } from '@modelsec/registry';
import { describe, expect, it } from 'vitest';
import { ADMIN, signedModel, tempDir, testRegistry } from '../../../packages/registry/src/test-support.js';

const HOUR = 60 * 60 * 1000;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A storage clock the test moves forward. */
function movableClock(): Clock & { advance(ms: number): void } {
  let t = Date.now();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

async function setup(extra: Parameters<typeof testRegistry>[0] = {}) {
  const clock = movableClock();
  const registry = await testRegistry({
    storageClock: clock,
    storage: {
      maxUploadSessions: 2,
      maxBytesInFlight: 4000,
      maxStoredBytes: 8000,
      uploadSessionExpiryMs: HOUR,
      gcGraceMs: 2 * HOUR,
      gcIntervalMs: 0,
    },
    ...extra,
  });
  const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
  const tokens: Record<string, string> = {};
  for (const ns of ['acme', 'beta']) {
    await admin.json('POST', '/v1/namespaces', { json: { name: ns } });
    await admin.json('PUT', `/v1/namespaces/${ns}/policy`, { json: { scan: { required: false } } });
    tokens[ns] = (await admin.json<{ token: string }>('POST', `/v1/namespaces/${ns}/tokens`, { json: { scope: 'push' } })).token;
  }
  const call = async (ns: string, method: string, rest: string, body?: Uint8Array, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/v1/namespaces/${ns}${rest}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[ns]}`,
        ...(body ? { 'content-type': 'application/octet-stream' } : {}),
        ...headers,
      },
      ...(body ? { body } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : {}) as { id: string; offset: number; error?: { code: string } },
    };
  };
  const startSession = async (ns: string) => call(ns, 'POST', '/uploads');
  const append = async (ns: string, id: string, offset: number, bytes: Uint8Array) =>
    call(ns, 'PATCH', `/uploads/${id}`, bytes, { 'upload-offset': String(offset) });
  const client = (ns: string) => new RegistryClient({ baseUrl: url, token: tokens[ns] as string });
  return { registry, clock, url, call, startSession, append, client };
}

describe('per-namespace storage quotas', () => {
  it('counts upload sessions, bytes in flight and stored bytes per namespace', async () => {
    const { registry, call, startSession, append } = await setup();
    try {
      const a1 = await startSession('acme');
      const a2 = await startSession('acme');
      expect([a1.status, a2.status]).toEqual([201, 201]);
      const a3 = await startSession('acme');
      expect(a3).toMatchObject({
        status: 429,
        body: { error: { code: 'REGISTRY_QUOTA_EXCEEDED', details: { namespace: 'acme', quota: 'upload sessions', limit: 2 } } },
      });
      // The other tenant is not affected.
      const b1 = await startSession('beta');
      expect(b1.status).toBe(201);

      // Bytes in flight: 3000 staged in one session leave 1000 for every other session of the namespace.
      expect((await append('acme', a1.body.id, 0, randomBytes(3000))).status).toBe(200);
      const over = await append('acme', a2.body.id, 0, randomBytes(1100));
      expect(over).toMatchObject({
        status: 429,
        body: { error: { code: 'REGISTRY_QUOTA_EXCEEDED', details: { quota: 'bytes in flight', limit: 4000, used: 3000 } } },
      });
      expect((await call('acme', 'GET', `/uploads/${a2.body.id}`)).body.offset).toBe(0);
      expect((await append('acme', a2.body.id, 0, randomBytes(1000))).status).toBe(200);
      expect((await append('beta', b1.body.id, 0, randomBytes(900))).status).toBe(200);

      // Stored bytes: what a namespace uploads counts (with its bytes in flight) up to the quota, for it only.
      for (let i = 0; i < 2; i++) {
        const blob = randomBytes(2500);
        expect((await call('beta', 'PUT', `/blobs/${sha(blob)}`, blob)).status).toBe(201);
      }
      const blob = randomBytes(2500);
      expect(await call('beta', 'PUT', `/blobs/${sha(blob)}`, blob)).toMatchObject({
        status: 429,
        body: { error: { code: 'REGISTRY_QUOTA_EXCEEDED', details: { quota: 'stored bytes', limit: 8000, used: 5900 } } },
      });
      expect((await call('acme', 'PUT', `/blobs/${sha(blob)}`, blob)).status).toBe(201);
      expect(await registry.blobs.has(sha(blob))).toBe(true);
    } finally {
      await registry.app.close();
    }
  });

  it('refuses a push that would take the namespace past its stored bytes (blobs another tenant uploaded count too)', async () => {
    const { registry, call, client } = await setup();
    try {
      const weights = randomBytes(3000).toString('hex'); // 6000 bytes
      const model = await signedModel({ 'config.json': '{}', 'weights.bin': weights });
      // beta stores the weights (within its quota); acme already stores 3000 bytes of its own.
      const stored = Buffer.from(weights, 'utf8');
      expect((await call('beta', 'PUT', `/blobs/${sha(stored)}`, stored)).status).toBe(201);
      const own = randomBytes(3000);
      expect((await call('acme', 'PUT', `/blobs/${sha(own)}`, own)).status).toBe(201);
      // acme's push finds the weights stored (no upload), but referencing them takes acme past 8000 bytes.
      const refused = await pushModel(client('acme'), model.dir, parseModelRef('acme/big@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'REGISTRY_QUOTA_EXCEEDED', details: { namespace: 'acme', quota: 'stored bytes' } });
      expect(await registry.store.listVersions({ namespace: 'acme' })).toEqual([]);
      // beta, within its quota, publishes the same model.
      await pushModel(client('beta'), model.dir, parseModelRef('beta/big@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      });
    } finally {
      await registry.app.close();
    }
  });
});

describe('upload session expiry', () => {
  it('an idle session expires: REGISTRY_UPLOAD_EXPIRED, its staged bytes removed, its quota slot freed', async () => {
    const { registry, clock, call, startSession, append } = await setup();
    try {
      const s1 = await startSession('acme');
      await startSession('acme');
      expect((await append('acme', s1.body.id, 0, randomBytes(100))).status).toBe(200);
      const staged = path.join(registry.dataDir, 'uploads', s1.body.id);
      expect(existsSync(staged)).toBe(true);
      clock.advance(HOUR / 2);
      expect((await append('acme', s1.body.id, 100, randomBytes(10))).status).toBe(200); // activity: not idle
      clock.advance(HOUR / 2 + 1000);
      // The first session was active 30 minutes ago; the second never since its start an hour ago.
      expect((await startSession('acme')).status).toBe(201);
      clock.advance(HOUR);
      const expired = await call('acme', 'GET', `/uploads/${s1.body.id}`);
      expect(expired).toMatchObject({ status: 410, body: { error: { code: 'REGISTRY_UPLOAD_EXPIRED' } } });
      expect(existsSync(staged)).toBe(false);
      expect((await call('acme', 'GET', `/uploads/${s1.body.id}`)).status).toBe(404);
      // The sweep removes the others once idle; the namespace can open sessions again.
      clock.advance(1000);
      expect((await registry.housekeeping.sweep()).expiredUploads).toBe(2);
      expect(readdirSync(path.join(registry.dataDir, 'uploads'))).toEqual([]);
      expect((await startSession('acme')).status).toBe(201);
    } finally {
      await registry.app.close();
    }
  });
});

/** The default scanner, made to wait at the gate: holds a push in flight between its verification and its commit. */
function gatedScanner(): RegistryScanner & { entered: Promise<void>; release(): void } {
  let release = () => {};
  let entered = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const enteredPromise = new Promise<void>((r) => {
    entered = r;
  });
  return {
    name: 'gated',
    entered: enteredPromise,
    release: () => release(),
    async scan(files) {
      entered();
      await gate;
      return {
        status: 'scanned',
        maxSeverity: null,
        findings: 0,
        incomplete: 0,
        files: files.map((f) => ({ path: f.path, verdict: 'clean', maxSeverity: null, rules: [], errors: 0 })),
        scanner: 'gated',
      };
    },
  };
}

describe('garbage collection of unreferenced blobs', () => {
  it('collects blobs no version references after the grace period; referenced ones stay and pull', async () => {
    const { registry, clock, call, client } = await setup();
    try {
      const model = await signedModel({ 'config.json': '{"kept":1}', 'weights.bin': 'kept weights' });
      await pushModel(client('acme'), model.dir, parseModelRef('acme/kept@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      });
      const orphan = randomBytes(700);
      expect((await call('acme', 'PUT', `/blobs/${sha(orphan)}`, orphan)).status).toBe(201);
      // A blob file without a record (a crash between the two): recorded by the sweep, then collected like others.
      const unrecorded = randomBytes(300);
      await registry.blobs.put(sha(unrecorded), unrecorded);
      // Within the grace period nothing is collected; a HEAD (a client about to reuse it) counts as use.
      clock.advance(HOUR);
      expect(await registry.housekeeping.sweep()).toMatchObject({ collectedBlobs: 0, adoptedBlobs: 1 });
      expect((await call('acme', 'HEAD', `/blobs/${sha(orphan)}`)).status).toBe(200);
      clock.advance(HOUR + 1000);
      // The HEAD an hour ago keeps the orphan (the unrecorded file, never claimed, may go now or at the next sweep).
      const middle = await registry.housekeeping.sweep();
      expect(await registry.blobs.has(sha(orphan))).toBe(true);
      clock.advance(HOUR + 1000);
      const report = await registry.housekeeping.sweep();
      expect(middle.collectedBlobs + report.collectedBlobs).toBe(2);
      expect(middle.collectedBytes + report.collectedBytes).toBe(orphan.length + unrecorded.length);
      expect(await registry.blobs.has(sha(unrecorded))).toBe(false);
      expect((await call('acme', 'HEAD', `/blobs/${sha(orphan)}`)).status).toBe(404);
      expect(existsSync(path.join(registry.dataDir, 'blobs', 'sha256', sha(orphan).slice(0, 2), sha(orphan)))).toBe(false);
      // The stored-bytes quota no longer counts it; the published version is intact.
      const out = path.join(tempDir(), 'pulled');
      await pullModel(client('acme'), parseModelRef('acme/kept@1.0.0'), out, {
        configDir: tempDir('modelsec-cfg-'),
        cliSigners: [{ publicKey: model.key.publicKeyPem }],
      });
      // pull writes the log evidence (model.tlog.json) beside the signed files.
      expect(readdirSync(out).sort()).toEqual(['config.json', 'model.sig', 'model.tlog.json', 'weights.bin'].sort());
    } finally {
      await registry.app.close();
    }
  });

  it('never collects the blobs of a push in flight: a sweep during its scan leaves them, and it publishes', async () => {
    const scanner = gatedScanner();
    const { registry, clock, client } = await setup({ scanner });
    try {
      const model = await signedModel({ 'config.json': '{"late":1}', 'weights.bin': 'weights pushed late' });
      const acme = client('acme');
      const push = pushModel(acme, model.dir, parseModelRef('acme/late@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      });
      await scanner.entered;
      // The push is verified and held in its scan; its blobs' uploads are now past the grace period, unreferenced:
      // only the push's pins hold them.
      clock.advance(3 * HOUR);
      const during = await registry.housekeeping.sweep();
      expect(during.collectedBlobs).toBe(0);
      expect(during.staleClaims).toBeGreaterThan(0);
      scanner.release();
      await expect(push).resolves.toMatchObject({ rootDigest: model.digest.rootDigest });
      clock.advance(3 * HOUR);
      // Referenced now: never collected, however old.
      expect((await registry.housekeeping.sweep()).collectedBlobs).toBe(0);
      for (const r of model.digest.resources) expect(await registry.blobs.has(r.digest)).toBe(true);
    } finally {
      scanner.release();
      await registry.app.close();
    }
  });
});
