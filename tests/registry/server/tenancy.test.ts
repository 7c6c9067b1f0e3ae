/**
 * Tenant isolation on the server, over real HTTP with two private namespaces (acme, beta), a public one (open) and
 * real tokens: each attack of issue 12's server-side classes is refused with a stable code, and the honest
 * control passes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixedClock, MAX_BOM_NESTING_DEPTH } from '@modelsec/core';
import { checkModel, createRegistry, parseExpectation, parseModelRef, pullModel, pushModel } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_REFUSALS_PER_WINDOW } from '../../../packages/registry/src/refusal-limiter.js';
import { ADMIN, signedModel, tempDir } from '../../../packages/registry/src/test-support.js';
import { runCli } from '../../helpers/cli.js';
import { type Answer, closeServer, type Scope, twoTenants } from '../../helpers/two-tenants.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const json = async (r: Response) => (await r.json()) as Answer;

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
  afterAll(async () => closeServer(t));

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
    // Unpublished uploads are for the namespace's pushers; its readers get published content only.
    expect((await t.call('GET', `/v1/namespaces/beta/blobs/${pending}`, t.tokens['beta:push'])).status).toBe(200);
    expect((await t.call('GET', `/v1/namespaces/beta/blobs/${pending}`, t.tokens['beta:read'])).status).toBe(404);

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
  afterAll(async () => closeServer(t));

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

describe('malformed JSON bodies answer 400 INVALID_JSON (never 500 INTERNAL)', () => {
  let t: Awaited<ReturnType<typeof twoTenants>>;
  beforeAll(async () => {
    t = await twoTenants();
  });
  afterAll(async () => closeServer(t));

  it('syntax errors, truncation, prototype-poisoning keys and deep nesting, on every JSON route kind', async () => {
    const bodies = [
      '{bad',
      '{"scan":',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '['.repeat(100_000),
      '\u0000',
    ];
    const routes: [string, string, string][] = [
      ['POST', '/v1/namespaces', ADMIN],
      ['PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'] as string],
      ['PUT', '/v1/namespaces/acme/models/m/versions/1.0.0', t.tokens['acme:push'] as string],
      ['POST', '/v1/namespaces/acme/models/m/versions/1.0.0/yank', t.tokens['acme:admin'] as string],
      ['POST', '/v1/namespaces/acme/tokens', t.tokens['acme:admin'] as string],
    ];
    for (const [method, route, token] of routes)
      for (const body of bodies) {
        const r = await t.call(method, route, token, body);
        expect([route, body.slice(0, 20), r.status, (await json(r)).error.code]).toEqual([
          route,
          body.slice(0, 20),
          400,
          'INVALID_JSON',
        ]);
      }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Control: the same routes with well-formed bodies.
    expect(
      (await t.call('PUT', '/v1/namespaces/acme/policy', t.tokens['acme:admin'], { scan: { required: false } })).status,
    ).toBe(200);
    expect((await t.call('POST', '/v1/namespaces/acme/tokens', t.tokens['acme:admin'], { scope: 'read' })).status).toBe(201);
  });
});

describe('the audit log pages without losing rows, and anonymous refusals cannot flood it', () => {
  let t: Awaited<ReturnType<typeof twoTenants>>;
  let clockMs = Date.parse('2026-03-01T00:00:00Z');
  const clock = { now: () => new Date(clockMs) };
  beforeAll(async () => {
    // Token refusals are rate-limited too (tests/registry/server/probe-2026-12-04.test.ts); this test is about paging.
    t = await twoTenants({ clock, tokenRefusalLimits: { perWindow: 10_000 } });
  });
  afterAll(async () => closeServer(t));

  type Page = { entries: { id: number; actor: string; action: string; target: string; outcome: string }[]; next: string | null };
  const page = async (query: string) => (await (await t.call('GET', `/v1/audit?${query}`, ADMIN)).json()) as Page;

  it('1,100 refused requests of another tenant after a real push: every row is reachable page by page, the push included', async () => {
    const model = await signedModel({ 'config.json': '{"audit":1}', 'weights.bin': 'audited weights' });
    await pushModel(t.client('acme', 'push'), model.dir, parseModelRef('acme/m@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    // beta's push token trying acme 1,100 times: authenticated refusals under their limit are all audited.
    const attempts = Array.from({ length: 1100 }, (_, i) => i);
    for (let i = 0; i < attempts.length; i += 20)
      await Promise.all(
        attempts.slice(i, i + 20).map(async () => {
          const r = await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['beta:push']);
          expect(r.status).toBe(403);
        }),
      );
    const first = await page('limit=1000');
    expect(first.entries).toHaveLength(1000);
    expect(first.next).not.toBeNull();
    const rest = await page(`limit=1000&before=${first.next}`);
    const all = [...first.entries, ...rest.entries];
    expect(rest.next).toBeNull();
    expect(all.filter((e) => e.action === 'upload.start' && e.outcome === 'refused')).toHaveLength(1100);
    expect(all.some((e) => e.action === 'version.push' && e.outcome === 'ok' && e.target === 'acme/m@1.0.0')).toBe(true);
    // Ids strictly decrease across pages: nothing repeated, nothing skipped.
    const ids = all.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(ids.length);
    // The CLI pages the same way: `registry audit` says where the next page starts, `--before` reads it.
    const env = { MODELSEC_REGISTRY: t.url, MODELSEC_TOKEN: ADMIN };
    const cliFirst = await runCli(['registry', 'audit', '--limit', '1000', '--json'], { env });
    expect(cliFirst.json()).toMatchObject({ next: first.next });
    expect(cliFirst.stderr).toContain(`--before ${first.next}`);
    const cliRest = await runCli(['registry', 'audit', '--limit', '1000', '--before', String(first.next), '--json'], { env });
    expect(cliRest.json<Page>().entries.map((e) => e.id)).toEqual(rest.entries.map((e) => e.id));
    // A limit above the page size is clamped, never an error; filters narrow the view.
    expect((await page('limit=5000')).entries).toHaveLength(1000);
    const pushes = await page('outcome=ok&namespace=acme');
    expect(pushes.entries.map((e) => e.action)).toContain('version.push');
    expect(pushes.entries.every((e) => e.outcome === 'ok')).toBe(true);
  }, 120_000);

  it('anonymous refusals past the named limit answer 429 RATE_LIMITED and stop adding rows; tokens and the next window pass', async () => {
    const before = (await page('actor=anonymous&limit=1000')).entries.length;
    // Not counted: anonymous reads of a public namespace that find nothing (a CI farm behind one address).
    for (let i = 0; i < 2 * ANONYMOUS_REFUSALS_PER_WINDOW; i++)
      expect((await t.call('GET', '/v1/namespaces/open/models/none/versions/1.0.0', undefined)).status).toBe(404);
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await t.call('POST', '/v1/namespaces/acme/uploads', undefined)).status);
    expect(statuses.slice(0, ANONYMOUS_REFUSALS_PER_WINDOW)).toEqual(Array(ANONYMOUS_REFUSALS_PER_WINDOW).fill(401));
    expect(new Set(statuses.slice(ANONYMOUS_REFUSALS_PER_WINDOW))).toEqual(new Set([429]));
    const limited = await t.call('GET', '/v1/namespaces/acme/models', 'msk_not-a-token');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await json(limited)).error.code).toBe('RATE_LIMITED');
    const anonymous = (await page('actor=anonymous&limit=1000')).entries;
    // At most the allowed refusals plus one row saying the limit tripped.
    expect(anonymous.length - before).toBe(ANONYMOUS_REFUSALS_PER_WINDOW + 1);
    expect(anonymous[0]).toMatchObject({ action: 'rate-limit.anonymous', outcome: 'refused' });
    // Real tokens from the same address are not limited, and their refusals are still audited.
    expect((await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['acme:push'])).status).toBe(201);
    expect((await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['beta:push'])).status).toBe(403);
    expect((await page('limit=1')).entries[0]).toMatchObject({ action: 'upload.start', outcome: 'refused' });
    expect((await page('limit=1')).entries[0]?.actor).not.toBe('anonymous');
    // The next window: anonymous requests are answered normally again.
    clockMs += 61_000;
    expect((await t.call('POST', '/v1/namespaces/acme/uploads', undefined)).status).toBe(401);
    expect((await t.call('GET', '/v1/namespaces/open/models', undefined)).status).toBe(200);
  });
});

describe('push-time licence walk: no depth cutoff that passes', () => {
  let t: Awaited<ReturnType<typeof twoTenants>>;
  beforeAll(async () => {
    t = await twoTenants();
    await t.admin.json('PUT', '/v1/namespaces/acme/policy', {
      json: { scan: { required: false }, licenses: { allowed: ['Apache-2.0'] } },
    });
  });
  afterAll(async () => closeServer(t));

  /** A CycloneDX 1.6 BOM whose components nest `depth` levels, the innermost declaring `deepLicense`. */
  function nestedBom(depth: number, deepLicense: string): string {
    let component: Record<string, unknown> = {
      type: 'library',
      name: `level-${depth}`,
      licenses: [{ license: { id: deepLicense } }],
    };
    for (let level = depth - 1; level >= 1; level--)
      component = {
        type: 'library',
        name: `level-${level}`,
        licenses: [{ license: { id: 'Apache-2.0' } }],
        components: [component],
      };
    return JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      metadata: { component: { type: 'machine-learning-model', name: 'm', licenses: [{ license: { id: 'Apache-2.0' } }] } },
      components: [component],
    });
  }
  const pushWithBom = async (version: string, bom: string) => {
    const model = await signedModel({ 'config.json': `{"licence":"${version}"}`, 'weights.bin': `weights ${version}` });
    const bomPath = path.join(tempDir(), 'bom.json');
    writeFileSync(bomPath, bom);
    return pushModel(t.client('acme', 'push'), model.dir, parseModelRef(`acme/m@${version}`), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
      bomPath,
    });
  };

  it('a GPL licence 40 levels down is found and refused; a BOM nested past the named limit is refused (LIMIT_EXCEEDED)', async () => {
    // The old walk stopped at 33 levels of components and let this pass.
    await expect(pushWithBom('1.0.0', nestedBom(40, 'GPL-3.0-only'))).rejects.toMatchObject({
      code: 'POLICY_DENIED',
      details: { failed: [{ rule: 'licenses', details: { licenses: ['GPL-3.0-only'] } }] },
    });
    // Each component level is two JSON levels: past MAX_BOM_NESTING_DEPTH the BOM is refused, never walked in part.
    await expect(pushWithBom('1.0.1', nestedBom(MAX_BOM_NESTING_DEPTH / 2 + 1, 'Apache-2.0'))).rejects.toMatchObject({
      code: 'POLICY_DENIED',
      details: { failed: [{ rule: 'mlbom', code: 'LIMIT_EXCEEDED' }] },
    });
    // Controls: allowed licences at depth 40, and the deepest BOM that validates.
    await expect(pushWithBom('1.0.2', nestedBom(40, 'Apache-2.0'))).resolves.toMatchObject({ version: '1.0.2' });
    await expect(pushWithBom('1.0.3', nestedBom(MAX_BOM_NESTING_DEPTH / 2 - 4, 'Apache-2.0'))).resolves.toMatchObject({
      version: '1.0.3',
    });
    await expect(pushWithBom('1.0.4', nestedBom(MAX_BOM_NESTING_DEPTH / 2 - 4, 'GPL-3.0-only'))).rejects.toMatchObject({
      details: { failed: [{ rule: 'licenses', details: { licenses: ['GPL-3.0-only'] } }] },
    });
  });
});

