/**
 * The client's verified log (issue 12), end to end through the built CLI against a malicious registry: the local
 * mirror is incremental and proves every leaf against the signed root; a log that shrank, forked, or serves leaves
 * that do not hash to its root is refused; the log key never changes silently; and the split view of the issue (an
 * operator restores an old data directory and publishes a different 1.0.1 under the same key) is caught by a fresh
 * client that pins a checkpoint (--log-checkpoint) or requires a witness quorum (--witness, --witness-quorum).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  failedCodes,
  freshClient,
  MaliciousRegistry,
  type SignedFixture,
  signedFixture,
  tempDir,
  tempFile,
} from '../../helpers/malicious-registry.js';

// Each test runs the built CLI several times as child processes; on a loaded machine one run takes seconds.
vi.setConfig({ testTimeout: 240_000 });

let v1: SignedFixture;
let x: SignedFixture;
let y: SignedFixture;
let keyFile: string;

beforeAll(async () => {
  v1 = await signedFixture();
  const key = { privateKeyPem: v1.privateKeyPem, publicKeyPem: v1.publicKeyPem };
  x = await signedFixture({ 'config.json': '{"a":1}', 'weights.bin': 'the-real-1.0.1' }, { key });
  y = await signedFixture({ 'config.json': '{"a":1}', 'weights.bin': 'the-other-1.0.1' }, { key });
  keyFile = tempFile('signer.pub', v1.publicKeyPem);
});

const check = (_r: MaliciousRegistry, dir: string, env: NodeJS.ProcessEnv, args: string[] = []) =>
  runCli(['check', dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json', ...args], { env });

describe('the verified log mirror', () => {
  let r: MaliciousRegistry;
  beforeAll(async () => {
    r = await MaliciousRegistry.start();
    r.publish(v1, { version: '1.0.0' });
  });
  afterAll(async () => r.close());

  it('is incremental: a second run fetches only the new leaves, and every leaf is proven against the signed root', async () => {
    const env = freshClient(r);
    expect((await check(r, v1.dir, env)).json()).toMatchObject({ verified: true, log: { size: 1 } });
    for (let i = 0; i < 300; i++) r.policy('other', { scan: { required: false } });
    r.publish(x, { version: '1.0.1' });
    r.requests.length = 0;
    const second = await check(r, x.dir, env);
    expect(second.json()).toMatchObject({ verified: true, version: { version: '1.0.1' }, log: { size: 302 } });
    const logReads = r.requests.filter((q) => q.startsWith('GET /v1/log/tile/entries/') || q.startsWith('GET /v1/log/entries/'));
    // Bundle 0 (for leaves 1-255) and the partial bundle 1: leaf 0 is not fetched one by one, nothing twice.
    expect(logReads).toEqual(['GET /v1/log/tile/entries/000', 'GET /v1/log/tile/entries/001.p/46']);
  });

  it('works without tiles (one entry per request), with the same result', async () => {
    r.tiles = false;
    try {
      const res = await check(r, x.dir, freshClient(r));
      expect(res.json()).toMatchObject({ verified: true, log: { size: 302 } });
    } finally {
      r.tiles = true;
    }
  });

  it('a log that shrank is refused (LOG_INCONSISTENT)', async () => {
    const env = freshClient(r);
    expect((await check(r, x.dir, env)).code).toBe(0);
    r.servedSize = 1;
    try {
      const res = await check(r, v1.dir, env);
      expect(res.code).toBe(1);
      expect(res.json()).toMatchObject({ error: { code: 'LOG_INCONSISTENT', message: expect.stringContaining('shrank') } });
    } finally {
      r.servedSize = undefined;
    }
  });

  it('leaves that do not hash to the signed root are refused (LOG_PROOF_INVALID)', async () => {
    r.override = (_req, res, url) => {
      if (!url.pathname.startsWith('/v1/log/tile/entries/000')) return false;
      const bytes = Buffer.concat(
        r.leaves.slice(0, 256).map((l, i) => {
          const leaf = i === 0 ? Buffer.from(Buffer.from(l).toString('utf8').replace('1.0.0', '9.9.9')) : Buffer.from(l);
          const len = Buffer.alloc(2);
          len.writeUInt16BE(leaf.length, 0);
          return Buffer.concat([len, leaf]);
        }),
      );
      res.end(bytes);
      return true;
    };
    r.tiles = true;
    try {
      const res = await check(r, x.dir, freshClient(r));
      expect(res.code).toBe(1);
      expect(res.json()).toMatchObject({ error: { code: 'LOG_PROOF_INVALID' } });
    } finally {
      r.override = undefined;
    }
  });

  it('a changed log key is refused, pinned or known from before (LOG_KEY_MISMATCH)', async () => {
    const env = freshClient(r);
    expect((await check(r, x.dir, env)).code).toBe(0);
    const impostor = await MaliciousRegistry.start();
    try {
      r.override = (_req, res, url) => {
        if (url.pathname !== '/v1/log/key') return false;
        res.end(`${impostor.logKey}\n`);
        return true;
      };
      const known = await check(r, x.dir, env);
      expect(known.json()).toMatchObject({ error: { code: 'LOG_KEY_MISMATCH' } });
      const pinned = await check(r, x.dir, freshClient(r), ['--log-key', tempFile('k', r.logKey)]);
      expect(pinned.json()).toMatchObject({ error: { code: 'LOG_KEY_MISMATCH' } });
    } finally {
      r.override = undefined;
      await impostor.close();
    }
  });
});

describe('split view: an operator restores an old data directory and publishes a different 1.0.1 under the same key', () => {
  let honest: MaliciousRegistry;
  let restored: MaliciousRegistry;
  let pinnedCheckpoint: string;
  let witnessKey: string;
  beforeAll(async () => {
    honest = await MaliciousRegistry.start();
    const witness = honest.addWitness('witness.example/w1');
    witnessKey = tempFile('w1.pub', witness.text);
    honest.publish(v1, { version: '1.0.0' });
    honest.publish(x, { version: '1.0.1' });
    // A CI job saw the honest log and kept its checkpoint.
    pinnedCheckpoint = path.join(tempDir(), 'checkpoint');
    const saw = await check(honest, x.dir, freshClient(honest), ['--save-checkpoint', pinnedCheckpoint, '--witness', witnessKey]);
    expect(saw.json()).toMatchObject({ verified: true, log: { size: 2, cosignedBy: ['witness.example/w1'] } });
    // The restored registry: the same log key, the log as it was after 1.0.0, then another 1.0.1. The witness,
    // having seen size 2 with another root, will not cosign it.
    restored = await MaliciousRegistry.start(honest.signer);
    restored.appendLeaf(honest.leaves[0] as Uint8Array);
    restored.publish(y, { version: '1.0.1' });
  });
  afterAll(async () => {
    await honest.close();
    await restored.close();
  });

  it('without a pin, a fresh client cannot tell (this is what the pins are for)', async () => {
    expect((await check(restored, y.dir, freshClient(restored))).json()).toMatchObject({ verified: true });
  });

  it('a fresh client with --log-checkpoint refuses the other view (LOG_INCONSISTENT)', async () => {
    expect(readFileSync(pinnedCheckpoint, 'utf8')).toContain('\n2\n');
    const res = await check(restored, y.dir, freshClient(restored), ['--log-checkpoint', pinnedCheckpoint]);
    expect(res.code).toBe(1);
    expect(res.json()).toMatchObject({
      error: { code: 'LOG_INCONSISTENT', message: expect.stringContaining('pinned checkpoint') },
    });
    // The honest log is consistent with the pin.
    expect((await check(honest, x.dir, freshClient(honest), ['--log-checkpoint', pinnedCheckpoint])).code).toBe(0);
  });

  it('a fresh client requiring a witness quorum refuses the uncosigned checkpoint (LOG_WITNESS_QUORUM)', async () => {
    const res = await check(restored, y.dir, freshClient(restored), ['--witness', witnessKey, '--witness-quorum', '1']);
    expect(res.code).toBe(1);
    expect(failedCodes(res.json()).concat((res.json() as { error?: { code: string } }).error?.code ?? [])).toContain(
      'LOG_WITNESS_QUORUM',
    );
    // Copying the honest checkpoint's cosignature onto the other tree head does not verify either.
    const stolen = honest
      .checkpoint()
      .split('\n')
      .filter((l) => l.startsWith('\u2014 witness.example/w1'));
    restored.override = (_req, res2, url) => {
      if (url.pathname !== '/v1/log/checkpoint') return false;
      res2.end(`${restored.checkpoint()}${stolen.join('\n')}\n`);
      return true;
    };
    try {
      const again = await check(restored, y.dir, freshClient(restored), ['--witness', witnessKey]);
      expect((again.json() as { error: { code: string } }).error.code).toBe('LOG_WITNESS_QUORUM');
    } finally {
      restored.override = undefined;
    }
  });

  it('a client that mirrored the honest log refuses the restored one, even at another URL (the mirror is keyed by log key)', async () => {
    const env = freshClient(honest);
    expect((await check(honest, x.dir, env)).code).toBe(0);
    const res = await check(restored, y.dir, { ...env, MODELSEC_REGISTRY: restored.url }, [
      '--log-key',
      tempFile('k', restored.logKey),
    ]);
    expect(res.json()).toMatchObject({ error: { code: 'LOG_INCONSISTENT' } });
  });
});
