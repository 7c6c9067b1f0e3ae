/**
 * Second adversarial pass on the registry server (issue 12), over real HTTP on 127.0.0.1 with two private
 * namespaces (acme, beta), a public one (open) and real tokens. Each describe is one class that still gave way
 * after the first pass; each attack is refused with a stable code (or answers what an honest caller would get),
 * and the honest control passes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey, signModel } from '@modelsec/core/signing';
import { parseModelRef, pushModel } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, tempDir } from '../../../packages/registry/src/test-support.js';
import { closeServer, type Tenants, twoTenants } from '../../helpers/two-tenants.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
/** A model directory with exactly `files`, signed with a fresh key (`method` files or shards). */
async function signedFiles(files: Record<string, string>, method: 'files' | 'shards' = 'files') {
  const dir = tempDir('modelsec-model-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const key = generateSigningKey();
  const { bundle, digest } = await signModel(dir, { kind: 'key', privateKeyPem: key.privateKeyPem }, { method });
  const signaturePath = path.join(dir, 'model.sig');
  writeFileSync(signaturePath, JSON.stringify(bundle));
  return { dir, key, bundle, digest, signaturePath };
}

describe('dedupe is no cross-tenant oracle: an upload answers as if the namespace were alone', () => {
  let t: Tenants;
  const secret = Buffer.from('beta private weights: only beta holds these bytes');
  beforeAll(async () => {
    t = await twoTenants();
    await t.client('beta', 'push').uploadBytes('beta', secret);
  });
  afterAll(async () => closeServer(t));

  it("PUT and a finished upload session of bytes beta already stored answer 201 created for acme, not 'already here'", async () => {
    const put = await t.answer(await t.call('PUT', `/v1/namespaces/acme/blobs/${sha(secret)}`, t.tokens['acme:push'], secret));
    expect([put.status, put.body.created]).toEqual([201, true]);
    const session = await t.answer(await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['acme:push']));
    const id = session.body.id as string;
    await t.call('PATCH', `/v1/namespaces/acme/uploads/${id}`, t.tokens['acme:push'], secret, { 'upload-offset': '0' });
    const other = Buffer.from(`${secret.toString()} (acme's copy via a session)`);
    const s2 = await t.answer(await t.call('POST', '/v1/namespaces/beta/uploads', t.tokens['beta:push']));
    await t.call('PATCH', `/v1/namespaces/beta/uploads/${s2.body.id}`, t.tokens['beta:push'], other, { 'upload-offset': '0' });
    await t.call('PUT', `/v1/namespaces/beta/uploads/${s2.body.id}?digest=${sha(other)}`, t.tokens['beta:push']);
    const s3 = await t.answer(await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['acme:push']));
    await t.call('PATCH', `/v1/namespaces/acme/uploads/${s3.body.id}`, t.tokens['acme:push'], other, { 'upload-offset': '0' });
    const finished = await t.answer(
      await t.call('PUT', `/v1/namespaces/acme/uploads/${s3.body.id}?digest=${sha(other)}`, t.tokens['acme:push']),
    );
    expect([finished.status, finished.body.created]).toEqual([201, true]);
    // Control: the namespace's own second upload of the same bytes is the dedupe answer (200, created false).
    const again = await t.answer(await t.call('PUT', `/v1/namespaces/acme/blobs/${sha(secret)}`, t.tokens['acme:push'], secret));
    expect([again.status, again.body.created]).toEqual([200, false]);
  });
});

describe('concurrent single-request uploads cannot overshoot the stored-bytes quota', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants({ storage: { maxStoredBytes: 4096 } });
  });
  afterAll(async () => closeServer(t));

  it('16 concurrent PUTs of 1 KiB each into a 4 KiB quota: at most 4 land, the rest REGISTRY_QUOTA_EXCEEDED', async () => {
    const bodies = Array.from({ length: 16 }, (_, i) => Buffer.alloc(1024, i + 1));
    const answers = await Promise.all(
      bodies.map(async (b) => t.answer(await t.call('PUT', `/v1/namespaces/acme/blobs/${sha(b)}`, t.tokens['acme:push'], b))),
    );
    const landed = answers.filter((a) => a.status === 201).length;
    expect(landed).toBeGreaterThan(0);
    expect(landed).toBeLessThanOrEqual(4);
    for (const a of answers.filter((x) => x.status !== 201)) expect(a.body.error.code).toBe('REGISTRY_QUOTA_EXCEEDED');
    // Control: beta's quota is its own.
    const b = Buffer.alloc(1024, 99);
    expect((await t.call('PUT', `/v1/namespaces/beta/blobs/${sha(b)}`, t.tokens['beta:push'], b)).status).toBe(201);
  });
});

