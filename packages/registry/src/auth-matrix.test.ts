import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, signedModel, testRegistry } from './test-support.js';

type Scope = 'read' | 'push' | 'admin' | 'registry-admin';
const D = 'a'.repeat(64);
const U = 'b'.repeat(32);

/** Every route of the API with the scope it needs on the private namespace `acme`. */
const ROUTES: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'HEAD' | 'DELETE'; url: string; scope: Scope; payload?: object }[] = [
  { method: 'POST', url: '/v1/namespaces', scope: 'registry-admin', payload: { name: 'new-ns' } },
  { method: 'GET', url: '/v1/namespaces/acme', scope: 'read' },
  { method: 'GET', url: '/v1/namespaces/acme/policy', scope: 'read' },
  { method: 'PUT', url: '/v1/namespaces/acme/policy', scope: 'admin', payload: { scan: { required: false } } },
  { method: 'GET', url: '/v1/namespaces/acme/policy/history', scope: 'admin' },
  { method: 'POST', url: '/v1/namespaces/acme/tokens', scope: 'admin', payload: { scope: 'read' } },
  { method: 'GET', url: '/v1/namespaces/acme/tokens', scope: 'admin' },
  { method: 'DELETE', url: `/v1/namespaces/acme/tokens/${U}`, scope: 'admin' },
  { method: 'GET', url: '/v1/namespaces/acme/models', scope: 'read' },
  { method: 'GET', url: '/v1/namespaces/acme/models/m/versions', scope: 'read' },
  { method: 'GET', url: '/v1/namespaces/acme/models/m/versions/1.0.0', scope: 'read' },
  {
    method: 'PUT',
    url: '/v1/namespaces/acme/models/m/versions/1.0.0',
    scope: 'push',
    payload: { files: [{ path: 'a', digest: D, size: 1 }], bundle: D },
  },
  { method: 'POST', url: '/v1/namespaces/acme/models/m/versions/1.0.0/yank', scope: 'admin', payload: { reason: 'x' } },
  { method: 'HEAD', url: `/v1/namespaces/acme/blobs/${D}`, scope: 'push' },
  { method: 'GET', url: `/v1/namespaces/acme/blobs/${D}`, scope: 'read' },
  { method: 'PUT', url: `/v1/namespaces/acme/blobs/${D}`, scope: 'push' },
  { method: 'POST', url: '/v1/namespaces/acme/uploads', scope: 'push' },
  { method: 'GET', url: `/v1/namespaces/acme/uploads/${U}`, scope: 'push' },
  { method: 'PATCH', url: `/v1/namespaces/acme/uploads/${U}`, scope: 'push' },
  { method: 'PUT', url: `/v1/namespaces/acme/uploads/${U}?digest=${D}`, scope: 'push' },
  { method: 'GET', url: '/v1/audit?namespace=acme', scope: 'admin' },
  { method: 'GET', url: '/v1/audit', scope: 'registry-admin' },
  { method: 'GET', url: '/v1/tokens', scope: 'registry-admin' },
  { method: 'DELETE', url: `/v1/tokens/${U}`, scope: 'registry-admin' },
];

