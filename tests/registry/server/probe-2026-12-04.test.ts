/**
 * Third adversarial pass on the registry server (issue 12), over real HTTP on 127.0.0.1 with two private namespaces
 * (acme, beta), a public one (open) and real tokens (tests/helpers/two-tenants.ts). Each describe is one class that
 * gave way before this pass: the attack is refused with a stable code (or answers what an honest caller gets), and
 * the honest control passes.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { parseModelRef, pushModel } from '@modelsec/registry';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LIST_ROWS } from '../../../packages/registry/src/routes/version-view.js';
import { checkStorageLimits, DEFAULT_STORAGE_LIMITS, storageLimitsFrom } from '../../../packages/registry/src/storage/limits.js';
import { ADMIN, signedModel } from '../../../packages/registry/src/test-support.js';
import { freshPostgresSchema } from '../../helpers/registry-processes.js';
import { closeServer, type Tenants, twoTenants } from '../../helpers/two-tenants.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

type AuditPage = { entries: { id: number; actor: string; action: string; target: string; outcome: string }[] };

describe('refusals of a valid token are rate-limited per token (a push token hammering another namespace)', () => {
  let t: Tenants;
  let clockMs = Date.parse('2026-04-01T00:00:00Z');
  const clock = { now: () => new Date(clockMs) };
  const PER_WINDOW = 25;
  beforeAll(async () => {
    t = await twoTenants({ clock, tokenRefusalLimits: { perWindow: PER_WINDOW, windowMs: 60_000 } });
  });
  afterAll(async () => closeServer(t));
  const audit = async (query: string) => (await (await t.call('GET', `/v1/audit?${query}`, ADMIN)).json()) as AuditPage;

  it("403s on beta and 404 probes of beta's names count; past the limit 429 RATE_LIMITED, one audit row, no more rows", async () => {
    const token = t.tokens['acme:push'] as string;
    const before = (await audit('limit=1000')).entries.length;
    const statuses: number[] = [];
    // Cross-tenant probing with a valid token: writes and reads on beta (403), and log lookups of beta's names (404).
    for (let i = 0; i < PER_WINDOW + 40; i++) {
      const probe =
        i % 3 === 0
          ? t.call('POST', '/v1/namespaces/beta/uploads', token)
          : i % 3 === 1
            ? t.call('GET', `/v1/namespaces/beta/models/m${i}/versions/1.0.0`, token)
            : t.call('GET', `/v1/log/lookup?namespace=beta&model=m${i}&version=1.0.0`, token);
      statuses.push((await probe).status);
    }
    expect(new Set(statuses.slice(0, PER_WINDOW))).toEqual(new Set([403, 404]));
    expect(new Set(statuses.slice(PER_WINDOW))).toEqual(new Set([429]));
    // Every request of that token is answered 429 now, its own namespace too; Retry-After says when.
    const limited = await t.call('POST', '/v1/namespaces/acme/uploads', token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    // The audit log grew by the audited refusals (the 403s on audited routes) and one row saying the limit tripped.
    const rows = (await audit('limit=1000')).entries;
    const added = rows.slice(0, rows.length - before);
    expect(added.filter((e) => e.action === 'rate-limit.token')).toHaveLength(1);
    expect(added.length).toBeLessThanOrEqual(PER_WINDOW + 1);
    expect(added.find((e) => e.action === 'rate-limit.token')).toMatchObject({ outcome: 'refused', target: 'acme' });
    // Other tokens of the same namespace and address, and the registry admin, are not affected.
    expect((await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['acme:admin'])).status).toBe(201);
    expect((await t.call('POST', '/v1/namespaces/beta/uploads', t.tokens['beta:push'])).status).toBe(201);
    for (let i = 0; i < PER_WINDOW + 5; i++)
      expect((await t.call('GET', `/v1/namespaces/acme/models/none${i}/versions/1.0.0`, ADMIN)).status).toBe(404);
    // The next window: the token works again.
    clockMs += 61_000;
    expect((await t.call('POST', '/v1/namespaces/acme/uploads', token)).status).toBe(201);
  });

  it("control: 404s of the token's own namespace (a CI job asking whether its version exists) are not counted", async () => {
    clockMs += 61_000;
    const token = t.tokens['acme:read'] as string;
    for (let i = 0; i < 3 * PER_WINDOW; i++)
      expect((await t.call('GET', `/v1/namespaces/acme/models/m/versions/9.9.${i}`, token)).status).toBe(404);
    expect((await t.call('GET', '/v1/namespaces/acme/models', token)).status).toBe(200);
  });

  it('limits are validated: a zero or fractional limit is INVALID_CONFIG', async () => {
    await expect(twoTenants({ tokenRefusalLimits: { perWindow: 0 } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(twoTenants({ anonymousRefusalLimits: { windowMs: 1.5 } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe.each([
  ['SQLite', async () => ({})],
  ['PostgreSQL', async () => ({ databaseUrl: await freshPostgresSchema() })],
])('garbage collection racing a re-upload of the same digest (%s)', (_driver, database) => {
  let t: Tenants;
  const GRACE_MS = 60_000;
  let storageMs = Date.now();
  const storageClock = { now: () => new Date(storageMs) };
  afterEach(async () => {
    if (t) await closeServer(t);
    t = undefined as unknown as Tenants;
  });

  /**
   * A registry whose blob store runs one sweep (past the grace period) right after an upload found the digest
   * already stored: the interleaving where the upload keeps the stored copy as its own and the collector takes it.
   */
  async function racing() {
    storageMs = Date.now();
    t = await twoTenants({ ...(await database()), storageClock, storage: { gcGraceMs: GRACE_MS, gcIntervalMs: 0 } });
    const blobs = t.registry.blobs as unknown as { intact(digest: string): Promise<boolean | undefined> };
    const intact = blobs.intact.bind(blobs);
    const sweeps: { collectedBlobs: number }[] = [];
    let armed = false;
    blobs.intact = async (digest) => {
      const found = await intact(digest);
      if (armed) {
        armed = false;
        sweeps.push(await t.registry.housekeeping.sweep());
      }
      return found;
    };
    return {
      sweeps,
      /** The next upload's dedupe check is followed by a sweep that sees the blob unreferenced past its grace. */
      arm: () => {
        storageMs += 3 * GRACE_MS;
        armed = true;
      },
    };
  }

  async function stored(digest: string): Promise<boolean> {
    return (await t.registry.blobs.size(digest)) !== undefined && (await t.registry.store.getBlobRecord(digest)) !== undefined;
  }

  it('a whole-blob PUT that succeeds leaves the bytes and their record stored, readable to the uploader', async () => {
    const { sweeps, arm } = await racing();
    const bytes = Buffer.from('an unreferenced blob uploaded again while it is being collected (PUT)');
    const digest = sha(bytes);
    expect((await t.call('PUT', `/v1/namespaces/acme/blobs/${digest}`, t.tokens['acme:push'], bytes)).status).toBe(201);
    arm();
    const again = await t.call('PUT', `/v1/namespaces/acme/blobs/${digest}`, t.tokens['acme:push'], bytes);
    expect(again.status).toBeLessThan(300);
    expect(sweeps).toHaveLength(1);
    expect(await stored(digest)).toBe(true);
    expect((await t.call('HEAD', `/v1/namespaces/acme/blobs/${digest}`, t.tokens['acme:push'])).status).toBe(200);
    const got = await t.call('GET', `/v1/namespaces/acme/blobs/${digest}`, t.tokens['acme:push']);
    expect([got.status, Buffer.from(await got.arrayBuffer()).equals(bytes)]).toEqual([200, true]);
    // Control: without an upload in flight the same blob is collected after its grace period.
    storageMs += 3 * GRACE_MS;
    expect((await t.registry.housekeeping.sweep()).collectedBlobs).toBe(1);
    expect(await stored(digest)).toBe(false);
  });

  it('a push whose blobs pass their grace period while it is verified publishes, and keeps every blob', async () => {
    await racing();
    const blobs = t.registry.blobs as unknown as { get: (digest: string, range?: unknown) => Promise<unknown> };
    const get = blobs.get.bind(blobs);
    const sweeps: { collectedBlobs: number; staleClaims: number }[] = [];
    let armed = true;
    blobs.get = async (digest, range) => {
      if (armed) {
        armed = false;
        storageMs += 3 * GRACE_MS;
        sweeps.push(await t.registry.housekeeping.sweep());
      }
      return get(digest, range);
    };
    const model = await signedModel({ 'config.json': '{"race":1}', 'weights.bin': 'weights verified while a sweep runs' });
    const pushed = await pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/race@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    expect(pushed).toMatchObject({ rootDigest: model.digest.rootDigest });
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toMatchObject({ collectedBlobs: 0 });
    expect(sweeps[0]?.staleClaims).toBeGreaterThan(0);
    storageMs += 3 * GRACE_MS;
    expect((await t.registry.housekeeping.sweep()).collectedBlobs).toBe(0);
    for (const r of model.digest.resources) expect(await stored(r.digest)).toBe(true);
  });

  it('an upload session finished with the digest of a blob being collected leaves it stored', async () => {
    const { sweeps, arm } = await racing();
    const bytes = Buffer.from('an unreferenced blob uploaded again while it is being collected (session)');
    const digest = sha(bytes);
    expect((await t.call('PUT', `/v1/namespaces/beta/blobs/${digest}`, t.tokens['beta:push'], bytes)).status).toBe(201);
    const session = (await (await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['acme:push'])).json()) as { id: string };
    await t.call('PATCH', `/v1/namespaces/acme/uploads/${session.id}`, t.tokens['acme:push'], bytes, { 'upload-offset': '0' });
    arm();
    const finished = await t.call('PUT', `/v1/namespaces/acme/uploads/${session.id}?digest=${digest}`, t.tokens['acme:push']);
    expect(finished.status).toBe(201);
    expect(sweeps).toHaveLength(1);
    expect(await stored(digest)).toBe(true);
    const got = await t.call('GET', `/v1/namespaces/acme/blobs/${digest}`, t.tokens['acme:push']);
    expect([got.status, Buffer.from(await got.arrayBuffer()).equals(bytes)]).toEqual([200, true]);
  });
});