describe('push refuses names that would collide or mislead on pull (the rule pull applies)', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  const attacks: [string, Record<string, string>][] = [
    ['case collision', { 'weights.bin': 'honest', 'Weights.bin': 'evil' }],
    ['NFC/NFD collision', { 'caf\u00e9.bin': 'honest', 'cafe\u0301.bin': 'evil' }],
    ['C1 CSI escape', { 'w\u009b31meights.bin': 'x' }],
    ['bidi override', { 'evil\u202enib.txt': 'x' }],
    ['file and directory fold together', { 'sub/a.bin': 'x', 'SUB/b.bin': 'y' }],
  ];
  for (const [what, files] of attacks)
    it(`${what}: REGISTRY_PATH_INVALID, nothing published`, async () => {
      const model = await signedFiles(files);
      await expect(
        pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/names@1.0.0'), {
          signaturePath: model.signaturePath,
          publicKeyPem: model.key.publicKeyPem,
        }),
      ).rejects.toMatchObject({ code: 'REGISTRY_PATH_INVALID' });
      expect((await t.call('GET', '/v1/namespaces/acme/models/names/versions/1.0.0', t.tokens['acme:read'])).status).toBe(404);
    });

  it('control: ordinary nested names and non-ASCII names publish', async () => {
    const model = await signedFiles({ 'caf\u00e9/weights.bin': 'w', 'tokenizer/vocab.json': '{}', 'README.md': '#' });
    await expect(
      pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/names@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      }),
    ).resolves.toMatchObject({ version: '1.0.0' });
  });
});

describe('yanked bytes stay yanked whatever signs them (another method, another key, another file order)', () => {
  let t: Tenants;
  const files = { 'config.json': '{"yank":2}', 'weights.bin': 'weights with a CVE, take two' };
  beforeAll(async () => {
    t = await twoTenants();
    const model = await signedFiles(files);
    await pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/m@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    await t.client('acme', 'admin').json('POST', '/v1/namespaces/acme/models/m/versions/1.0.0/yank', {
      json: { reason: 'CVE-2026-0002' },
    });
  });
  afterAll(async () => closeServer(t));

  it('a shards signature, or another key, around the yanked files: REGISTRY_CONTENT_YANKED', async () => {
    for (const [ref, method] of [
      ['acme/m@1.0.1', 'shards'],
      ['acme/m@1.0.2', 'files'],
    ] as const) {
      const model = await signedFiles(files, method);
      await expect(
        pushModel(t.client('acme', 'push'), model.dir, parseModelRef(ref), {
          signaturePath: model.signaturePath,
          publicKeyPem: model.key.publicKeyPem,
        }),
        ref,
      ).rejects.toMatchObject({ code: 'REGISTRY_CONTENT_YANKED' });
    }
  });

  it('control: the fixed weights publish', async () => {
    const model = await signedFiles({ ...files, 'weights.bin': 'fixed weights' }, 'shards');
    await expect(
      pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/m@1.0.3'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      }),
    ).resolves.toMatchObject({ version: '1.0.3' });
  });
});

/** A CycloneDX ML-BOM whose model derives from each of `digests`. */
function bomDerivedFrom(digests: string[]) {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      component: {
        type: 'machine-learning-model',
        'bom-ref': 'model',
        name: 'm',
        pedigree: {
          ancestors: digests.map((d, i) => ({
            type: 'machine-learning-model',
            name: `base-${i}`,
            hashes: [{ alg: 'SHA-256', content: d }],
          })),
        },
      },
    },
  };
}

