import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { attestModel } from '@modelsec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExpectation } from './client/local-policy.js';
import { checkModel, pullModel, pushModel } from './client/operations.js';
import { parseModelRef, RegistryClient } from './client/registry-client.js';
import { ADMIN, signedModel, tempDir, testRegistry } from './test-support.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const NO_SCAN = { scan: { required: false } };

describe('registry over real HTTP (push, pull, check)', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  let url: string;
  let pushToken: string;
  beforeAll(async () => {
    registry = await testRegistry();
    url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', { json: NO_SCAN });
    pushToken = (await admin.json<{ token: string }>('POST', '/v1/namespaces/acme/tokens', { json: { scope: 'push' } })).token;
  });
  afterAll(async () => registry.app.close());

  it('publishes a signed model, refuses a re-push with 409, pulls it verified, checks it, detects tampering', async () => {
    const model = await signedModel();
    const client = new RegistryClient({ baseUrl: url, token: pushToken });
    const pushed = await pushModel(client, model.dir, parseModelRef('acme/bert@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    expect(pushed).toMatchObject({ version: '1.0.0', rootDigest: model.digest.rootDigest, uploaded: 2, deduplicated: 0 });
    expect(pushed.signer.kind).toBe('key');

    await expect(
      pushModel(client, model.dir, parseModelRef('acme/bert@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const again = await pushModel(client, model.dir, parseModelRef('acme/bert@1.0.1'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    expect(again).toMatchObject({ uploaded: 0, deduplicated: 2 });

    // The client trusts only what it pins: the signer key, and a log key stored on first use in its config dir.
    const trust = { configDir: tempDir(), cliSigners: [{ publicKey: model.key.publicKeyPem }] };
    const out = path.join(tempDir(), 'pulled');
    const pulled = await pullModel(client, parseModelRef('acme/bert@^1.0.0'), out, trust);
    expect(readFileSync(path.join(out, 'weights.bin'), 'utf8')).toBe('weights-bytes');
    // 1.0.1 is the same signed content as 1.0.0: pulled (highest in range), and said.
    expect(pulled.version?.version).toBe('1.0.1');
    expect(pulled.warnings.join('\n')).toMatch(/same signed content as bert@1\.0\.0/);

    const expectations = [parseExpectation('acme/bert')];
    const ok = await checkModel(new RegistryClient({ baseUrl: url, token: pushToken }), model.dir, { ...trust, expectations });
    expect(ok.ok).toBe(true);
    expect(ok.signer?.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);

    writeFileSync(path.join(model.dir, 'weights.bin'), 'tampered');
    const bad = await checkModel(client, model.dir, { ...trust, expectations });
    expect(bad.ok).toBe(false);
    expect(bad.failed.map((f) => f.code)).toContain('SIGNING_DIGEST_MISMATCH');
  });

  it('resumes a chunked upload and refuses a wrong final digest without storing anything', async () => {
    const client = new RegistryClient({ baseUrl: url, token: pushToken });
    const { id } = await client.json<{ id: string }>('POST', '/v1/namespaces/acme/uploads');
    await client.json('PATCH', `/v1/namespaces/acme/uploads/${id}`, {
      body: Buffer.from('hello '),
      headers: { 'content-length': '6', 'upload-offset': '0' },
    });
    await expect(
      client.json('PATCH', `/v1/namespaces/acme/uploads/${id}`, {
        body: Buffer.from('x'),
        headers: { 'content-length': '1', 'upload-offset': '0' },
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await client.json('GET', `/v1/namespaces/acme/uploads/${id}`)).toMatchObject({ offset: 6 });
    await client.json('PATCH', `/v1/namespaces/acme/uploads/${id}`, {
      body: Buffer.from('world'),
      headers: { 'content-length': '5', 'upload-offset': '6' },
    });
    expect(await client.json('PUT', `/v1/namespaces/acme/uploads/${id}?digest=${sha('hello world')}`)).toMatchObject({
      size: 11,
    });
    expect(await client.hasBlob('acme', sha('hello world'))).toBe(true);

    const second = await client.json<{ id: string }>('POST', '/v1/namespaces/acme/uploads');
    await client.json('PATCH', `/v1/namespaces/acme/uploads/${second.id}`, {
      body: Buffer.from('abc'),
      headers: { 'content-length': '3', 'upload-offset': '0' },
    });
    await expect(client.json('PUT', `/v1/namespaces/acme/uploads/${second.id}?digest=${sha('abd')}`)).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    expect(await client.hasBlob('acme', sha('abd'))).toBe(false);
    expect(await client.hasBlob('acme', sha('abc'))).toBe(false);
  });
});

describe('registry verification at push (inject)', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  beforeAll(async () => {
    registry = await testRegistry();
    await registry.app.inject({ method: 'POST', url: '/v1/namespaces', headers: auth(ADMIN), payload: { name: 'acme' } });
    await registry.app.inject({ method: 'POST', url: '/v1/namespaces', headers: auth(ADMIN), payload: { name: 'strict' } });
    await registry.app.inject({ method: 'PUT', url: '/v1/namespaces/acme/policy', headers: auth(ADMIN), payload: NO_SCAN });
  });
  afterAll(async () => registry.app.close());

  async function upload(content: string | Buffer, ns = 'acme'): Promise<string> {
    const digest = sha(content);
    const r = await registry.app.inject({
      method: 'PUT',
      url: `/v1/namespaces/${ns}/blobs/${digest}`,
      headers: { ...auth(ADMIN), 'content-type': 'application/octet-stream' },
      payload: Buffer.from(content),
    });
    expect(r.statusCode).toBeLessThan(300);
    return digest;
  }
  async function uploadModel(model: Awaited<ReturnType<typeof signedModel>>, ns = 'acme') {
    const files = [];
    for (const name of readdirSync(model.dir)
      .filter((n) => n !== 'model.sig')
      .sort()) {
      const bytes = readFileSync(path.join(model.dir, name));
      files.push({ path: name, digest: await upload(bytes, ns), size: bytes.length });
    }
    return { files, bundle: await upload(JSON.stringify(model.bundle), ns), publicKey: model.key.publicKeyPem };
  }
  const push = (ns: string, version: string, payload: unknown) =>
    registry.app.inject({
      method: 'PUT',
      url: `/v1/namespaces/${ns}/models/m/versions/${version}`,
      headers: auth(ADMIN),
      payload: payload as object,
    });

  it('refuses files that differ from what the signature covers, naming the rule, and stores nothing', async () => {
    const model = await signedModel();
    const manifest = await uploadModel(model);
    const extra = await upload('an extra file');
    const r = await push('acme', '1.0.0', {
      ...manifest,
      files: [...manifest.files, { path: 'extra.bin', digest: extra, size: 13 }],
    });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('POLICY_DENIED');
    expect(r.json().error.details.failed[0]).toMatchObject({ rule: 'signature', code: 'MODEL_MISMATCH' });
    expect(
      (await registry.app.inject({ method: 'GET', url: '/v1/namespaces/acme/models/m/versions/1.0.0', headers: auth(ADMIN) }))
        .statusCode,
    ).toBe(404);
  });

  it('refuses a signature over other files, and a signature by another key', async () => {
    const model = await signedModel();
    const other = await signedModel({ 'x.bin': 'other model' });
    const manifest = await uploadModel(model);
    const r1 = await push('acme', '1.0.1', { ...manifest, bundle: await upload(JSON.stringify(other.bundle)) });
    expect(r1.json().error.details.failed.map((f: { code: string }) => f.code)).toContain('SIGNING_KEY_MISMATCH');
    const r2 = await push('acme', '1.0.2', {
      ...manifest,
      bundle: await upload(JSON.stringify(other.bundle)),
      publicKey: other.key.publicKeyPem,
    });
    expect(r2.json().error.details.failed[0]).toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('refuses blobs never uploaded, wrong sizes, traversal paths, bad semver and bad names with clear codes', async () => {
    const model = await signedModel();
    const manifest = await uploadModel(model);
    const missing = await push('acme', '1.1.0', { ...manifest, files: [{ path: 'config.json', digest: sha('never'), size: 5 }] });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('REGISTRY_BLOB_MISSING');
    const size = await push('acme', '1.1.1', { ...manifest, files: manifest.files.map((f) => ({ ...f, size: f.size + 1 })) });
    expect(size.json().error.code).toBe('DIGEST_MISMATCH');
    for (const bad of ['../etc/passwd', '/abs', 'a/./b', 'a\\b', 'a//b']) {
      const r = await push('acme', '1.1.2', { ...manifest, files: [{ ...(manifest.files[0] as object), path: bad }] });
      expect(r.json().error.code, bad).toBe('REGISTRY_PATH_INVALID');
    }
    for (const v of ['1.0', 'v1.0.0', '01.0.0', '1.0.0.0'])
      expect((await push('acme', v, manifest)).json().error.code, v).toBe('REGISTRY_VERSION_INVALID');
    for (const name of ['..', 'UPPER', 'a%2Fb', 'x'.repeat(70), '-lead']) {
      const r = await registry.app.inject({
        method: 'PUT',
        url: `/v1/namespaces/${name}/models/m/versions/1.0.0`,
        headers: auth(ADMIN),
        payload: manifest,
      });
      expect([400, 404], name).toContain(r.statusCode);
      if (r.statusCode === 400) expect(r.json().error.code).toBe('REGISTRY_NAME_INVALID');
    }
    const wrongDigest = await registry.app.inject({
      method: 'PUT',
      url: `/v1/namespaces/acme/blobs/${sha('a')}`,
      headers: { ...auth(ADMIN), 'content-type': 'application/octet-stream' },
      payload: Buffer.from('b'),
    });
    expect(wrongDigest.json().error.code).toBe('DIGEST_MISMATCH');
    const huge = await registry.app.inject({
      method: 'PUT',
      url: '/v1/namespaces/acme/policy',
      headers: { ...auth(ADMIN), 'content-type': 'application/json' },
      payload: `{"signers":[{"publicKey":"${'A'.repeat(5 * 1024 * 1024)}"}]}`,
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const listed = await registry.app.inject({
      method: 'GET',
      url: '/v1/namespaces/acme/models/m/versions',
      headers: auth(ADMIN),
    });
    expect(listed.json().versions).toEqual([]);
  });

  it('fails closed when the policy requires a scan and no scanner can run, listing every failed rule', async () => {
    await registry.app.inject({
      method: 'PUT',
      url: '/v1/namespaces/strict/policy',
      headers: auth(ADMIN),
      payload: { mlbom: { required: true }, attestations: { required: ['https://slsa.dev/provenance/v1'] } },
    });
    const model = await signedModel();
    const manifest = await uploadModel(model, 'strict');
    const r = await push('strict', '1.0.0', manifest);
    expect(r.statusCode).toBe(422);
    expect(
      r
        .json()
        .error.details.failed.map((f: { rule: string }) => f.rule)
        .sort(),
    ).toEqual(['attestations', 'mlbom', 'scan']);
    const audit = await registry.app.inject({ method: 'GET', url: '/v1/audit?namespace=strict', headers: auth(ADMIN) });
    expect(audit.json().entries[0]).toMatchObject({ action: 'version.push', outcome: 'refused', target: 'strict/m@1.0.0' });
  });

  it('verifies attestations (signature and subject), yanks, and answers digest/signer queries', async () => {
    const model = await signedModel();
    const manifest = await uploadModel(model);
    const signer = { kind: 'key' as const, privateKeyPem: model.key.privateKeyPem };
    const good = await attestModel(
      { subjectName: 'm', rootDigest: model.digest.rootDigest },
      'https://slsa.dev/provenance/v1',
      { buildDefinition: {} },
      signer,
    );
    const wrongSubject = await attestModel(
      { subjectName: 'm', rootDigest: 'e'.repeat(64) },
      'https://slsa.dev/provenance/v1',
      {},
      signer,
    );
    const bad = await push('acme', '2.0.0', { ...manifest, attestations: [await upload(JSON.stringify(wrongSubject.bundle))] });
    expect(bad.json().error.details.failed[0]).toMatchObject({ rule: 'attestations', code: 'SIGNING_DIGEST_MISMATCH' });
    const ok = await push('acme', '2.0.0', { ...manifest, attestations: [await upload(JSON.stringify(good.bundle))] });
    expect(ok.statusCode).toBe(201);
    const detail = (
      await registry.app.inject({ method: 'GET', url: '/v1/namespaces/acme/models/m/versions/2.0.0', headers: auth(ADMIN) })
    ).json();
    expect(detail.attachments.map((a: { kind: string }) => a.kind)).toEqual(['attestation', 'bundle']);
    const byFile = await registry.app.inject({
      method: 'GET',
      url: `/v1/versions?fileDigest=${manifest.files[0]?.digest}`,
      headers: auth(ADMIN),
    });
    expect(byFile.json().versions.map((v: { version: string }) => v.version)).toEqual(['2.0.0']);
    const byKey = await registry.app.inject({
      method: 'GET',
      url: `/v1/versions?signerKey=${detail.signer.keyFingerprint}`,
      headers: auth(ADMIN),
    });
    expect(byKey.json().versions).toHaveLength(1);
    const yank = await registry.app.inject({
      method: 'POST',
      url: '/v1/namespaces/acme/models/m/versions/2.0.0/yank',
      headers: auth(ADMIN),
      payload: { reason: 'CVE' },
    });
    expect(yank.json()).toMatchObject({ yanked: true });
    const after = (
      await registry.app.inject({ method: 'GET', url: '/v1/namespaces/acme/models/m/versions/2.0.0', headers: auth(ADMIN) })
    ).json();
    expect(after).toMatchObject({ yanked: true, yankReason: 'CVE', rootDigest: model.digest.rootDigest });
  });

  it('records policy changes with history', async () => {
    const h = await registry.app.inject({ method: 'GET', url: '/v1/namespaces/acme/policy/history', headers: auth(ADMIN) });
    expect(h.json().history.map((p: { version: number }) => p.version)).toEqual([1]);
    const invalid = await registry.app.inject({
      method: 'PUT',
      url: '/v1/namespaces/acme/policy',
      headers: auth(ADMIN),
      payload: { scan: { maxSeverity: 'extreme' } },
    });
    expect(invalid.json().error.code).toBe('SCHEMA_VALIDATION_FAILED');
  });
});

describe('concurrent pushes of one version', () => {
  it('lets exactly one succeed; the others get 409 and the store stays consistent', async () => {
    const registry = await testRegistry();
    const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
      await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
      await admin.json('PUT', '/v1/namespaces/acme/policy', { json: NO_SCAN });
      const model = await signedModel();
      const ref = parseModelRef('acme/race@1.0.0');
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          pushModel(admin, model.dir, ref, { signaturePath: model.signaturePath, publicKeyPem: model.key.publicKeyPem }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x) => x.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason.code).toBe('CONFLICT');
      expect(await registry.store.listVersions({ namespace: 'acme', model: 'race' })).toHaveLength(1);
      expect(await registry.store.versionFiles('acme', 'race', '1.0.0')).toHaveLength(2);
    } finally {
      await registry.app.close();
    }
  });
});

describe('OpenAPI document', () => {
  it('is served at /v1/openapi.json and equals schemas/registry-openapi.json (regenerate: npx tsx packages/registry/scripts/write-openapi.ts)', async () => {
    const registry = await testRegistry();
    const served = (await registry.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    await registry.app.close();
    const file = new URL('../../../schemas/registry-openapi.json', import.meta.url);
    expect(existsSync(file)).toBe(true);
    expect(served).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });
});

describe('token list and revoke', () => {
  it('lists a namespace’s tokens without secrets, revokes one (it stops working at once, audited), 404 elsewhere', async () => {
    const registry = await testRegistry();
    try {
      const h = auth(ADMIN);
      for (const name of ['acme', 'other'])
        await registry.app.inject({ method: 'POST', url: '/v1/namespaces', headers: h, payload: { name } });
      const create = async (ns: string, scope: string) =>
        (
          await registry.app.inject({
            method: 'POST',
            url: `/v1/namespaces/${ns}/tokens`,
            headers: h,
            payload: { scope, description: `${scope} for ci` },
          })
        ).json() as { id: string; token: string };
      const reader = await create('acme', 'read');
      const pusher = await create('acme', 'push');
      const foreign = await create('other', 'read');

      const listed = await registry.app.inject({ method: 'GET', url: '/v1/namespaces/acme/tokens', headers: h });
      expect(listed.statusCode).toBe(200);
      const tokens = listed.json().tokens as Record<string, unknown>[];
      expect(tokens.map((t) => t.id).sort()).toEqual([reader.id, pusher.id].sort());
      expect(tokens[0]).toMatchObject({ revoked: false, createdBy: expect.stringMatching(/^admin/) });
      expect(JSON.stringify(tokens)).not.toContain(reader.token);
      expect(Object.keys(tokens[0] as object).sort()).toEqual([
        'createdAt',
        'createdBy',
        'description',
        'expired',
        'expiresAt',
        'id',
        'revoked',
        'scope',
      ]);

      const models = () => registry.app.inject({ method: 'GET', url: '/v1/namespaces/acme/models', headers: auth(reader.token) });
      expect((await models()).statusCode).toBe(200);
      const revoked = await registry.app.inject({ method: 'DELETE', url: `/v1/namespaces/acme/tokens/${reader.id}`, headers: h });
      expect(revoked.json()).toEqual({ id: reader.id, revoked: true });
      expect((await models()).statusCode).toBe(401);
      const after = await registry.app.inject({ method: 'GET', url: '/v1/namespaces/acme/tokens', headers: h });
      expect(after.json().tokens.find((t: { id: string }) => t.id === reader.id).revoked).toBe(true);

      // A token of another namespace, or an unknown id, is not found here.
      const cross = await registry.app.inject({ method: 'DELETE', url: `/v1/namespaces/acme/tokens/${foreign.id}`, headers: h });
      expect(cross.statusCode).toBe(404);
      expect(cross.json().error.code).toBe('NOT_FOUND');
      const bad = await registry.app.inject({ method: 'DELETE', url: '/v1/namespaces/acme/tokens/not-an-id', headers: h });
      expect(bad.statusCode).toBe(400);

      const audit = await registry.app.inject({ method: 'GET', url: '/v1/audit?namespace=acme', headers: h });
      expect(JSON.stringify(audit.json())).toContain('token.revoke');
    } finally {
      await registry.app.close();
    }
  });
});