describe('metadata counts in quotas: models, versions, manifest and policy bytes, policy history, tokens, blobs', () => {
  let t: Tenants;
  const push = (ns: string, model: string, version: string, files: Record<string, string>) =>
    signedModel(files).then((m) =>
      pushModel(t.client(ns, 'push'), m.dir, parseModelRef(`${ns}/${model}@${version}`), {
        signaturePath: m.signaturePath,
        publicKeyPem: m.key.publicKeyPem,
      }),
    );
  const quotaOf = async (p: Promise<unknown>) => {
    const error = (await p.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string; details?: { quota?: string; namespace?: string } } | undefined;
    return [error?.code, error?.details?.quota];
  };
  afterEach(async () => {
    if (t) await closeServer(t);
    t = undefined as unknown as Tenants;
  });

  it('versions per model, models and versions per namespace: REGISTRY_QUOTA_EXCEEDED naming the quota; beta unaffected', async () => {
    t = await twoTenants({ storage: { maxModels: 2, maxVersionsPerModel: 2, maxVersions: 3 } });
    await push('acme', 'm1', '1.0.0', { 'w.bin': 'm1 one' });
    await push('acme', 'm1', '1.0.1', { 'w.bin': 'm1 two' });
    expect(await quotaOf(push('acme', 'm1', '1.0.2', { 'w.bin': 'm1 three' }))).toEqual([
      'REGISTRY_QUOTA_EXCEEDED',
      "versions of model 'm1'",
    ]);
    await push('acme', 'm2', '1.0.0', { 'w.bin': 'm2 one' });
    expect(await quotaOf(push('acme', 'm3', '1.0.0', { 'w.bin': 'm3 one' }))).toEqual(['REGISTRY_QUOTA_EXCEEDED', 'models']);
    expect(await quotaOf(push('acme', 'm2', '1.0.1', { 'w.bin': 'm2 two' }))).toEqual(['REGISTRY_QUOTA_EXCEEDED', 'versions']);
    // Nothing of the refused pushes is stored or logged; another namespace has its own quota.
    const versions = (await (await t.call('GET', '/v1/versions?namespace=acme', ADMIN)).json()) as { versions: unknown[] };
    expect(versions.versions).toHaveLength(3);
    await push('beta', 'm1', '1.0.0', { 'w.bin': 'beta m1' });
    await push('beta', 'm1', '1.0.1', { 'w.bin': 'beta m1 two' });
  });

  it('policy history and tokens per namespace are bounded; a refused write adds no row', async () => {
    // twoTenants set one policy version and three tokens per namespace.
    t = await twoTenants({ storage: { maxPolicyVersions: 2, maxTokens: 4 } });
    const admin = t.tokens['acme:admin'] as string;
    expect((await t.call('PUT', '/v1/namespaces/acme/policy', admin, { scan: { required: false } })).status).toBe(200);
    const third = await t.answer(await t.call('PUT', '/v1/namespaces/acme/policy', admin, { scan: { required: true } }));
    expect([third.status, third.body.error.code, third.body.error.details.quota]).toEqual([
      429,
      'REGISTRY_QUOTA_EXCEEDED',
      'policy versions',
    ]);
    const history = (await (await t.call('GET', '/v1/namespaces/acme/policy/history', admin)).json()) as { history: unknown[] };
    expect(history.history).toHaveLength(2);
    expect((await t.call('POST', '/v1/namespaces/acme/tokens', admin, { scope: 'read' })).status).toBe(201);
    const fifth = await t.answer(await t.call('POST', '/v1/namespaces/acme/tokens', admin, { scope: 'read' }));
    expect([fifth.body.error.code, fifth.body.error.details.quota]).toEqual(['REGISTRY_QUOTA_EXCEEDED', 'tokens']);
    const tokens = (await (await t.call('GET', '/v1/namespaces/acme/tokens', admin)).json()) as { tokens: unknown[] };
    expect(tokens.tokens).toHaveLength(4);
    // A policy document past MAX_POLICY_DOCUMENT_BYTES is refused before it is parsed.
    const huge = {
      scan: { required: false },
      licenses: { allowed: Array.from({ length: 20_000 }, (_, i) => `LIC-${i}-XXXXXXXX`) },
    };
    const big = await t.answer(await t.call('PUT', '/v1/namespaces/beta/policy', t.tokens['beta:admin'], huge));
    expect([big.status, big.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('the policy history answers in pages (it could be maxPolicyVersions x 256 KiB in one response)', async () => {
    t = await twoTenants();
    const admin = t.tokens['acme:admin'] as string;
    for (let i = 0; i < 150; i++)
      expect((await t.call('PUT', '/v1/namespaces/acme/policy', admin, { scan: { required: i % 2 === 0 } })).status).toBe(200);
    type History = { history: { version: number }[]; next: string | null };
    const first = (await (await t.call('GET', '/v1/namespaces/acme/policy/history', admin)).json()) as History;
    expect(first.history.map((h) => h.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(first.next).toBe('100');
    const rest = (await (await t.call('GET', `/v1/namespaces/acme/policy/history?after=${first.next}`, admin)).json()) as History;
    expect(rest.history.map((h) => h.version)).toEqual(Array.from({ length: 51 }, (_, i) => i + 101));
    expect(rest.next).toBeNull();
  });

  it('manifest and policy bytes count to the metadata bytes quota', async () => {
    t = await twoTenants({ storage: { maxMetadataBytes: 200 } });
    expect(await quotaOf(push('acme', 'm', '1.0.0', { 'w.bin': 'a manifest of more than 200 bytes' }))).toEqual([
      'REGISTRY_QUOTA_EXCEEDED',
      'metadata bytes',
    ]);
    const allowed = Array.from({ length: 20 }, (_, i) => `LicenseRef-${i}`); // about 300 bytes of policy
    const policy = { scan: { required: false }, licenses: { allowed } };
    const r = await t.answer(await t.call('PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], policy));
    expect([r.body.error?.code, r.body.error?.details.quota]).toEqual(['REGISTRY_QUOTA_EXCEEDED', 'metadata bytes']);
  });

  it('lineage edges one version indexes are bounded (an ML-BOM of 16 MiB could name hundreds of thousands)', async () => {
    t = await twoTenants({ storage: { maxLineageEdges: 1 } });
    const bom = (datasets: boolean) => ({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      metadata: {
        component: {
          type: 'machine-learning-model',
          'bom-ref': 'model',
          name: 'derived',
          pedigree: {
            ancestors: [{ type: 'machine-learning-model', name: 'base', hashes: [{ alg: 'SHA-256', content: 'b'.repeat(64) }] }],
          },
          ...(datasets ? { modelCard: { modelParameters: { datasets: [{ ref: 'ds' }] } } } : {}),
        },
      },
      components: datasets
        ? [{ type: 'data', 'bom-ref': 'ds', name: 'set', hashes: [{ alg: 'SHA-256', content: 'd'.repeat(64) }] }]
        : [],
    });
    const pushWithBom = async (version: string, datasets: boolean) => {
      const m = await signedModel({ 'w.bin': `weights ${version}` });
      const bomPath = path.join(m.dir, '..', `bom-${version}.json`);
      writeFileSync(bomPath, JSON.stringify(bom(datasets)));
      return pushModel(t.client('acme', 'push'), m.dir, parseModelRef(`acme/derived@${version}`), {
        signaturePath: m.signaturePath,
        publicKeyPem: m.key.publicKeyPem,
        bomPath,
      });
    };
    expect(await quotaOf(pushWithBom('1.0.0', true))).toEqual(['REGISTRY_QUOTA_EXCEEDED', 'lineage edges per version']);
    await expect(pushWithBom('1.0.1', false)).resolves.toMatchObject({ version: '1.0.1' });
  });

  it('each metadata limit is configurable by file key and environment, and checked', () => {
    expect(storageLimitsFrom({ maxModels: 7, maxTokens: '9' }, { MODELSEC_REGISTRY_MAX_BLOBS: '11' })).toEqual({
      maxModels: 7,
      maxTokens: 9,
      maxBlobs: 11,
    });
    expect(() => checkStorageLimits({ ...DEFAULT_STORAGE_LIMITS, maxVersionsPerModel: MAX_LIST_ROWS + 1 })).toThrow(
      /maxVersionsPerModel/,
    );
    expect(() => checkStorageLimits({ ...DEFAULT_STORAGE_LIMITS, maxMetadataBytes: 0 })).toThrow(/maxMetadataBytes/);
  });

  it('distinct blobs per namespace are bounded (one-byte blobs would dodge the byte quota); held bytes re-upload', async () => {
    t = await twoTenants({ storage: { maxBlobs: 3 } });
    const token = t.tokens['acme:push'] as string;
    for (const b of ['a', 'b', 'c'])
      expect((await t.call('PUT', `/v1/namespaces/acme/blobs/${sha(b)}`, token, Buffer.from(b))).status).toBe(201);
    const fourth = await t.answer(await t.call('PUT', `/v1/namespaces/acme/blobs/${sha('d')}`, token, Buffer.from('d')));
    expect([fourth.body.error.code, fourth.body.error.details.quota]).toEqual(['REGISTRY_QUOTA_EXCEEDED', 'blobs']);
    const session = await t.answer(await t.call('POST', '/v1/namespaces/acme/uploads', token));
    expect([session.body.error.code, session.body.error.details.quota]).toEqual(['REGISTRY_QUOTA_EXCEEDED', 'blobs']);
    // Bytes the namespace holds already add no row: uploading them again is answered as before.
    expect((await t.call('PUT', `/v1/namespaces/acme/blobs/${sha('a')}`, token, Buffer.from('a'))).status).toBe(200);
    expect((await t.call('PUT', `/v1/namespaces/beta/blobs/${sha('d')}`, t.tokens['beta:push'], Buffer.from('d'))).status).toBe(
      201,
    );
  });
});

describe('slow request bodies cannot hold connections: anonymous writes refused before the body, JSON bodies have a deadline', () => {
  let t: Tenants;
  const DEADLINE_MS = 400;
  beforeAll(async () => {
    t = await twoTenants({ jsonBodyReceiveMs: DEADLINE_MS });
  });
  afterAll(async () => closeServer(t));

  /** Sends the head and the first bytes of a body promising `length`, then nothing; resolves with what came back. */
  function trickle(method: string, route: string, token: string | undefined, length: number, first: string, type: string) {
    const { hostname, port } = new URL(t.url);
    return new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
      const started = Date.now();
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `${method} ${route} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: ${type}\r\ncontent-length: ${length}\r\n` +
            `${token ? `authorization: Bearer ${token}\r\n` : ''}\r\n${first}`,
        );
      });
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
      setTimeout(() => socket.destroy(), 10_000).unref();
    });
  }

  it('an anonymous write with a 4 MiB body promised and 10 bytes sent is answered 401 at once and the connection closed', async () => {
    const r = await trickle('POST', '/v1/namespaces', undefined, 4 * 1024 * 1024 - 1, '{"name":"x', 'application/json');
    expect(r.answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(r.answer).toContain('"UNAUTHENTICATED"');
    expect(r.closedAfterMs).toBeLessThan(DEADLINE_MS * 5);
    const patch = await trickle(
      'PATCH',
      `/v1/namespaces/acme/uploads/${'0'.repeat(32)}`,
      undefined,
      1 << 20,
      'ab',
      'application/octet-stream',
    );
    expect(patch.answer).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('a token holder trickling a JSON body is answered LIMIT_EXCEEDED after the deadline, connection closed', async () => {
    const r = await trickle('PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], 1000, '{"scan":', 'application/json');
    expect(r.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.answer).toContain('MAX_JSON_BODY_RECEIVE_MS');
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(r.closedAfterMs).toBeLessThan(DEADLINE_MS * 10);
    // Control: a whole body is answered as usual.
    expect(
      (await t.call('PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], { scan: { required: false } })).status,
    ).toBe(200);
  });
});

describe('a policy change during a push applies to it: the push commits only under the policy it was verified against', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  it('the namespace admin requires a scan while a push is verified: the push is refused (CONFLICT), nothing published', async () => {
    const blobs = t.registry.blobs as unknown as { get: (digest: string, range?: unknown) => Promise<unknown> };
    const get = blobs.get.bind(blobs);
    let armed = true;
    blobs.get = async (digest, range) => {
      if (armed) {
        armed = false;
        // The registry has no scanner: a policy requiring a scan refuses every push from now on.
        const set = await t.call('PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], { scan: { required: true } });
        expect(set.status).toBe(200);
      }
      return get(digest, range);
    };
    const model = await signedModel({ 'config.json': '{"p":1}', 'weights.bin': 'pushed while the policy tightens' });
    const pushing = pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/tight@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    await expect(pushing).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(armed).toBe(false);
    expect((await t.call('GET', '/v1/namespaces/acme/models/tight/versions/1.0.0', t.tokens['acme:read'])).status).toBe(404);
    // Pushed again, it is decided by the policy now in force.
    const again = pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/tight@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    await expect(again).rejects.toMatchObject({ code: 'POLICY_DENIED' });
    // Control: with the policy relaxed, it publishes.
    await t.call('PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], { scan: { required: false } });
    await expect(
      pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/tight@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      }),
    ).resolves.toMatchObject({ rootDigest: model.digest.rootDigest });
  });
});

describe('a token revoked while its push is verified publishes nothing', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  it('the namespace admin revokes the push token mid-push: UNAUTHENTICATED, nothing published or logged; the token stays dead', async () => {
    const admin = t.tokens['acme:admin'] as string;
    const listed = (await (await t.call('GET', '/v1/namespaces/acme/tokens', admin)).json()) as {
      tokens: { id: string; scope: string }[];
    };
    const pushToken = listed.tokens.find((x) => x.scope === 'push')?.id as string;
    const blobs = t.registry.blobs as unknown as { get: (digest: string, range?: unknown) => Promise<unknown> };
    const get = blobs.get.bind(blobs);
    let armed = true;
    blobs.get = async (digest, range) => {
      if (armed) {
        armed = false;
        expect((await t.call('DELETE', `/v1/namespaces/acme/tokens/${pushToken}`, admin)).status).toBe(200);
      }
      return get(digest, range);
    };
    const logSize = async () => Number((await (await t.call('GET', '/v1/log/checkpoint', undefined)).text()).split('\n')[1]);
    const before = await logSize();
    const model = await signedModel({ 'config.json': '{"r":1}', 'weights.bin': 'pushed by a token being revoked' });
    await expect(
      pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/revoked@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(armed).toBe(false);
    expect((await t.call('GET', '/v1/namespaces/acme/models/revoked/versions/1.0.0', admin)).status).toBe(404);
    expect(await logSize()).toBe(before);
    expect((await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['acme:push'])).status).toBe(401);
  });
});

describe('text the registry shows to others carries no terminal escapes, line breaks or bidirectional overrides', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  it('yank reasons (printed by pull and check to anyone reading a public namespace) and token descriptions', async () => {
    const m = await signedModel({ 'w.bin': 'public weights to yank' });
    await pushModel(t.client('open', 'push'), m.dir, parseModelRef('open/pub@1.0.0'), {
      signaturePath: m.signaturePath,
      publicKeyPem: m.key.publicKeyPem,
    });
    for (const reason of [
      'ok\u001b[2J\u001b[1;1Hverified: clean',
      'line\nVERIFIED',
      'a\u202eevil',
      'zero\u200bwidth',
      'c1\u009b31m',
    ]) {
      const r = await t.answer(
        await t.call('POST', '/v1/namespaces/open/models/pub/versions/1.0.0/yank', t.tokens['open:admin'], { reason }),
      );
      expect([r.status, r.body.error.code]).toEqual([400, 'SCHEMA_VALIDATION_FAILED']);
    }
    for (const description of ['ci\u001b]8;;http://x\u0007', 'two\r\nlines'])
      expect(
        (await t.call('POST', '/v1/namespaces/open/tokens', t.tokens['open:admin'], { scope: 'read', description })).status,
      ).toBe(400);
    // Control: ordinary text, non-ASCII included, is kept as given.
    expect(
      (await t.call('POST', '/v1/namespaces/open/tokens', t.tokens['open:admin'], { scope: 'read', description: 'CI – Zürich' }))
        .status,
    ).toBe(201);
    const ok = await t.answer(
      await t.call('POST', '/v1/namespaces/open/models/pub/versions/1.0.0/yank', t.tokens['open:admin'], {
        reason: 'CVE-2026-1 — bad weights',
      }),
    );
    expect([ok.status, ok.body.yankReason]).toEqual([200, 'CVE-2026-1 — bad weights']);
  });
});
