/**
 * Transport and push (issue 12), end to end through the built CLI: a token is never sent over plain http:// to an
 * address that is not loopback (CLIENT_INSECURE_TRANSPORT, before any request), every plain http:// use is warned
 * about, redirects are never followed (they could carry the token elsewhere), and `push` confirms in the verified
 * log that the registry logged exactly what was pushed.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { freshClient, MaliciousRegistry, type SignedFixture, signedFixture, tempFile } from '../../helpers/malicious-registry.js';

// Each test runs the built CLI several times as child processes; on a loaded machine one run takes seconds.
vi.setConfig({ testTimeout: 240_000 });

let model: SignedFixture;
let keyFile: string;
beforeAll(async () => {
  model = await signedFixture();
  keyFile = tempFile('signer.pub', model.publicKeyPem);
});

describe('transport', () => {
  it('refuses a token over plain http:// to a non-loopback address, for every registry command, before any request', async () => {
    const pulled = `${keyFile}.out`;
    for (const args of [
      ['check', model.dir, '--name', 'acme/tiny', '--public-key', keyFile],
      ['pull', 'acme/tiny@1.0.0', '-o', pulled, '--public-key', keyFile],
      ['push', model.dir, 'acme/tiny@1.0.0'],
      ['registry', 'namespace', 'list'],
    ]) {
      const r = await runCli([...args, '--json'], {
        env: {
          MODELSEC_REGISTRY: 'http://203.0.113.7:8780',
          MODELSEC_TOKEN: 'msk_secret',
          MODELSEC_CONFIG_DIR: tempFile('c', ''),
        },
        timeoutMs: 60_000,
      });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.json()).toMatchObject({
        error: { code: 'CLIENT_INSECURE_TRANSPORT', message: expect.stringContaining('203.0.113.7') },
      });
      expect(existsSync(pulled), `${args.join(' ')}: nothing pulled`).toBe(false);
    }
  });

  it('a token over http:// to loopback is allowed, with a warning on every use', async () => {
    const r = await MaliciousRegistry.start();
    try {
      r.publish(model, { version: '1.0.0' });
      const res = await runCli(['check', model.dir, '--name', 'acme/tiny', '--public-key', keyFile], {
        env: freshClient(r, { MODELSEC_TOKEN: 'msk_local' }),
      });
      expect(res.code).toBe(0);
      expect(res.stderr).toContain(`warning: ${r.url} is plain http://`);
    } finally {
      await r.close();
    }
  });

  it('never follows a redirect: the token does not reach the other origin', async () => {
    const r = await MaliciousRegistry.start();
    const elsewhere = await MaliciousRegistry.start();
    try {
      r.publish(model, { version: '1.0.0' });
      r.override = (_req, res, url) => {
        if (url.pathname !== '/v1/log/key') return false;
        res.statusCode = 302;
        res.setHeader('location', `${elsewhere.url}/v1/log/key`);
        res.end();
        return true;
      };
      const res = await runCli(['check', model.dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json'], {
        env: freshClient(r, { MODELSEC_TOKEN: 'msk_secret' }),
      });
      expect(res.code).not.toBe(0);
      expect(res.json()).toMatchObject({ error: { code: 'NETWORK_ERROR' } });
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await r.close();
      await elsewhere.close();
    }
  });
});

describe('push confirms the verified log binds what was pushed', () => {
  let r: MaliciousRegistry;
  beforeAll(async () => {
    r = await MaliciousRegistry.start();
  });
  afterAll(async () => r.close());

  it('honest control: accepted, and the log entry binds the pushed bundle, root digest and files', async () => {
    const res = await runCli(['push', model.dir, 'acme/tiny@1.0.0', '--public-key', keyFile], { env: freshClient(r) });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('binds the pushed bundle, root digest and files');
    // The printed signer is the one verified here, not the registry's answer.
    expect(res.stdout).toMatch(/signed by: {3}[0-9a-f]{64} \(verified here\)/);
    expect(res.stdout).not.toContain('claimed-by-the-registry');
  });

  it('a registry that logs another bundle, other files, or nothing is caught (EVIDENCE_LOG_MISMATCH / EVIDENCE_NOT_LOGGED)', async () => {
    for (const [lie, code] of [
      [
        (e: Parameters<NonNullable<MaliciousRegistry['onPush']>>[0]) => ({ ...e, bundleDigest: 'ab'.repeat(32) }),
        'EVIDENCE_LOG_MISMATCH',
      ],
      [
        (e: Parameters<NonNullable<MaliciousRegistry['onPush']>>[0]) => ({ ...e, files: e.files.slice(0, 1) }),
        'EVIDENCE_LOG_MISMATCH',
      ],
      [() => undefined, 'EVIDENCE_NOT_LOGGED'],
    ] as const) {
      r.onPush = lie;
      const version = `2.0.${Math.floor(Math.random() * 1e6)}`;
      const res = await runCli(['push', model.dir, `acme/tiny@${version}`, '--json'], { env: freshClient(r) });
      expect(res.code).toBe(1);
      expect(res.json()).toMatchObject({ error: { code } });
    }
    r.onPush = undefined;
  });
});
