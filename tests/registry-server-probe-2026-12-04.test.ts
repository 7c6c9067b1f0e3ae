/**
 * Third adversarial pass on the registry server (issue 12), over real HTTP on 127.0.0.1 with two private namespaces
 * (acme, beta), a public one (open) and real tokens (tests/helpers/two-tenants.ts). Each describe is one class that
 * gave way before this pass: the attack is refused with a stable code (or answers what an honest caller gets), and
 * the honest control passes.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../packages/registry/src/test-support.js';
import { freshPostgresSchema } from './helpers/registry-processes.js';
import { closeServer, type Tenants, twoTenants } from './helpers/two-tenants.js';

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
