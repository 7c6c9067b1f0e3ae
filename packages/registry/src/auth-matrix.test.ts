import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, testRegistry } from './test-support.js';

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
];

describe('authorisation matrix: every route x no token / wrong namespace / wrong scope / right scope', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    registry = await testRegistry();
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