describe('authorisation matrix: every route x no token / wrong namespace / wrong scope / right scope', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    // This matrix makes ~50 refused anonymous requests from one address on purpose: lift that rate limit.
    registry = await testRegistry({ anonymousRefusalLimits: { perWindow: 10_000 } });
    const h = { authorization: `Bearer ${ADMIN}` };
    for (const name of ['acme', 'other'])
      await registry.app.inject({ method: 'POST', url: '/v1/namespaces', headers: h, payload: { name } });
    for (const [ns, scope] of [
      ['acme', 'read'],
      ['acme', 'push'],
      ['acme', 'admin'],
      ['other', 'admin'],
    ] as const) {
      const r = await registry.app.inject({ method: 'POST', url: `/v1/namespaces/${ns}/tokens`, headers: h, payload: { scope } });
      tokens[`${ns}:${scope}`] = r.json().token;
    }
  });
  afterAll(async () => registry.app.close());

  const send = (route: (typeof ROUTES)[number], token?: string) =>
    registry.app.inject({
      method: route.method,
      url: route.url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(route.payload
          ? {}
          : route.method === 'PUT' || route.method === 'PATCH'
            ? { 'content-type': 'application/octet-stream', 'upload-offset': '0' }
            : {}),
      },
      ...(route.payload
        ? { payload: route.payload }
        : route.method === 'PUT' || route.method === 'PATCH'
          ? { payload: Buffer.from('x') }
          : {}),
    });

  for (const route of ROUTES) {
    it(`${route.method} ${route.url} (${route.scope})`, async () => {
      const none = await send(route);
      expect(none.statusCode, 'no token').toBe(401);
      if (route.method !== 'HEAD') expect(none.json().error.code).toBe('UNAUTHENTICATED');
      expect((await send(route, 'msk_unknown')).statusCode, 'unknown token').toBe(401);

      const wrongNs = await send(route, tokens['other:admin']);
      expect(wrongNs.statusCode, 'wrong namespace').toBe(403);

      const order: Scope[] = ['read', 'push', 'admin'];
      if (route.scope !== 'read') {
        const lower = route.scope === 'registry-admin' ? 'admin' : (order[order.indexOf(route.scope) - 1] as Scope);
        const wrongScope = await send(route, tokens[`acme:${lower}`]);
        expect(wrongScope.statusCode, `wrong scope ${lower}`).toBe(403);
      }
      const right = await send(route, route.scope === 'registry-admin' ? ADMIN : tokens[`acme:${route.scope}`]);
      expect([401, 403], `right scope answered ${right.statusCode} ${right.body}`).not.toContain(right.statusCode);
    });
  }

  it('lets anyone read a public namespace but never write it', async () => {
    await registry.app.inject({
      method: 'POST',
      url: '/v1/namespaces',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { name: 'open', public: true },
    });
    expect((await registry.app.inject({ method: 'GET', url: '/v1/namespaces/open/models' })).statusCode).toBe(200);
    expect((await registry.app.inject({ method: 'POST', url: '/v1/namespaces/open/uploads' })).statusCode).toBe(401);
    const listed = await registry.app.inject({ method: 'GET', url: '/v1/namespaces' });
    expect(listed.json().namespaces.map((n: { name: string }) => n.name)).toEqual(['open']);
  });
});

/**
 * Object-level cases: a caller with full rights on its own namespace `other` names an object of the private
 * namespace `acme` (a blob digest, an upload session, a token id, a model, a log entry) through every route.
 * Each answers as if the object did not exist, changes nothing of acme's, and acme's own token reaches the object.
 */
