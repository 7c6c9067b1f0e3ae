/**
 * Two tenants over real HTTP for the registry's isolation tests (tests/registry/server/tenancy.test.ts,
 * tests/registry/server/probe-2026-12-03.test.ts): a registry on 127.0.0.1 with private namespaces acme and beta, a
 * public one (open), and a token per namespace and scope.
 */
import { RegistryClient } from '@modelsec/registry';
import { ADMIN, testRegistry } from '../../packages/registry/src/test-support.js';

export type Scope = 'read' | 'push' | 'admin';
export type Answer = { error: { code: string; message: string; details: Record<string, unknown> } } & Record<string, unknown>;

/** A registry over HTTP with namespaces acme, beta (private) and open (public), and a token per namespace and scope. */
export async function twoTenants(extra: Parameters<typeof testRegistry>[0] = {}) {
  const registry = await testRegistry(extra);
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
  const call = (method: string, route: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined
          ? {}
          : { 'content-type': body instanceof Uint8Array ? 'application/octet-stream' : 'application/json' }),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : { body: body instanceof Uint8Array ? body : typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const answer = async (r: Response) => {
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as Answer };
  };
  return { registry, url, admin, tokens, client, call, answer };
}
export type Tenants = Awaited<ReturnType<typeof twoTenants>>;

/**
 * Stops the server. A client that refused a response mid-way (a pull refusing a yanked version) may leave a
 * keep-alive socket with an unread body, which fastify's close would wait on: close those sockets first.
 */
export async function closeServer(t: Tenants): Promise<void> {
  t.registry.app.server.closeAllConnections();
  await t.registry.app.close();
}
