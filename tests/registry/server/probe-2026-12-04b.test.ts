/**
 * Fourth adversarial pass on the registry server (issue 12), over real HTTP on 127.0.0.1 with two private namespaces
 * (acme, beta), a public one (open) and real tokens (tests/helpers/two-tenants.ts). Each describe is one class that
 * gave way before this pass: the attack is refused with a stable code, and the honest control passes.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseModelRef, pushModel } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TOKEN_LIFETIME_SECONDS, MIN_TOKEN_LIFETIME_SECONDS } from '../../../packages/registry/src/auth.js';
import { ADMIN, signedModel } from '../../../packages/registry/src/test-support.js';
import { closeServer, type Tenants, twoTenants } from '../../helpers/two-tenants.js';

type TokenRow = { id: string; namespace?: string | null; expiresAt: string | null; expired: boolean; revoked: boolean };
type AuditPage = {
  entries: { actor: string; action: string; target: string; outcome: string; details: Record<string, unknown> }[];
};

describe('tokens can be given an end of life: enforced at the clock, listed, audited (a leaked token used to work forever)', () => {
  let t: Tenants;
  let clockMs = Date.parse('2026-04-01T00:00:00Z');
  const clock = { now: () => new Date(clockMs) };
  beforeAll(async () => {
    t = await twoTenants({ clock });
  });
  afterAll(async () => closeServer(t));

  it('a push token made to live 120 s pushes until then and is refused UNAUTHENTICATED after, on every route', async () => {
    const made = await t.answer(
      await t.call('POST', '/v1/namespaces/acme/tokens', t.tokens['acme:admin'], { scope: 'push', expiresInSeconds: 120 }),
    );
    expect(made.status).toBe(201);
    expect(made.body.expiresAt).toBe('2026-04-01T00:02:00.000Z');
    const secret = made.body.token as string;
    const open = await t.call('POST', '/v1/namespaces/acme/uploads', secret);
    expect(open.status).toBe(201);
    clockMs += 119_000;
    expect((await t.call('GET', '/v1/namespaces/acme/models', secret)).status).toBe(200);
    clockMs += 1_000; // exactly at expiresAt: expired
    for (const [method, route] of [
      ['GET', '/v1/namespaces/acme/models'],
      ['POST', '/v1/namespaces/acme/uploads'],
      ['GET', '/v1/namespaces/open/models'],
    ] as const) {
      const r = await t.answer(await t.call(method, route, secret));
      expect(r.status, route).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
      expect(r.body.error.message).toContain('expired at 2026-04-01T00:02:00.000Z');
    }
    // Listed as expired to the namespace admin and the registry admin; the token without expiry is unaffected.
    const own = (await t.answer(await t.call('GET', '/v1/namespaces/acme/tokens', t.tokens['acme:admin']))).body
      .tokens as TokenRow[];
    const row = own.find((x) => x.id === made.body.id);
    expect(row).toMatchObject({ expiresAt: '2026-04-01T00:02:00.000Z', expired: true, revoked: false });
    expect(own.filter((x) => x.id !== made.body.id).every((x) => x.expiresAt === null && !x.expired)).toBe(true);
    const all = (await t.answer(await t.call('GET', '/v1/tokens', ADMIN))).body.tokens as TokenRow[];
    expect(all.find((x) => x.id === made.body.id)).toMatchObject({ namespace: 'acme', expired: true });
    expect((await t.call('GET', '/v1/namespaces/acme/models', t.tokens['acme:push'])).status).toBe(200);
    // The creation is audited with its end of life.
    const audit = (await t.answer(await t.call('GET', '/v1/audit?namespace=acme&limit=1000', ADMIN)))
      .body as unknown as AuditPage;
    expect(audit.entries.find((e) => e.details.id === made.body.id)?.details).toMatchObject({
      scope: 'push',
      expiresAt: '2026-04-01T00:02:00.000Z',
    });
  });

  it('a lifetime outside [MIN, MAX] or not a whole number is refused VALIDATION; nothing is created', async () => {
    const before = ((await t.answer(await t.call('GET', '/v1/tokens', ADMIN))).body.tokens as TokenRow[]).length;
    for (const expiresInSeconds of [0, -5, MIN_TOKEN_LIFETIME_SECONDS - 1, MAX_TOKEN_LIFETIME_SECONDS + 1, 1.5, '120']) {
      const r = await t.answer(
        await t.call('POST', '/v1/namespaces/acme/tokens', t.tokens['acme:admin'], { scope: 'read', expiresInSeconds }),
      );
      expect(r.status, String(expiresInSeconds)).toBe(400);
    }
    expect(((await t.answer(await t.call('GET', '/v1/tokens', ADMIN))).body.tokens as TokenRow[]).length).toBe(before);
  });

  it('the CLI makes a token with --expires-in and lists it as expiring', async () => {
    const run = promisify(execFile);
    const bin = path.join(import.meta.dirname, '../../../packages/cli/bin/modelsec.js');
    const env = { ...process.env, MODELSEC_REGISTRY: t.url, MODELSEC_TOKEN: t.tokens['beta:admin'] as string };
    const made = JSON.parse(
      (
        await run(
          'node',
          [bin, 'registry', 'token', 'create', '--namespace', 'beta', '--scope', 'read', '--expires-in', '3600', '--json'],
          { env },
        )
      ).stdout,
    );
    expect(made.expiresAt).toBe(new Date(clockMs + 3600_000).toISOString());
    const listed = (await run('node', [bin, 'registry', 'token', 'list', '--namespace', 'beta'], { env })).stdout;
    expect(listed).toContain(`expires ${made.expiresAt}`);
    const bad = await run(
      'node',
      [bin, 'registry', 'token', 'create', '--namespace', 'beta', '--scope', 'read', '--expires-in', '1h'],
      {
        env,
      },
    ).catch((e: { stderr: string; code: number }) => e);
    expect((bad as { code: number }).code).not.toBe(0);
    expect((bad as { stderr: string }).stderr).toContain('--expires-in takes a whole number of seconds');
  });
});

describe("the audit budget of token refusals is per namespace (a tenant minting tokens silenced every other tenant's refusals)", () => {
  let t: Tenants;
  const clockMs = Date.parse('2026-04-01T00:00:00Z');
  const clock = { now: () => new Date(clockMs) };
  const PER_TOKEN = 5;
  const BUDGET = 12;
  beforeAll(async () => {
    t = await twoTenants({ clock, tokenRefusalLimits: { perWindow: PER_TOKEN, windowMs: 60_000, auditPerWindow: BUDGET } });
  });
  afterAll(async () => closeServer(t));

  it("acme's admin spends acme's budget with fresh tokens; beta's push token refusals are still audited one by one", async () => {
    // acme mints tokens and makes each refuse PER_TOKEN times on beta (403 on an audited route): 4 × 5 > BUDGET.
    for (let i = 0; i < 4; i++) {
      const secret = (
        await t.answer(await t.call('POST', '/v1/namespaces/acme/tokens', t.tokens['acme:admin'], { scope: 'push' }))
      ).body.token as string;
      for (let j = 0; j < PER_TOKEN; j++) expect((await t.call('POST', '/v1/namespaces/beta/uploads', secret)).status).toBe(403);
    }
    // beta's own push token now makes refused requests (on acme): each is audited under beta's budget.
    for (let j = 0; j < 3; j++)
      expect((await t.call('POST', '/v1/namespaces/acme/uploads', t.tokens['beta:push'])).status).toBe(403);
    const rows = ((await t.answer(await t.call('GET', '/v1/audit?limit=1000', ADMIN))).body as unknown as AuditPage).entries;
    const tokenIds = (
      (await t.answer(await t.call('GET', '/v1/namespaces/beta/tokens', t.tokens['beta:admin']))).body.tokens as TokenRow[]
    ).map((x) => x.id);
    const betaRefusals = rows.filter((e) => tokenIds.includes(e.actor) && e.outcome === 'refused' && e.action === 'upload.start');
    expect(betaRefusals).toHaveLength(3);
    // acme's refusals stopped at its budget, with one row saying so, naming acme (not the whole registry).
    const acmeRefused = rows.filter((e) => e.action === 'upload.start' && e.outcome === 'refused' && e.target === 'beta');
    expect(acmeRefused).toHaveLength(BUDGET);
    expect(rows.filter((e) => e.action === 'rate-limit.token' && e.details.limit === 'auditPerWindow')).toMatchObject([
      { target: 'acme', outcome: 'refused' },
    ]);
  });
});

describe('upload bytes have a minimum rate (a push token trickling bytes held a connection, a session lock and reserved bytes)', () => {
  let t: Tenants;
  const WINDOW_MS = 300;
  const MIN_BYTES = 1024;
  beforeAll(async () => {
    t = await twoTenants({ uploadMinRate: { windowMs: WINDOW_MS, minBytes: MIN_BYTES } });
  });
  afterAll(async () => closeServer(t));

  /** Sends the head and `first` bytes of a PATCH promising `length`, then nothing; the answer and when it closed. */
  function trickle(route: string, token: string, length: number, first: Buffer) {
    const { hostname, port } = new URL(t.url);
    const started = Date.now();
    return new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `PATCH ${route} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/octet-stream\r\n` +
            `content-length: ${length}\r\nupload-offset: 0\r\nauthorization: Bearer ${token}\r\n\r\n`,
        );
        socket.write(first);
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

  it('a PATCH promising 1 MiB that stalls after 10 bytes is refused LIMIT_EXCEEDED, closed; the session resumes', async () => {
    const push = t.tokens['acme:push'] as string;
    const session = (await t.answer(await t.call('POST', '/v1/namespaces/acme/uploads', push))).body as unknown as { id: string };
    const r = await trickle(`/v1/namespaces/acme/uploads/${session.id}`, push, 1 << 20, Buffer.alloc(10, 7));
    expect(r.answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(r.answer).toContain('"LIMIT_EXCEEDED"');
    expect(r.answer).toContain('UPLOAD_MIN_BYTES_PER_WINDOW');
    expect(r.closedAfterMs).toBeLessThan(WINDOW_MS * 10);
    // The session is free again (its lock and reservation released) and resumes from the offset it answers.
    const state = (await t.answer(await t.call('GET', `/v1/namespaces/acme/uploads/${session.id}`, push))).body;
    expect(state.offset).toBe(0);
    const rest = await t.call('PATCH', `/v1/namespaces/acme/uploads/${session.id}`, push, new Uint8Array(100).fill(7), {
      'upload-offset': '0',
    });
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { offset: number }).offset).toBe(100);
  });

  it('an honest upload well over the minimum rate is untouched (control)', async () => {
    const push = t.tokens['beta:push'] as string;
    const session = (await t.answer(await t.call('POST', '/v1/namespaces/beta/uploads', push))).body as unknown as { id: string };
    const r = await t.call('PATCH', `/v1/namespaces/beta/uploads/${session.id}`, push, new Uint8Array(256 * 1024).fill(1), {
      'upload-offset': '0',
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { offset: number }).offset).toBe(256 * 1024);
  });
});