describe('authorisation matrix, object level: a resource of another namespace, by every route', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  const tokens: Record<string, string> = {};
  const acme = { digest: '', bundle: '', rootDigest: '', upload: '', tokenId: '', logIndex: -1 };
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    registry = await testRegistry();
    for (const name of ['acme', 'other']) {
      await registry.app.inject({ method: 'POST', url: '/v1/namespaces', headers: auth(ADMIN), payload: { name } });
      await registry.app.inject({
        method: 'PUT',
        url: `/v1/namespaces/${name}/policy`,
        headers: auth(ADMIN),
        payload: { scan: { required: false } },
      });
      const r = await registry.app.inject({
        method: 'POST',
        url: `/v1/namespaces/${name}/tokens`,
        headers: auth(ADMIN),
        payload: { scope: 'admin' },
      });
      tokens[name] = r.json().token;
      if (name === 'acme') acme.tokenId = r.json().id;
    }
    const model = await signedModel({ 'weights.bin': 'acme private weights' });
    const put = async (bytes: Buffer) => {
      const digest = sha(bytes);
      await registry.app.inject({
        method: 'PUT',
        url: `/v1/namespaces/acme/blobs/${digest}`,
        headers: { ...auth(tokens.acme as string), 'content-type': 'application/octet-stream' },
        payload: bytes,
      });
      return digest;
    };
    acme.digest = await put(readFileSync(path.join(model.dir, 'weights.bin')));
    acme.bundle = await put(Buffer.from(JSON.stringify(model.bundle)));
    const pushed = await registry.app.inject({
      method: 'PUT',
      url: '/v1/namespaces/acme/models/m/versions/1.0.0',
      headers: auth(tokens.acme as string),
      payload: {
        files: [{ path: 'weights.bin', digest: acme.digest, size: 20 }],
        bundle: acme.bundle,
        publicKey: model.key.publicKeyPem,
      },
    });
    expect(pushed.statusCode, pushed.body).toBe(201);
    acme.rootDigest = pushed.json().rootDigest;
    acme.logIndex = pushed.json().logIndex;
    const session = await registry.app.inject({
      method: 'POST',
      url: '/v1/namespaces/acme/uploads',
      headers: auth(tokens.acme as string),
    });
    acme.upload = session.json().id;
    await registry.app.inject({
      method: 'PATCH',
      url: `/v1/namespaces/acme/uploads/${acme.upload}`,
      headers: { ...auth(tokens.acme as string), 'content-type': 'application/octet-stream', 'upload-offset': '0' },
      payload: Buffer.from('abc'),
    });
  });
  afterAll(async () => registry.app.close());

  const as = (token: string, request: InjectOptions) =>
    registry.app.inject({ ...request, headers: { ...auth(token), ...(request.headers ?? {}) } });
  const octet = { 'content-type': 'application/octet-stream' };
  const appendAt0 = { ...octet, 'upload-offset': '0' };

  /**
   * Per route (method + OpenAPI path): the attack by other's admin token (ns = `other`, the object acme's), what it must
   * answer, and the control by acme's token. `check` sees the attack's answer.
   */
  const CASES: Record<
    string,
    { attack: () => InjectOptions; expect: number; code?: string; control?: () => InjectOptions; check?: (body: string) => void }
  > = {
    'HEAD /v1/namespaces/{ns}/blobs/{digest}': {
      attack: () => ({ method: 'HEAD', url: `/v1/namespaces/other/blobs/${acme.digest}` }),
      expect: 404,
      control: () => ({ method: 'HEAD', url: `/v1/namespaces/acme/blobs/${acme.digest}` }),
    },
    'GET /v1/namespaces/{ns}/blobs/{digest}': {
      attack: () => ({ method: 'GET', url: `/v1/namespaces/other/blobs/${acme.digest}` }),
      expect: 404,
      code: 'NOT_FOUND',
      control: () => ({ method: 'GET', url: `/v1/namespaces/acme/blobs/${acme.digest}` }),
    },
    'PUT /v1/namespaces/{ns}/blobs/{digest}': {
      // Claiming acme's digest without its bytes: the registry hashes what arrives.
      attack: () => ({
        method: 'PUT',
        url: `/v1/namespaces/other/blobs/${acme.digest}`,
        headers: octet,
        payload: Buffer.from('x'),
      }),
      expect: 400,
      code: 'DIGEST_MISMATCH',
    },
    'PUT /v1/namespaces/{ns}/models/{model}/versions/{version}': {
      attack: () => ({
        method: 'PUT',
        url: '/v1/namespaces/other/models/m/versions/1.0.0',
        payload: { files: [{ path: 'weights.bin', digest: acme.digest, size: 20 }], bundle: acme.bundle },
      }),
      expect: 400,
      code: 'REGISTRY_BLOB_MISSING',
    },
    'GET /v1/namespaces/{ns}/models/{model}/versions/{version}': {
      attack: () => ({ method: 'GET', url: '/v1/namespaces/other/models/m/versions/1.0.0' }),
      expect: 404,
      code: 'NOT_FOUND',
      control: () => ({ method: 'GET', url: '/v1/namespaces/acme/models/m/versions/1.0.0' }),
    },
    'GET /v1/namespaces/{ns}/models/{model}/versions': {
      attack: () => ({ method: 'GET', url: '/v1/namespaces/other/models/m/versions' }),
      expect: 200,
      check: (body) => expect(JSON.parse(body)).toEqual({ versions: [] }),
      control: () => ({ method: 'GET', url: '/v1/namespaces/acme/models/m/versions' }),
    },
    'GET /v1/namespaces/{ns}/models': {
      attack: () => ({ method: 'GET', url: '/v1/namespaces/other/models' }),
      expect: 200,
      check: (body) => expect(JSON.parse(body)).toEqual({ models: [] }),
    },
    'POST /v1/namespaces/{ns}/models/{model}/versions/{version}/yank': {
      attack: () => ({ method: 'POST', url: '/v1/namespaces/other/models/m/versions/1.0.0/yank', payload: { reason: 'x' } }),
      expect: 404,
      code: 'NOT_FOUND',
    },
    'DELETE /v1/namespaces/{ns}/tokens/{id}': {
      attack: () => ({ method: 'DELETE', url: `/v1/namespaces/other/tokens/${acme.tokenId}` }),
      expect: 404,
      code: 'NOT_FOUND',
    },
    'GET /v1/namespaces/{ns}/tokens': {
      attack: () => ({ method: 'GET', url: '/v1/namespaces/other/tokens' }),
      expect: 200,
      check: (body) => expect(body).not.toContain(acme.tokenId),
    },
    'GET /v1/namespaces/{ns}/uploads/{id}': {
      attack: () => ({ method: 'GET', url: `/v1/namespaces/other/uploads/${acme.upload}` }),
      expect: 404,
      code: 'NOT_FOUND',
      control: () => ({ method: 'GET', url: `/v1/namespaces/acme/uploads/${acme.upload}` }),
    },
    'PATCH /v1/namespaces/{ns}/uploads/{id}': {
      attack: () => ({
        method: 'PATCH',
        url: `/v1/namespaces/other/uploads/${acme.upload}`,
        headers: { ...appendAt0, 'upload-offset': '3' },
        payload: Buffer.from('def'),
      }),
      expect: 404,
      code: 'NOT_FOUND',
    },
    'PUT /v1/namespaces/{ns}/uploads/{id}': {
      attack: () => ({ method: 'PUT', url: `/v1/namespaces/other/uploads/${acme.upload}?digest=${sha('abc')}` }),
      expect: 404,
      code: 'NOT_FOUND',
    },
    'GET /v1/audit': {
      attack: () => ({ method: 'GET', url: '/v1/audit?namespace=other' }),
      expect: 200,
      check: (body) =>
        expect(JSON.parse(body).entries.map((e: { target: string }) => e.target.split(/[/@#]/)[0])).not.toContain('acme'),
    },
    'GET /v1/versions': {
      attack: () => ({ method: 'GET', url: `/v1/versions?rootDigest=${acme.rootDigest}` }),
      expect: 200,
      check: (body) => expect(JSON.parse(body)).toEqual({ versions: [] }),
      control: () => ({ method: 'GET', url: `/v1/versions?rootDigest=${acme.rootDigest}` }),
    },
    'GET /v1/log/lookup': {
      attack: () => ({ method: 'GET', url: '/v1/log/lookup?namespace=acme&model=m&version=1.0.0' }),
      expect: 404,
      code: 'NOT_FOUND',
      control: () => ({ method: 'GET', url: '/v1/log/lookup?namespace=acme&model=m&version=1.0.0' }),
    },
    'GET /v1/log/openings/{index}': {
      attack: () => ({ method: 'GET', url: `/v1/log/openings/${acme.logIndex}` }),
      expect: 404,
      code: 'NOT_FOUND',
      control: () => ({ method: 'GET', url: `/v1/log/openings/${acme.logIndex}` }),
    },
    'GET /v1/log/openings': {
      attack: () => ({ method: 'GET', url: '/v1/log/openings?namespace=acme' }),
      expect: 404,
      code: 'NOT_FOUND',
      control: () => ({ method: 'GET', url: '/v1/log/openings?namespace=acme' }),
    },
    'GET /v1/log/entries/{index}': {
      // The leaf is public but sealed: it commits to acme's entry without naming it.
      attack: () => ({ method: 'GET', url: `/v1/log/entries/${acme.logIndex}` }),
      expect: 200,
      check: (body) => {
        expect(body).not.toContain('acme');
        expect(body).not.toContain(acme.rootDigest);
      },
    },
    'GET /v1/lineage/{ns}/{model}/{version}': {
      attack: () => ({ method: 'GET', url: '/v1/lineage/acme/m/1.0.0' }),
      expect: 404,
      code: 'NOT_FOUND',
      control: () => ({ method: 'GET', url: '/v1/lineage/acme/m/1.0.0' }),
    },
    'GET /v1/tokens': {
      // Registry-wide tokens and other namespaces' tokens: the registry admin's only.
      attack: () => ({ method: 'GET', url: '/v1/tokens' }),
      expect: 403,
      code: 'FORBIDDEN',
    },
    'DELETE /v1/tokens/{id}': {
      attack: () => ({ method: 'DELETE', url: `/v1/tokens/${acme.tokenId}` }),
      expect: 403,
      code: 'FORBIDDEN',
    },
    'GET /v1/lineage/derived': {
      attack: () => ({ method: 'GET', url: `/v1/lineage/derived?digest=${acme.rootDigest}` }),
      expect: 200,
      check: (body) => expect(body).not.toContain('acme'),
    },
  };
  /** Routes that name no object inside a namespace: the namespace itself is the object (the matrix above covers it). */
  const NO_OBJECT: Record<string, string> = {
    'GET /v1/health': 'no data',
    'GET /v1/openapi.json': 'no data',
    'GET /v1/log/checkpoint': 'the public tree head',
    'GET /v1/log/key': 'the public log key',
    'GET /v1/log/tile/*': 'public hashes and sealed leaves (as /v1/log/entries)',
    'GET /v1/log/proofs/inclusion': 'public hashes',
    'GET /v1/log/proofs/consistency': 'public hashes',
    'GET /v1/namespaces': 'lists only readable namespaces (tested in the matrix above)',
    'POST /v1/namespaces': 'creates a namespace (registry admin)',
    'GET /v1/namespaces/{ns}': 'the namespace is the object',
    'GET /v1/namespaces/{ns}/policy': 'the namespace is the object',
    'PUT /v1/namespaces/{ns}/policy': 'the namespace is the object',
    'GET /v1/namespaces/{ns}/policy/history': 'the namespace is the object',
    'POST /v1/namespaces/{ns}/tokens': 'creates a token of the namespace in the path',
    'POST /v1/namespaces/{ns}/uploads': 'creates a session of the namespace in the path',
  };

  it('every route of the API (the OpenAPI document, plus HEAD) has an object-level case or a stated reason for none', async () => {
    const doc = (await registry.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
    );
    routes.push('HEAD /v1/namespaces/{ns}/blobs/{digest}');
    expect(routes.filter((r) => !(r in CASES) && !(r in NO_OBJECT))).toEqual([]);
    expect(Object.keys(CASES).filter((r) => !routes.includes(r))).toEqual([]);
  });

  for (const [route, c] of Object.entries(CASES)) {
    it(`${route}: another namespace's object is out of reach; its owner reaches it`, async () => {
      const r = await as(tokens.other as string, c.attack());
      expect(r.statusCode, r.body).toBe(c.expect);
      if (c.code) expect(r.json().error.code).toBe(c.code);
      c.check?.(r.body);
      if (c.control) {
        const ok = await as(tokens.acme as string, c.control());
        expect(ok.statusCode, ok.body).toBe(200);
        if (ok.body !== '') expect(ok.body).not.toEqual(r.body);
      }
    });
  }

  it("after every attack acme's objects are intact: the version is not yanked, the token works, the upload kept its bytes", async () => {
    const v = await as(tokens.acme as string, { method: 'GET', url: '/v1/namespaces/acme/models/m/versions/1.0.0' });
    expect(v.json()).toMatchObject({ yanked: false });
    const listed = await as(ADMIN, { method: 'GET', url: '/v1/tokens' });
    expect(listed.json().tokens.find((x: { id: string }) => x.id === acme.tokenId)).toMatchObject({ revoked: false });
    const upload = await as(tokens.acme as string, { method: 'GET', url: `/v1/namespaces/acme/uploads/${acme.upload}` });
    expect(upload.json()).toMatchObject({ offset: 3 });
    const other = await as(tokens.other as string, { method: 'GET', url: '/v1/namespaces/other/models/m/versions/1.0.0' });
    expect(other.statusCode).toBe(404);
  });
});
