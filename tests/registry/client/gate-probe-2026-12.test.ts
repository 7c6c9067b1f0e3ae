/**
 * Gate probe (issue 12, December 2026): a registry server or network attacker against the client side of `check`
 * and `pull`. Each case is an attack the client must refuse (or, for a tile padded with junk, survive with the
 * honest result), end to end through the built CLI against tests/helpers/malicious-registry.ts.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { signCheckpoint } from '@modelsec/core/tlog';
import { fetchCheckpointText } from '@modelsec/registry';
import { CLIENT_READ_DEADLINE_MS, CLIENT_READ_IDLE_TIMEOUT_MS, RegistryClient } from '@modelsec/registry/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  freshClient,
  MaliciousRegistry,
  type SignedFixture,
  signedFixture,
  tempDir,
  tempFile,
} from '../../helpers/malicious-registry.js';

vi.setConfig({ testTimeout: 240_000 });

let v1: SignedFixture;
let keyFile: string;
let r: MaliciousRegistry;

beforeAll(async () => {
  v1 = await signedFixture();
  keyFile = tempFile('signer.pub', v1.publicKeyPem);
  r = await MaliciousRegistry.start();
  r.publish(v1, { version: '1.0.0' });
});
afterAll(async () => r.close());

const check = (env: NodeJS.ProcessEnv, args: string[] = []) =>
  runCli(['check', v1.dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json', ...args], { env });

describe('gate probe: a hostile registry against check and pull', () => {
  it('honest control passes, and says its log consistency rests on the registry alone (no witness, no pin)', async () => {
    const env = freshClient(r);
    const json = (await check(env)).json();
    expect(json).toMatchObject({ verified: true, log: { consistency: 'registry' } });
    const text = await runCli(['check', v1.dir, '--name', 'acme/tiny', '--public-key', keyFile], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('split view) is not detected; add --witness or --log-checkpoint');
    const pin = tempFile('checkpoint.txt', r.checkpoint());
    expect((await check(env, ['--log-checkpoint', pin])).json()).toMatchObject({ log: { consistency: 'pinned-checkpoint' } });
  });

  it('a checkpoint signed by the pinned key but for another origin → LOG_PROOF_INVALID', async () => {
    r.override = (_req, res, url) => {
      if (url.pathname !== '/v1/log/checkpoint') return false;
      res.end(signCheckpoint({ origin: 'other-log', size: r.leaves.length, rootHash: r.tree.root(), extensions: [] }, r.signer));
      return true;
    };
    try {
      const res = await check(freshClient(r));
      expect(res.code).toBe(1);
      expect(res.json()).toMatchObject({ error: { code: 'LOG_PROOF_INVALID', message: expect.stringContaining('origin') } });
    } finally {
      r.override = undefined;
    }
  });

  it('an entry bundle padded with an extra entry is not taken as leaves: the honest entries are fetched one by one', async () => {
    r.override = (_req, res, url) => {
      if (!url.pathname.startsWith('/v1/log/tile/entries/')) return false;
      const leaf = Buffer.from(r.leaves[0] as Uint8Array);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(leaf.length, 0);
      res.end(Buffer.concat([len, leaf, Buffer.from([0, 3, 0x7b, 0x7d, 0x0a])]));
      return true;
    };
    try {
      const res = await check(freshClient(r));
      expect(res.json()).toMatchObject({ verified: true, version: { version: '1.0.0' }, log: { size: 1 } });
    } finally {
      r.override = undefined;
    }
  });

  it('a logged entry with duplicate keys (readers could disagree on its version) → LOG_INCONSISTENT', async () => {
    const honest = await MaliciousRegistry.start();
    const hostile = await MaliciousRegistry.start(honest.signer);
    try {
      honest.publish(v1, { version: '1.0.0' });
      const text = Buffer.from(honest.leaves[0] as Uint8Array).toString('utf8');
      hostile.appendLeaf(Buffer.from(text.replace('"version":"1.0.0"', '"version":"9.0.0","version":"1.0.0"')));
      for (const [d, b] of honest.blobs) hostile.blobs.set(d, b);
      const res = await check(freshClient(hostile));
      expect(res.code).toBe(1);
      expect(res.json()).toMatchObject({ error: { code: 'LOG_INCONSISTENT', message: expect.stringContaining('canonical') } });
    } finally {
      await hostile.close();
      await honest.close();
    }
  });

  it('a checkpoint claiming more entries than a mirror holds → LIMIT_EXCEEDED (exit 2)', async () => {
    r.override = (_req, res, url) => {
      if (url.pathname !== '/v1/log/checkpoint') return false;
      res.end(signCheckpoint({ origin: r.signer.name, size: 6_000_000, rootHash: r.tree.root(), extensions: [] }, r.signer));
      return true;
    };
    try {
      const res = await check(freshClient(r));
      expect(res.code).toBe(2);
      expect(res.json()).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
    } finally {
      r.override = undefined;
    }
  });

  it('pull without a range takes the highest release, never a newer pre-release; a pre-release only when named', async () => {
    const pre = await MaliciousRegistry.start();
    try {
      pre.publish(v1, { version: '1.0.0' });
      pre.publish(v1, { version: '2.0.0-rc.1' });
      const env = freshClient(pre);
      const out = path.join(tempDir(), 'out');
      const plain = await runCli(['pull', 'acme/tiny', '-o', out, '--public-key', keyFile, '--json'], { env });
      expect(plain.json()).toMatchObject({ version: { version: '1.0.0' } });
      const named = await runCli(['pull', 'acme/tiny@2.0.0-rc.1', '-o', `${out}-rc`, '--public-key', keyFile, '--json'], { env });
      expect(named.json()).toMatchObject({ version: { version: '2.0.0-rc.1' } });
      const caret = await runCli(['pull', 'acme/tiny@^1.0.0', '-o', `${out}-caret`, '--public-key', keyFile, '--json'], { env });
      expect(caret.json()).toMatchObject({ version: { version: '1.0.0' } });
    } finally {
      await pre.close();
    }
  });

  it('only pre-releases logged: pull without a range writes nothing and names one (EVIDENCE_NOT_LOGGED)', async () => {
    const pre = await MaliciousRegistry.start();
    try {
      pre.publish(v1, { version: '2.0.0-rc.1' });
      const out = path.join(tempDir(), 'out');
      const res = await runCli(['pull', 'acme/tiny', '-o', out, '--public-key', keyFile, '--json'], { env: freshClient(pre) });
      expect(res.code).not.toBe(0);
      expect(res.json()).toMatchObject({
        error: { code: 'EVIDENCE_NOT_LOGGED', message: expect.stringContaining('@2.0.0-rc.1') },
      });
      expect(existsSync(out)).toBe(false);
    } finally {
      await pre.close();
    }
  });

  it('slow-loris: a registry that never answers, or trickles bytes, cannot hang the gate (NETWORK_ERROR)', {
    timeout: 60_000,
  }, async () => {
    expect(CLIENT_READ_IDLE_TIMEOUT_MS).toBeGreaterThan(0);
    expect(CLIENT_READ_DEADLINE_MS).toBeGreaterThan(CLIENT_READ_IDLE_TIMEOUT_MS);
    const timers: NodeJS.Timeout[] = [];
    const server: Server = createServer((req, res) => {
      if (req.url === '/v1/log/checkpoint') return; // never answers
      res.writeHead(200, { 'content-type': 'text/plain' });
      // One byte every 100 ms: never idle for long, but never done.
      const t = setInterval(() => res.write('x'), 100);
      timers.push(t);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new RegistryClient({ baseUrl, readIdleTimeoutMs: 300, readDeadlineMs: 1500 });
      const silent = client.getBytes('/v1/log/checkpoint', 1024);
      await expect(silent).rejects.toMatchObject({ code: 'NETWORK_ERROR', message: expect.stringContaining('sent nothing') });
      const trickle = client.getBytes('/v1/log/tile/entries/000', 1_000_000);
      await expect(trickle).rejects.toMatchObject({ code: 'NETWORK_ERROR', message: expect.stringContaining('did not end') });
    } finally {
      for (const t of timers) clearInterval(t);
      // Not awaited: a connection the client abandoned must not keep the test waiting.
      server.close();
      server.closeAllConnections();
    }
  });

  it('modelsec log: a redirect is never followed and a huge answer is cut while it arrives (log-client)', async () => {
    const seen: string[] = [];
    const other: Server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
      res.end('elsewhere');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const server: Server = createServer((req, res) => {
      if (req.url === '/redirect/v1/log/checkpoint') {
        res.writeHead(302, { location: `${elsewhere}/v1/log/checkpoint` });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const more = () => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200) res.once('drain', more);
        else res.end();
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(fetchCheckpointText(`${base}/redirect`)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
      expect(seen).toEqual([]);
      await expect(fetchCheckpointText(base)).rejects.toMatchObject({ code: 'LOG_PROOF_INVALID' });
    } finally {
      server.close();
      other.close();
      server.closeAllConnections();
      other.closeAllConnections();
    }
  });
});