describe('pushes of one namespace verified at once are bounded (a push token firing parallel pushes held every core on scans)', () => {
  let t: Tenants;
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const inScan = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  // A scanner whose first scan waits for the test (a slow scan), the rest answer at once.
  const scanner = {
    name: 'gated',
    async scan() {
      calls += 1;
      if (calls === 1) {
        entered();
        await gate;
      }
      return { status: 'not-scanned' as const, maxSeverity: null, findings: 0, incomplete: 0, files: [] };
    },
  };
  beforeAll(async () => {
    t = await twoTenants({ scanner, pushConcurrency: { running: 1, queued: 1 } });
  });
  afterAll(async () => closeServer(t));
  const push = async (ns: string, name: string) => {
    const m = await signedModel({ 'config.json': `{"n":"${name}"}`, 'weights.bin': `weights of ${name}` });
    return pushModel(t.client(ns, 'push'), m.dir, parseModelRef(`${ns}/${name}@1.0.0`), {
      signaturePath: m.signaturePath,
      publicKeyPem: m.key.publicKeyPem,
    });
  };

  it('a second acme push waits while one is verified, a third is RATE_LIMITED; beta pushes meanwhile', async () => {
    const first = push('acme', 'slow');
    await inScan;
    let secondDone = false;
    const second = push('acme', 'second').then((r) => {
      secondDone = true;
      return r;
    });
    // Its uploads and version PUT take well under a second here (two small files); then the queue (1) is full.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expect(push('acme', 'third')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(push('beta', 'other')).resolves.toMatchObject({});
    expect(secondDone).toBe(false);
    release();
    await expect(first).resolves.toMatchObject({});
    await expect(second).resolves.toMatchObject({});
    await expect(push('acme', 'after')).resolves.toMatchObject({});
  });
});
