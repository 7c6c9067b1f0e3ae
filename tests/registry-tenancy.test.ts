/**
 * Tenant isolation on the server, over real HTTP with two private namespaces (acme, beta), a public one (open) and
 * real tokens: each attack of issue 12's server-side classes is refused with a stable code, and the honest
 * control passes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkModel, parseExpectation, parseModelRef, pullModel, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, signedModel, tempDir, testRegistry } from '../packages/registry/src/test-support.js';
import { runCli } from './helpers/cli.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
type Scope = 'read' | 'push' | 'admin';
/** The registry's error body (and whatever else a route answers). */
type Answer = { error: { code: string; message: string; details: Record<string, unknown> } } & Record<string, unknown>;
const json = async (r: Response) => (await r.json()) as Answer;

/** A registry over HTTP with namespaces acme, beta (private) and open (public), and a token per namespace and scope. */
async function twoTenants() {
  const registry = await testRegistry();
  const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
  const tokens: Record<string, string> = {};
  for (const [name, isPublic] of [
    ['acme', false],
    ['beta', false],
    ['open', true],
  ] as const) {
    await admin.json('POST', '/v1/namespaces', { json: { name, public: isPublic } });
    await admin.json('PUT', `/v1/namespaces/${name}/policy`, { json: { scan: { required: false } } });
    for (const scope of ['read', 'push', 'admin'] as const)
      tokens[`${name}:${scope}`] = (
        await admin.json<{ token: string }>('POST', `/v1/namespaces/${name}/tokens`, { json: { scope } })
      ).token;
  }
  const client = (ns: string, scope: Scope) => new RegistryClient({ baseUrl: url, token: tokens[`${ns}:${scope}`] as string });
  const call = (method: string, route: string, token: string | undefined, body?: unknown) =>
    fetch(`${url}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return { registry, url, admin, tokens, client, call };
}

describe('cross-namespace blob reads are refused (the pusher must hold every digest its manifest names)', () => {
  let t: Awaited<ReturnType<typeof twoTenants>>;
  let secret: Awaited<ReturnType<typeof signedModel>>;
  let secretWeights: string;
  beforeAll(async () => {
    t = await twoTenants();
    secret = await signedModel({ 'config.json': '{"beta":1}', 'weights.bin': 'beta private weights' });
    secretWeights = sha('beta private weights');
    await pushModel(t.client('beta', 'push'), secret.dir, parseModelRef('beta/secret@1.0.0'), {
      signaturePath: secret.signaturePath,
      publicKeyPem: secret.key.publicKeyPem,
    });
  });
  afterAll(async () => t.registry.app.close());

  it("HEAD and GET of another tenant's digest through one's own namespace answer 404; the owner reads it", async () => {
    const acmePush = t.tokens['acme:push'];
    expect((await t.call('HEAD', `/v1/namespaces/acme/blobs/${secretWeights}`, acmePush)).status).toBe(404);
    expect(await t.client('acme', 'push').hasBlob('acme', secretWeights)).toBe(false);
    const get = await t.call('GET', `/v1/namespaces/acme/blobs/${secretWeights}`, t.tokens['acme:admin']);
    expect(get.status).toBe(404);
    expect((await json(get)).error.code).toBe('NOT_FOUND');
    // Control: beta's own readers.
    expect((await t.call('HEAD', `/v1/namespaces/beta/blobs/${secretWeights}`, t.tokens['beta:push'])).status).toBe(200);
    const own = await t.call('GET', `/v1/namespaces/beta/blobs/${secretWeights}`, t.tokens['beta:read']);
    expect(own.status).toBe(200);
    expect(await own.text()).toBe('beta private weights');
  });

  it("a manifest naming beta's private digest (scan report, file, ML-BOM, attestation) or a digest that exists nowhere is refused", async () => {
    const mine = await signedModel({ 'config.json': '{"acme":1}', 'weights.bin': 'acme weights' });
    const acme = t.client('acme', 'push');
    const files = ['config.json', 'weights.bin'].map((name) => {
      const bytes = readFileSync(path.join(mine.dir, name));
      return { path: name, digest: sha(bytes), size: bytes.length };
    });
    for (const f of files) await acme.uploadBytes('acme', readFileSync(path.join(mine.dir, f.path)));
    const bundle = await acme.uploadBytes('acme', readFileSync(mine.signaturePath));
    const base = { files, bundle, publicKey: mine.key.publicKeyPem };
    const nowhere = 'e'.repeat(64);
    const attacks: [string, object][] = [
      ['scanReport', { ...base, scanReport: secretWeights }],
      ['mlbom', { ...base, mlbom: secretWeights }],
      ['attestation', { ...base, attestations: [secretWeights] }],
      ['bundle', { ...base, bundle: sha(readFileSync(secret.signaturePath)) }],
      ['file', { ...base, files: [...files, { path: 'stolen.bin', digest: secretWeights, size: 20 }] }],
      ['nowhere', { ...base, scanReport: nowhere }],
    ];
    for (const [what, manifest] of attacks) {
      const r = await t.call('PUT', '/v1/namespaces/acme/models/m/versions/1.0.0', t.tokens['acme:push'], manifest);
      const body = await json(r);
      expect([what, r.status, body.error.code]).toEqual([what, 400, 'REGISTRY_BLOB_MISSING']);
      // The same answer for another tenant's digest and for one that exists nowhere: no existence oracle.
      expect(body.error.details.missing).toHaveLength(1);
    }
    // Nothing was published, so nothing of beta's became readable through acme.
    expect((await t.call('GET', '/v1/namespaces/acme/models/m/versions/1.0.0', t.tokens['acme:read'])).status).toBe(404);
    expect((await t.call('GET', `/v1/namespaces/acme/blobs/${secretWeights}`, t.tokens['acme:read'])).status).toBe(404);
    // Control: the same manifest without the foreign digest is accepted.
    const ok = await t.call('PUT', '/v1/namespaces/acme/models/m/versions/1.0.0', t.tokens['acme:push'], base);
    expect(ok.status).toBe(201);
  });

  it('holding the same bytes is proven by uploading them: then the push is accepted and acme reads its own copy', async () => {
    // acme legitimately has a file with the same bytes as beta's weights: HEAD says "not here", the client uploads
    // (the registry hashes them), and the push goes through.
    const same = await signedModel({ 'config.json': '{"acme":2}', 'weights.bin': 'beta private weights' });
    const pushed = await pushModel(t.client('acme', 'push'), same.dir, parseModelRef('acme/same@1.0.0'), {
      signaturePath: same.signaturePath,
      publicKeyPem: same.key.publicKeyPem,
    });
    expect(pushed).toMatchObject({ uploaded: 2, deduplicated: 0 });
    const get = await t.call('GET', `/v1/namespaces/acme/blobs/${secretWeights}`, t.tokens['acme:read']);
    expect(await get.text()).toBe('beta private weights');
    // beta's read token still cannot read through acme.
    expect((await t.call('GET', `/v1/namespaces/acme/blobs/${secretWeights}`, t.tokens['beta:read'])).status).toBe(403);
  });

  it("blobs beta uploaded but never published stay beta's; a public namespace's published blobs may be named by anyone", async () => {
    const pending = await t.client('beta', 'push').uploadBytes('beta', Buffer.from('beta unpublished bytes'));
    expect((await t.call('HEAD', `/v1/namespaces/acme/blobs/${pending}`, t.tokens['acme:push'])).status).toBe(404);
    expect((await t.call('HEAD', `/v1/namespaces/beta/blobs/${pending}`, t.tokens['beta:push'])).status).toBe(200);
    expect((await t.call('GET', `/v1/namespaces/beta/blobs/${pending}`, t.tokens['beta:read'])).status).toBe(200);

    const published = await signedModel({ 'config.json': '{"open":1}', 'weights.bin': 'open weights' });
    await pushModel(t.client('open', 'push'), published.dir, parseModelRef('open/m@1.0.0'), {
      signaturePath: published.signaturePath,
      publicKeyPem: published.key.publicKeyPem,
    });
    const reused = await signedModel({ 'config.json': '{"acme":3}', 'weights.bin': 'open weights' });
    const pushed = await pushModel(t.client('acme', 'push'), reused.dir, parseModelRef('acme/reused@1.0.0'), {
      signaturePath: reused.signaturePath,
      publicKeyPem: reused.key.publicKeyPem,
    });
    expect(pushed).toMatchObject({ uploaded: 1, deduplicated: 1 });
  });
});

describe('yanks bind content: yanked bytes cannot be re-published under a new version without an audited admin override', () => {
  let t: Awaited<ReturnType<typeof twoTenants>>;
  let model: Awaited<ReturnType<typeof signedModel>>;
  const push = (ns: string, scope: Scope, ref: string, extra: { overrideYank?: boolean } = {}) =>
    pushModel(t.client(ns, scope), model.dir, parseModelRef(ref), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
      ...extra,
    });
  beforeAll(async () => {
    t = await twoTenants();
    model = await signedModel({ 'config.json': '{"yank":1}', 'weights.bin': 'weights with a CVE' });
    await push('acme', 'push', 'acme/m@1.0.0');
    await t.client('acme', 'admin').json('POST', '/v1/namespaces/acme/models/m/versions/1.0.0/yank', {
      json: { reason: 'CVE-2026-0001' },
    });
  });
  afterAll(async () => t.registry.app.close());

  it('the same root digest as the next patch, or under another model of the namespace, is refused (REGISTRY_CONTENT_YANKED)', async () => {
    for (const ref of ['acme/m@1.0.1', 'acme/renamed@1.0.0'])
      await expect(push('acme', 'push', ref), ref).rejects.toMatchObject({
        code: 'REGISTRY_CONTENT_YANKED',
        details: { yanked: [{ model: 'm', version: '1.0.0', reason: 'CVE-2026-0001' }] },
      });
    for (const v of ['m/versions/1.0.1', 'renamed/versions/1.0.0'])
      expect((await t.call('GET', `/v1/namespaces/acme/models/${v}`, t.tokens['acme:read'])).status).toBe(404);
    const audit = await t
      .client('acme', 'admin')
      .json<{ entries: { action: string; outcome: string; details: { code?: string } }[] }>('GET', '/v1/audit?namespace=acme');
    expect(audit.entries[0]).toMatchObject({
      action: 'version.push',
      outcome: 'refused',
      details: { code: 'REGISTRY_CONTENT_YANKED' },
    });
  });

  it('a push token cannot override; other content and another namespace are not affected', async () => {
    await expect(push('acme', 'push', 'acme/m@1.0.1', { overrideYank: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // beta's yank state is its own: the same bytes publish there.
    await expect(push('beta', 'push', 'beta/m@1.0.0')).resolves.toMatchObject({ rootDigest: model.digest.rootDigest });
    const other = await signedModel({ 'config.json': '{"fixed":1}', 'weights.bin': 'fixed weights' });
    await expect(
      pushModel(t.client('acme', 'push'), other.dir, parseModelRef('acme/m@1.0.2'), {
        signaturePath: other.signaturePath,
        publicKeyPem: other.key.publicKeyPem,
      }),
    ).resolves.toMatchObject({ version: '1.0.2' });
  });

  it('a namespace admin overrides: audited, marked in the log entry; pull and check still refuse it without --allow-yanked', {
    timeout: 60_000,
  }, async () => {
    // Through the CLI (`push --override-yank`), with acme's admin token.
    const keyFile = path.join(tempDir(), 'key.pub');
    writeFileSync(keyFile, model.key.publicKeyPem);
    const run = await runCli(['push', model.dir, 'acme/m@1.0.1', '--override-yank', '--public-key', keyFile, '--json'], {
      env: { MODELSEC_REGISTRY: t.url, MODELSEC_TOKEN: t.tokens['acme:admin'], MODELSEC_CONFIG_DIR: tempDir('modelsec-cfg-') },
    });
    expect(run.code, run.stderr).toBe(0);
    const pushed = run.json<{ version: { version: string; rootDigest: string; logIndex: number } }>().version;
    expect(pushed).toMatchObject({ version: '1.0.1', rootDigest: model.digest.rootDigest });
    const audit = await t
      .client('acme', 'admin')
      .json<{ entries: { action: string; outcome: string; details: object }[] }>('GET', '/v1/audit?namespace=acme');
    expect(audit.entries[0]).toMatchObject({
      action: 'version.push',
      outcome: 'ok',
      details: { yankOverride: [{ model: 'm', version: '1.0.0', reason: 'CVE-2026-0001' }] },
    });
    const opening = await t.client('acme', 'read').json<{ entry: string }>('GET', `/v1/log/openings/${pushed.logIndex}`);
    expect(JSON.parse(opening.entry)).toMatchObject({ type: 'publish', version: '1.0.1', yankOverride: true });

    // The client reads the yank from the verified log (content-bound), whatever the API says.
    const trust = { configDir: tempDir('modelsec-cfg-'), cliSigners: [{ publicKey: model.key.publicKeyPem }] };
    const reader = t.client('acme', 'read');
    const out = path.join(tempDir(), 'out');
    await expect(pullModel(reader, parseModelRef('acme/m@1.0.1'), out, trust)).rejects.toMatchObject({
      code: 'VERSION_YANKED',
      message: expect.stringContaining('--allow-yanked'),
    });
    const checked = await checkModel(reader, model.dir, { ...trust, expectations: [parseExpectation('acme/m@1.0.1')] });
    expect(checked.failed.map((f) => f.code)).toEqual(['VERSION_YANKED']);
    const allowed = await pullModel(reader, parseModelRef('acme/m@1.0.1'), out, { ...trust, allowYanked: true });
    expect(allowed.warnings.join('\n')).toContain('CVE-2026-0001');
    expect(readFileSync(path.join(out, 'weights.bin'), 'utf8')).toBe('weights with a CVE');
    const allowedCheck = await checkModel(reader, model.dir, {
      ...trust,
      allowYanked: true,
      expectations: [parseExpectation('acme/m@1.0.1')],
    });
    expect(allowedCheck.ok).toBe(true);
  });
});