describe('tokens: rotating MODELSEC_ADMIN_TOKEN retires the previous one; registry-wide tokens are listed and revoked', () => {
  const OLD = 'msk_admin-before-rotation';
  const NEW = 'msk_admin-after-rotation';
  const start = async (dataDir: string, adminToken?: string) => {
    const registry = await createRegistry({
      dataDir,
      ...(adminToken ? { adminToken } : {}),
      clock: fixedClock('2026-04-01T00:00:00Z'),
      scanner: null,
    });
    const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    const call = (method: string, route: string, token: string | undefined) =>
      fetch(`${url}${route}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { registry, url, call };
  };

  it('after a restart with a new MODELSEC_ADMIN_TOKEN the old one (and a generated one) is refused, audited; it cannot come back', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    const generated = first.registry.generatedAdminToken as string;
    expect((await first.call('GET', '/v1/audit', generated)).status).toBe(200);
    await first.registry.app.close();

    const second = await start(dataDir, OLD);
    expect((await second.call('GET', '/v1/audit', generated)).status).toBe(401);
    expect((await second.call('GET', '/v1/audit', OLD)).status).toBe(200);
    await second.registry.app.close();

    const third = await start(dataDir, NEW);
    try {
      const refused = await third.call('GET', '/v1/audit', OLD);
      expect(refused.status).toBe(401);
      expect((await json(refused)).error.code).toBe('UNAUTHENTICATED');
      const audit = (await (await third.call('GET', '/v1/audit?actor=system', NEW)).json()) as {
        entries: { action: string; details: { retired: string; current: string } }[];
      };
      expect(audit.entries.map((e) => [e.action, e.details.retired])).toEqual([
        ['token.rotate', `admin-${sha(OLD).slice(0, 12)}`],
        ['token.rotate', 'admin'],
      ]);
      const listed = (await (await third.call('GET', '/v1/tokens', NEW)).json()) as {
        tokens: { id: string; namespace: string | null; revoked: boolean; revokedBy: string | null }[];
      };
      expect(listed.tokens.map((x) => [x.id, x.namespace, x.revoked, x.revokedBy])).toEqual([
        ['admin', null, true, 'system'],
        [`admin-${sha(OLD).slice(0, 12)}`, null, true, 'system'],
        [`admin-${sha(NEW).slice(0, 12)}`, null, false, null],
      ]);
    } finally {
      await third.registry.app.close();
    }
    // Going back to a retired secret is refused at start (a leaked old token stays dead).
    await expect(start(dataDir, OLD)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('revoked'),
    });
    // Control: restarting with the current token changes nothing.
    const again = await start(dataDir, NEW);
    expect((await again.call('GET', '/v1/tokens', NEW)).status).toBe(200);
    await again.registry.app.close();
  });

  it('the registry admin lists every token without secrets and revokes any, audited; namespace admins cannot', async () => {
    const t = await twoTenants();
    try {
      const listed = await t.call('GET', '/v1/tokens', ADMIN);
      const text = await listed.text();
      for (const secret of [ADMIN, ...Object.values(t.tokens)]) expect(text).not.toContain(secret);
      expect(text).not.toContain('tokenHash');
      const tokens = (JSON.parse(text) as { tokens: { id: string; namespace: string | null; scope: string }[] }).tokens;
      expect(tokens.filter((x) => x.namespace === null).map((x) => x.scope)).toEqual(['admin']);
      expect(tokens.filter((x) => x.namespace !== null)).toHaveLength(9);
      expect((await t.call('GET', '/v1/tokens', t.tokens['acme:admin'])).status).toBe(403);

      const betaPush = await t.admin.json<{ tokens: { id: string; scope: string }[] }>('GET', '/v1/namespaces/beta/tokens');
      const victim = betaPush.tokens.find((x) => x.scope === 'push')?.id as string;
      // acme's admin cannot revoke beta's token through the registry-wide route.
      const refused = await t.call('DELETE', `/v1/tokens/${victim}`, t.tokens['acme:admin']);
      expect([refused.status, (await json(refused)).error.code]).toEqual([403, 'FORBIDDEN']);
      expect((await t.call('POST', '/v1/namespaces/beta/uploads', t.tokens['beta:push'])).status).toBe(201);

      // Through the CLI, with the registry admin token: list everything, revoke beta's push token.
      const env = { MODELSEC_REGISTRY: t.url, MODELSEC_TOKEN: ADMIN };
      const cliList = await runCli(['registry', 'token', 'list', '--json'], { env });
      expect(cliList.json<{ tokens: unknown[] }>().tokens).toHaveLength(10);
      const cliRevoke = await runCli(['registry', 'token', 'revoke', victim, '--json'], { env });
      expect(cliRevoke.json()).toMatchObject({ id: victim, namespace: 'beta', revoked: true });
      expect((await t.call('POST', '/v1/namespaces/beta/uploads', t.tokens['beta:push'])).status).toBe(401);
      const audit = await t
        .client('beta', 'admin')
        .json<{ entries: { action: string; details: { id: string } }[] }>('GET', '/v1/audit?namespace=beta&outcome=ok');
      expect(audit.entries[0]).toMatchObject({ action: 'token.revoke', details: { id: victim } });
      const registryWide = tokens.find((x) => x.namespace === null)?.id as string;
      const self = await t.call('DELETE', `/v1/tokens/${registryWide}`, ADMIN);
      expect(self.status).toBe(200);
      expect((await t.call('GET', '/v1/tokens', ADMIN)).status).toBe(401);
    } finally {
      await closeServer(t);
    }
  }, 60_000);
});