describe('lineage of a diamond-shaped graph answers in linear size (each version expanded once)', () => {
  let t: Tenants;
  const LEVELS = 14;
  beforeAll(async () => {
    t = await twoTenants();
    let previous: { root: string; file: string } | undefined;
    for (let level = 0; level < LEVELS; level++) {
      const weights = `level ${level} weights`;
      const model = await signedFiles({ 'weights.bin': weights });
      const bomPath = path.join(tempDir(), 'bom.json');
      // Two edges to the same parent version (its root digest and its file digest).
      if (previous) writeFileSync(bomPath, JSON.stringify(bomDerivedFrom([previous.root, previous.file])));
      const pushed = await pushModel(t.admin, model.dir, parseModelRef(`open/l${level}@1.0.0`), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
        ...(previous ? { bomPath } : {}),
      });
      previous = { root: pushed.rootDigest, file: sha(weights) };
    }
  }, 60_000);
  afterAll(async () => closeServer(t));

  it('an anonymous lineage request of the deepest version stays small and names every ancestor', async () => {
    const started = Date.now();
    const r = await fetch(`${t.url}/v1/lineage/open/l${LEVELS - 1}/1.0.0`);
    const text = await r.text();
    expect(r.status).toBe(200);
    expect(text.length).toBeLessThan(200_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    const models = new Set([...text.matchAll(/"model":"(l\d+)"/g)].map((m) => m[1]));
    expect(models.size).toBe(LEVELS);
  });
});

describe('the audit trail records only names the routes accept (no forged targets, no terminal escapes)', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  it("a refused request whose path parameters fail validation is audited without the caller's raw text", async () => {
    const forged = [
      `/v1/namespaces/${encodeURIComponent('acme/m@9.9.9')}/tokens`,
      `/v1/namespaces/${encodeURIComponent('acme\u001b[2J\u001b[31mHACKED')}/tokens`,
      `/v1/namespaces/acme/models/${encodeURIComponent('m\r\nok')}/versions/1.0.0/yank`,
    ];
    for (const route of forged) {
      const r = await t.answer(await t.call('POST', route, t.tokens['beta:admin'], { scope: 'read', reason: 'x' }));
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('REGISTRY_NAME_INVALID');
    }
    const audit = await t.admin.json<{ entries: { target: string; action: string; details: unknown }[] }>(
      'GET',
      '/v1/audit?limit=50',
    );
    const text = JSON.stringify(audit.entries);
    expect(text).not.toContain('9.9.9');
    expect(text).not.toContain('HACKED');
    expect(text).not.toMatch(/\\u001b|\\r\\n/);
    // Acme's own view holds no row beta forged to look like acme's.
    const acme = await t.client('acme', 'admin').json<{ entries: { target: string }[] }>('GET', '/v1/audit?namespace=acme');
    expect(acme.entries.map((e) => e.target)).not.toContain('acme/m@9.9.9');
    // Control: a valid refused request is audited with its real target.
    const refused = await t.call('POST', '/v1/namespaces/acme/tokens', t.tokens['beta:admin'], { scope: 'read' });
    expect(refused.status).toBe(403);
    const after = await t
      .client('acme', 'admin')
      .json<{ entries: { target: string; outcome: string }[] }>('GET', '/v1/audit?namespace=acme');
    expect(after.entries[0]).toMatchObject({ target: 'acme', outcome: 'refused' });
    // The refusal acme's admin reads does not name the private namespace the caller's token belongs to.
    expect(JSON.stringify(after.entries)).not.toContain('beta');
  });
});

describe('malformed input on every route answers 4xx with a stable code, never 500', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  it('hostile paths, query strings and headers', async () => {
    const push = t.tokens['acme:push'];
    const cases: [string, string, string | undefined, unknown?, Record<string, string>?][] = [
      ['GET', '/v1/log/tile/0/x', undefined],
      ['GET', '/v1/log/tile/99/000', undefined],
      ['GET', '/v1/log/tile/0/x999/999/999.p/0', undefined],
      ['GET', '/v1/log/tile/entries/000.p/999', undefined],
      ['GET', `/v1/log/tile/${'0/'.repeat(500)}0`, undefined],
      ['GET', '/v1/log/entries/99999999999999', undefined],
      ['GET', '/v1/log/proofs/inclusion?index=0&size=0', undefined],
      ['GET', '/v1/log/proofs/consistency?from=5&to=1', undefined],
      ['GET', '/v1/lineage/derived?digest=sha256:', undefined],
      ['GET', '/v1/versions?rootDigest=zz', undefined],
      ['GET', '/v1/versions?namespace=acme&namespace=beta', push],
      ['GET', '/v1/audit?limit=0', ADMIN],
      ['GET', '/v1/audit?before=1&before=2', ADMIN],
      ['PATCH', `/v1/namespaces/acme/uploads/${'a'.repeat(32)}`, push, Buffer.from('x'), { 'upload-offset': '0' }],
      ['PATCH', `/v1/namespaces/acme/uploads/${'a'.repeat(32)}`, push, Buffer.from('x'), { 'upload-offset': '9'.repeat(40) }],
      ['PUT', `/v1/namespaces/acme/blobs/${'a'.repeat(64)}`, push, Buffer.from('x'), { 'content-type': 'text/plain' }],
      ['PUT', `/v1/namespaces/acme/blobs/${'a'.repeat(64)}`, push, Buffer.from('x'), { 'content-length': '9'.repeat(30) }],
      [
        'PUT',
        '/v1/namespaces/acme/models/m/versions/1.0.0',
        push,
        { files: [{ path: 'a', digest: 'a'.repeat(64), size: 1e300 }], bundle: 'a'.repeat(64) },
      ],
      [
        'PUT',
        '/v1/namespaces/acme/models/m/versions/1.0.0',
        push,
        { files: [{ path: 'a', digest: 'a'.repeat(64), size: -1 }], bundle: 'a'.repeat(64) },
      ],
      [
        'PUT',
        '/v1/namespaces/acme/models/m/versions/1.0.0',
        push,
        { files: [{ path: '\ud800', digest: 'a'.repeat(64), size: 1 }], bundle: 'a'.repeat(64) },
      ],
      ['GET', '/v1/namespaces/acme/models/m/versions/1.0.0%00', push],
      ['GET', '/v1/log/openings?namespace=acme&from=9999999999999999', push],
      ['GET', '/v1/log/proofs/inclusion?index=9999999999999999&size=9999999999999999', undefined],
      ['GET', '/v1/log/entries/9999999999999999', undefined],
      ['GET', '/v1/audit?before=9999999999999999&limit=999999', ADMIN],
      ['GET', `/v1/lineage/derived?digest=${'A'.repeat(64)}`, undefined],
      ['GET', '/v1/lineage/acme/m/1.0.0?x=1', push],
      ['POST', '/v1/namespaces/acme/uploads', push, '{}'],
      ['PATCH', `/v1/namespaces/acme/uploads/${'b'.repeat(32)}`, push, '{}', { 'upload-offset': '0' }],
      ['PUT', `/v1/namespaces/acme/uploads/${'b'.repeat(32)}?digest=${'a'.repeat(64)}&digest=${'b'.repeat(64)}`, push],
      ['DELETE', `/v1/tokens/${'-'.repeat(10)}`, ADMIN],
      ['DELETE', `/v1/namespaces/acme/tokens/${'a'.repeat(32)}`, t.tokens['acme:admin']],
      ['POST', '/v1/namespaces', ADMIN, { name: 'x'.repeat(65) }],
      ['POST', '/v1/namespaces', ADMIN, { name: 'ok-name', public: 'yes' }],
      ['PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], { signers: [{ publicKey: 'not a pem' }] }],
      ['PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], { signers: [{ certificateRoots: ['x'] }] }],
      ['POST', '/v1/namespaces/acme/models/m/versions/1.0.0/yank', t.tokens['acme:admin'], { reason: '\u0000' }],
      ['GET', '/v1/namespaces/%E0%A4%A/models', push],
      ['GET', '/v1/namespaces/acme', undefined, undefined, { authorization: 'Bearer \u00ff' }],
      ['GET', '/v1/namespaces/acme', undefined, undefined, { authorization: `Bearer ${'a'.repeat(600)}` }],
      ['PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], { scan: { required: false }, extra: { a: [[[[[]]]]] } }],
    ];
    const failures: string[] = [];
    for (const [method, route, token, body, headers] of cases) {
      let r: Response;
      try {
        r = await t.call(method, route, token, body, headers);
      } catch {
        continue; // the client refused to send it
      }
      const text = await r.text();
      if (r.status >= 500) failures.push(`${method} ${route.slice(0, 60)} → ${r.status} ${text.slice(0, 200)}`);
      else if (r.status >= 400 && !/"code":"[A-Z_]+"/.test(text))
        failures.push(`${method} ${route.slice(0, 60)} → ${r.status} without a code: ${text.slice(0, 100)}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('a shards signature cannot make the registry hash each stored byte as its own shard', () => {
  let t: Tenants;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  it('shard_size 1 naming 3 ranges over an 8 MiB blob: refused (MODEL_MISMATCH rule) before any byte is hashed', async () => {
    const small = await signedFiles({ 'weights.bin': 'abc' }, 'shards');
    // Re-sign the same tiny directory in 1-byte shards (3 ranges in the signature).
    const { bundle } = await signModel(
      small.dir,
      { kind: 'key', privateKeyPem: small.key.privateKeyPem },
      { method: 'shards', shardSize: 1 },
    );
    const acme = t.client('acme', 'push');
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const weights = await acme.uploadBytes('acme', big);
    const bundleDigest = await acme.uploadBytes('acme', Buffer.from(JSON.stringify(bundle)));
    const started = Date.now();
    const r = await t.answer(
      await t.call('PUT', '/v1/namespaces/acme/models/shards/versions/1.0.0', t.tokens['acme:push'], {
        files: [{ path: 'weights.bin', digest: weights, size: big.length }],
        bundle: bundleDigest,
        publicKey: small.key.publicKeyPem,
      }),
    );
    // The push's refusal code, naming the failed rule (as for any push whose files differ from the signature).
    expect(r.body.error.code).toBe('POLICY_DENIED');
    expect((r.body.error.details as { failed: unknown[] }).failed[0]).toMatchObject({
      code: 'MODEL_MISMATCH',
      details: { mismatches: [{ kind: 'digest', name: 'weights.bin' }] },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    // Control: the honest 1-byte-shard signature of the 3-byte file publishes.
    await expect(
      pushModel(acme, small.dir, parseModelRef('acme/shards@1.0.0'), {
        signaturePath: (() => {
          const p = path.join(tempDir(), 'model.sig');
          writeFileSync(p, JSON.stringify(bundle));
          return p;
        })(),
        publicKeyPem: small.key.publicKeyPem,
      }),
    ).resolves.toMatchObject({ version: '1.0.0' });
  });
});

describe('version lists and lookups load only what the caller can read, without manifests', () => {
  let t: Tenants;
  let root: string;
  beforeAll(async () => {
    t = await twoTenants();
    const model = await signedFiles({ 'weights.bin': 'shared public weights' });
    const opts = { signaturePath: model.signaturePath, publicKeyPem: model.key.publicKeyPem };
    root = (await pushModel(t.client('open', 'push'), model.dir, parseModelRef('open/m@1.0.0'), opts)).rootDigest;
    // beta republishes the same public content under many private versions.
    for (let i = 0; i < 5; i++) await pushModel(t.client('beta', 'push'), model.dir, parseModelRef(`beta/copy@1.0.${i}`), opts);
  });
  afterAll(async () => closeServer(t));

  it('a lookup by root digest answers acme only the public version, beta its own and the public one; lists stay light', async () => {
    const lookup = async (token: string | undefined) =>
      (
        (await (await t.call('GET', `/v1/versions?rootDigest=${root}`, token)).json()) as {
          versions: { namespace: string; version: string; publicKey?: string }[];
        }
      ).versions;
    expect((await lookup(t.tokens['acme:read'])).map((v) => v.namespace)).toEqual(['open']);
    expect((await lookup(undefined)).map((v) => v.namespace)).toEqual(['open']);
    expect((await lookup(t.tokens['beta:read'])).map((v) => `${v.namespace}@${v.version}`)).toEqual([
      'beta@1.0.0',
      'beta@1.0.1',
      'beta@1.0.2',
      'beta@1.0.3',
      'beta@1.0.4',
      'open@1.0.0',
    ]);
    expect((await lookup(ADMIN)).length).toBe(6);
    // A list row carries no manifest-derived field; the single version still shows the key pushed with it.
    const list = (await (await t.call('GET', '/v1/namespaces/beta/models/copy/versions', t.tokens['beta:read'])).json()) as {
      versions: Record<string, unknown>[];
    };
    expect(list.versions).toHaveLength(5);
    for (const v of list.versions) expect(v).not.toHaveProperty('publicKey');
    const one = (await (await t.call('GET', '/v1/namespaces/beta/models/copy/versions/1.0.0', t.tokens['beta:read'])).json()) as {
      publicKey?: string;
    };
    expect(one.publicKey).toContain('BEGIN PUBLIC KEY');
  });
});
