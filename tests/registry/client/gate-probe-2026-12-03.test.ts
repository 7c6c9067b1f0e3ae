/**
 * Gate probe, second pass (issue 12, 3 December 2026): a malicious registry or a man in the middle against `check`
 * and `pull`, end to end through the built CLI against tests/helpers/malicious-registry.ts (the slow-download cases
 * through pullModel, whose time limits a test can shorten). Each attack starts from the honest registry's answers and
 * changes one thing; each is refused with a stable code naming what did not verify, and the honest control passes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  computeRootDigest,
  cosignCheckpoint,
  generateCosigner,
  generateSigningKey,
  MODEL_SIGNATURE_PREDICATE,
  type OpenEntry,
} from '@modelsec/core';
import { CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND, pullModel, RegistryClient } from '@modelsec/registry/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  craftedFixture,
  failedCodes,
  freshClient,
  MaliciousRegistry,
  type SignedFixture,
  signedFixture,
  signRawStatement,
  tempDir,
  tempFile,
} from '../../helpers/malicious-registry.js';

vi.setConfig({ testTimeout: 240_000 });

let v1: SignedFixture;
let keyFile: string;

beforeAll(async () => {
  v1 = await signedFixture();
  keyFile = tempFile('signer.pub', v1.publicKeyPem);
});

async function withRegistry(fn: (r: MaliciousRegistry) => Promise<void>): Promise<void> {
  const r = await MaliciousRegistry.start();
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

const check = (r: MaliciousRegistry, args: string[] = [], env = freshClient(r), dir = v1.dir) =>
  runCli(['check', dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json', ...args], { env });

/** `pull` into a fresh directory; `left` lists what is beside the output afterwards (no staging left behind). */
async function pull(r: MaliciousRegistry, args: string[] = [], ref = 'acme/tiny@1.0.0', key = keyFile) {
  const parent = tempDir('modelsec-pull-');
  const out = path.join(parent, 'out');
  const res = await runCli(['pull', ref, '-o', out, '--public-key', key, '--json', ...args], { env: freshClient(r) });
  return { res, out, left: readdirSync(parent) };
}

const errorCode = (json: Record<string, unknown>) => (json.error as { code?: string } | undefined)?.code;

describe('log consistency: witnessed (check --witness KEY, quorum)', () => {
  let r: MaliciousRegistry;
  let w1: string;
  let w2: string;
  beforeAll(async () => {
    r = await MaliciousRegistry.start();
    w1 = tempFile('w1.pub', r.addWitness('witness.example/w1').text);
    w2 = tempFile('w2.pub', r.addWitness('witness.example/w2').text);
    r.publish(v1, { version: '1.0.0' });
  });
  afterAll(async () => r.close());

  /** Serves the honest checkpoint with its cosignature lines rewritten by `edit`. */
  const served = (edit: (note: string, body: string) => string) => {
    r.override = (_req, res, url) => {
      if (url.pathname !== '/v1/log/checkpoint') return false;
      const note = r.checkpoint();
      res.end(edit(note, note.slice(0, note.indexOf('\n\n') + 1)));
      return true;
    };
  };
  const logSigOnly = (note: string) =>
    `${note
      .split('\n')
      .filter((l) => !l.startsWith('\u2014 witness.example/'))
      .join('\n')}`;

  it('honest control: cosigned by both witnesses → verified, consistency "witnessed" (flags or the local policy)', async () => {
    const json = (await check(r, ['--witness', w1, '--witness', w2])).json();
    expect(json).toMatchObject({
      verified: true,
      log: { consistency: 'witnessed', cosignedBy: ['witness.example/w1', 'witness.example/w2'] },
    });
    const policy = tempFile(
      'policy.json',
      JSON.stringify({ log: { witnesses: [readFileSync(w1, 'utf8'), readFileSync(w2, 'utf8')], witnessQuorum: 2 } }),
    );
    expect((await check(r, ['--policy', policy])).json()).toMatchObject({
      verified: true,
      log: { consistency: 'witnessed' },
    });
  });

  it('an uncosigned checkpoint, or one witness cosigning twice toward a quorum of two → LOG_WITNESS_QUORUM', async () => {
    try {
      served((note) => logSigOnly(note));
      expect(errorCode((await check(r, ['--witness', w1])).json())).toBe('LOG_WITNESS_QUORUM');
      const witness = r.witnesses[0];
      if (!witness) throw new Error('no witness');
      const now = Math.floor(Date.now() / 1000);
      served(
        (note, body) =>
          `${logSigOnly(note)}${cosignCheckpoint(body, witness, now - 5)}${cosignCheckpoint(body, witness, now - 4)}`,
      );
      const res = await check(r, ['--witness', w1, '--witness', w2, '--witness-quorum', '2']);
      expect(res.code).not.toBe(0);
      expect(errorCode(res.json())).toBe('LOG_WITNESS_QUORUM');
      // One of two is enough when the quorum is one.
      expect((await check(r, ['--witness', w1, '--witness', w2, '--witness-quorum', '1'])).json()).toMatchObject({
        verified: true,
        log: { cosignedBy: ['witness.example/w1'] },
      });
    } finally {
      r.override = undefined;
    }
  });

  it("an impostor's cosignature under a trusted witness's name, or one dated in the future, does not count", async () => {
    try {
      const impostor = generateCosigner('witness.example/w2');
      served((note, body) => `${logSigOnly(note)}${cosignCheckpoint(body, impostor, Math.floor(Date.now() / 1000) - 5)}`);
      expect(errorCode((await check(r, ['--witness', w2])).json())).toBe('LOG_WITNESS_QUORUM');
      const witness = r.witnesses[1];
      if (!witness) throw new Error('no witness');
      const future = Math.floor(Date.now() / 1000) + 24 * 3600;
      served((note, body) => `${logSigOnly(note)}${cosignCheckpoint(body, witness, future)}`);
      expect(errorCode((await check(r, ['--witness', w2])).json())).toBe('LOG_WITNESS_QUORUM');
    } finally {
      r.override = undefined;
    }
  });
});

describe('--log-checkpoint older or newer than the registry', () => {
  it('an older pin the log extends passes; a pin newer than the served checkpoint (rollback) or of another view fails', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      const older = tempFile('older.txt', r.checkpoint());
      const v2 = await signedFixture({ 'config.json': '{"a":2}', 'weights.bin': 'v2' }, { key: v1 });
      r.publish(v2, { version: '1.1.0' });
      const res = await check(r, ['--log-checkpoint', older]);
      expect(res.json()).toMatchObject({ verified: true, log: { size: 2, consistency: 'pinned-checkpoint' } });

      // The registry rolls back to size 1 for a client that pinned size 2.
      const newer = tempFile('newer.txt', r.checkpoint());
      r.servedSize = 1;
      try {
        const rolled = await check(r, ['--log-checkpoint', newer]);
        expect(rolled.code).not.toBe(0);
        expect(rolled.json()).toMatchObject({
          error: { code: 'LOG_INCONSISTENT', message: expect.stringContaining('older than the pinned checkpoint') },
        });
      } finally {
        r.servedSize = undefined;
      }

      // A pin of another view under the same key (an operator's other branch).
      const other = await MaliciousRegistry.start(r.signer);
      try {
        other.appendLeaf(r.leaves[0] as Uint8Array);
        other.publish(v2, { version: '1.2.0' });
        const split = await check(r, ['--log-checkpoint', tempFile('other.txt', other.checkpoint())]);
        expect(split.json()).toMatchObject({
          error: { code: 'LOG_INCONSISTENT', message: expect.stringContaining('split view') },
        });
      } finally {
        await other.close();
      }
      // A pin signed by another log key is not a pin of this log.
      const stranger = await MaliciousRegistry.start();
      try {
        stranger.publish(v1, { version: '1.0.0' });
        const foreign = await check(r, ['--log-checkpoint', tempFile('foreign.txt', stranger.checkpoint())]);
        expect(foreign.code).not.toBe(0);
        expect(errorCode(foreign.json())).toBe('LOG_PROOF_INVALID');
      } finally {
        await stranger.close();
      }
    });
  });
});

describe('signer change between versions', () => {
  it('two signers trusted by the local policy: the change is warned about loudly, on stderr even with --json', async () => {
    await withRegistry(async (r) => {
      const other = generateSigningKey();
      const v2 = await signedFixture({ 'config.json': '{"a":2}', 'weights.bin': 'v2' }, { key: other });
      r.publish(v1, { version: '1.0.0' });
      r.publish(v2, { version: '1.1.0' });
      const policy = tempFile(
        'policy.json',
        JSON.stringify({ models: ['acme/tiny'], signers: [{ publicKey: v1.publicKeyPem }, { publicKey: other.publicKeyPem }] }),
      );
      const res = await runCli(['check', v2.dir, '--policy', policy, '--json'], { env: freshClient(r) });
      const json = res.json<{ verified: boolean; warnings: string[] }>();
      expect(json.verified).toBe(true);
      expect(json.warnings.join('\n')).toContain('SIGNER CHANGED');
      expect(res.stderr).toContain('WARNING !!! SIGNER CHANGED');
      // The first version has no predecessor: no warning.
      const first = await runCli(['check', v1.dir, '--policy', policy, '--json'], { env: freshClient(r) });
      expect(first.json<{ warnings: string[] }>().warnings.join('\n')).not.toContain('SIGNER CHANGED');
      const pulled = await runCli(['pull', 'acme/tiny@1.1.0', '-o', path.join(tempDir(), 'o'), '--policy', policy, '--json'], {
        env: freshClient(r),
      });
      expect(pulled.code).toBe(0);
      expect(pulled.stderr).toContain('SIGNER CHANGED');
    });
  });
});

describe('yanks bind the content of the version they name', () => {
  it('a yank entry naming only a version yanks its bytes republished as another version', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      r.append({
        type: 'yank',
        namespace: 'acme',
        model: 'tiny',
        version: '1.0.0',
        reason: 'known bad',
        at: r.nextAt(),
      } as unknown as OpenEntry);
      // Control: with only the yanked version, check says yanked.
      expect(failedCodes((await check(r)).json())).toEqual(['VERSION_YANKED']);
      r.publish(v1, { version: '1.0.1' });
      const res = await check(r);
      expect(res.code).toBe(1);
      expect(res.json()).toMatchObject({ verified: false, version: { version: '1.0.1' } });
      expect(failedCodes(res.json())).toEqual(['VERSION_YANKED']);
      const { res: pulled, out } = await pull(r, [], 'acme/tiny');
      expect(errorCode(pulled.json())).toBe('VERSION_YANKED');
      expect(existsSync(out)).toBe(false);
      expect((await check(r, ['--allow-yanked'])).json()).toMatchObject({ verified: true });
    });
  });
});

describe('pull: blob bytes as the registry serves them', () => {
  let r: MaliciousRegistry;
  let weights: { path: string; digest: string; size: number };
  beforeAll(async () => {
    r = await MaliciousRegistry.start();
    r.publish(v1, { version: '1.0.0' });
    weights = v1.files.find((f) => f.path === 'weights.bin') as typeof weights;
  });
  afterAll(async () => r.close());

  /** Replaces the answer for the weights blob. */
  const serveWeights = (handler: (res: ServerResponse) => void) => {
    r.override = (req, res, url) => {
      if (req.method !== 'GET' || !url.pathname.endsWith(`/blobs/${weights.digest}`)) return false;
      handler(res);
      return true;
    };
  };
  const bytes = () => readFileSync(path.join(v1.dir, 'weights.bin'));

  it('honest control, and the signed bytes sent gzip-encoded (decoded, then counted and hashed) pass', async () => {
    const honest = await pull(r);
    expect(honest.res.code).toBe(0);
    expect(readFileSync(path.join(honest.out, 'weights.bin'))).toEqual(bytes());
    try {
      serveWeights((res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' });
        res.end(gzipSync(bytes()));
      });
      const gz = await pull(r);
      expect(gz.res.code).toBe(0);
      expect(readFileSync(path.join(gz.out, 'weights.bin'))).toEqual(bytes());
    } finally {
      r.override = undefined;
    }
  });

  it('a chunked body longer than signed, a declared length that is not the signed size, a gzip bomb → PULL_SIZE_MISMATCH, nothing written', async () => {
    const attacks: [string, (res: ServerResponse) => void][] = [
      [
        'chunked, longer',
        (res) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.write(bytes());
          res.end(Buffer.from('PK\u0003\u0004appended zip'));
        },
      ],
      [
        'declared longer',
        (res) => {
          res.writeHead(200, { 'content-length': String(weights.size + 1_000_000) });
          res.write(bytes());
          // never sends the rest: refused on the header, before a byte is written
        },
      ],
      [
        'gzip bomb',
        (res) => {
          res.writeHead(200, { 'content-encoding': 'gzip' });
          res.end(gzipSync(Buffer.concat([bytes(), Buffer.alloc(64 * 1024 * 1024)])));
        },
      ],
    ];
    try {
      for (const [what, handler] of attacks) {
        serveWeights(handler);
        const { res, out, left } = await pull(r);
        expect(res.code, what).toBe(1);
        expect(errorCode(res.json()), what).toBe('PULL_SIZE_MISMATCH');
        expect(existsSync(out), what).toBe(false);
        expect(left, what).toEqual([]);
      }
    } finally {
      r.override = undefined;
    }
  });

  it('a redirect to the bytes elsewhere is not followed; an endless error answer is cut (no output either way)', async () => {
    try {
      serveWeights((res) => {
        res.writeHead(302, { location: `${r.url}/v1/namespaces/acme/blobs/${weights.digest}?again` });
        res.end();
      });
      const redirected = await pull(r);
      expect(errorCode(redirected.res.json())).toBe('NETWORK_ERROR');
      expect(existsSync(redirected.out)).toBe(false);
      serveWeights((res) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const more = () => {
          while (sent < 64 && res.write(chunk)) sent++;
          if (sent < 64) res.once('drain', more);
          else res.end();
        };
        more();
      });
      const huge = await pull(r);
      expect(errorCode(huge.res.json())).toBe('LIMIT_EXCEEDED');
      expect(huge.left).toEqual([]);
    } finally {
      r.override = undefined;
    }
  });

  it('a download that stalls, or trickles bytes below the minimum rate, is abandoned (NETWORK_ERROR), nothing written', {
    timeout: 60_000,
  }, async () => {
    expect(CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND).toBeGreaterThan(0);
    const timers: NodeJS.Timeout[] = [];
    const client = new RegistryClient({
      baseUrl: r.url,
      readIdleTimeoutMs: 400,
      readDeadlineMs: 1500,
      downloadMinBytesPerSecond: 1e9,
    });
    const run = async () => {
      const out = path.join(tempDir('modelsec-pull-'), 'out');
      const result = pullModel(client, { namespace: 'acme', model: 'tiny', version: '1.0.0' }, out, {
        configDir: tempDir('modelsec-cfg-'),
        cliSigners: [{ publicKey: v1.publicKeyPem }],
      });
      return { result, out };
    };
    try {
      serveWeights((res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(bytes().subarray(0, 1)); // then nothing
      });
      const stalled = await run();
      await expect(stalled.result).rejects.toMatchObject({
        code: 'NETWORK_ERROR',
        message: expect.stringContaining('sent nothing'),
      });
      expect(existsSync(stalled.out)).toBe(false);
      serveWeights((res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const all = bytes();
        let i = 0;
        const t = setInterval(() => {
          // One byte every 100 ms, never the last: never idle, never done.
          if (i < all.length - 1) res.write(all.subarray(i, ++i));
        }, 100);
        timers.push(t);
        res.on('close', () => clearInterval(t));
      });
      const trickled = await run();
      await expect(trickled.result).rejects.toMatchObject({
        code: 'NETWORK_ERROR',
        message: expect.stringContaining('did not end'),
      });
      expect(existsSync(trickled.out)).toBe(false);
    } finally {
      for (const t of timers) clearInterval(t);
      r.override = undefined;
    }
  });
});

describe('pull: the output directory', () => {
  it('-o a symbolic link to an existing directory is refused and the directory stays untouched', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      const target = tempDir('modelsec-target-');
      writeFileSync(path.join(target, 'keep.txt'), 'mine');
      const parent = tempDir('modelsec-pull-');
      const link = path.join(parent, 'out');
      symlinkSync(target, link);
      const res = await runCli(['pull', 'acme/tiny@1.0.0', '-o', link, '--public-key', keyFile, '--json'], {
        env: freshClient(r),
      });
      expect(res.code).not.toBe(0);
      expect(errorCode(res.json())).toBe('FILE_WRITE_FAILED');
      expect(readdirSync(target)).toEqual(['keep.txt']);
      expect(readdirSync(parent)).toEqual(['out']);
    });
  });

  it('signed names that collide on a case-insensitive filesystem (files or directories) → PULL_NAME_UNSAFE, nothing written', async () => {
    const key = generateSigningKey();
    const k = tempFile('k.pub', key.publicKeyPem);
    const cases: Record<string, string>[] = [
      { 'Weights.bin': 'a', 'weights.BIN': 'b' },
      { 'sub/a.bin': 'a', 'SUB/b.bin': 'b' },
      { 'K.bin': 'a', '\u212a.bin': 'kelvin' },
    ];
    for (const files of cases) {
      await withRegistry(async (r) => {
        const fixture = await craftedFixture(files, key);
        r.publish(fixture, { version: '1.0.0' });
        const { res, out, left } = await pull(r, [], 'acme/tiny@1.0.0', k);
        expect(errorCode(res.json()), JSON.stringify(files)).toBe('PULL_NAME_UNSAFE');
        expect(existsSync(out)).toBe(false);
        expect(left).toEqual([]);
      });
    }
    // Control: distinct names pass.
    await withRegistry(async (r) => {
      const fixture = await craftedFixture({ 'a.bin': 'a', 'sub/b.bin': 'b' }, key);
      r.publish(fixture, { version: '1.0.0' });
      expect((await pull(r, [], 'acme/tiny@1.0.0', k)).res.code).toBe(0);
    });
  });
});

describe('what a registry says is printed as text, never as terminal control sequences', () => {
  const ESC = '\u001b';
  it('a yank reason and a refusal message (and its details) carrying escape sequences are shown escaped', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      r.yank({ version: '1.0.0', rootDigest: v1.rootDigest, reason: `bad${ESC}]52;c;ZXZpbA==\u0007${ESC}[2K\rverified: ok` });
      const res = await runCli(['check', v1.dir, '--name', 'acme/tiny', '--public-key', keyFile], { env: freshClient(r) });
      expect(res.code).toBe(1);
      expect(res.stdout).toContain('VERSION_YANKED');
      expect(res.stdout + res.stderr).not.toContain(ESC);
      expect(res.stdout).toContain('\\u{1b}]52');
      // A blob refusal whose message is a terminal escape.
      r.override = (req, res2, url) => {
        if (req.method !== 'GET' || !url.pathname.includes('/blobs/')) return false;
        res2.writeHead(404, { 'content-type': 'application/json' });
        res2.end(
          JSON.stringify({ error: { code: 'NOT_FOUND', message: `${ESC}[31mgone${ESC}[0m`, details: { hint: `${ESC}[2J` } } }),
        );
        return true;
      };
      const out = path.join(tempDir('modelsec-pull-'), 'out');
      const pulled = await runCli(['pull', 'acme/tiny@1.0.0', '-o', out, '--public-key', keyFile, '--allow-yanked'], {
        env: freshClient(r),
      });
      expect(pulled.code).not.toBe(0);
      expect(pulled.stdout + pulled.stderr).not.toContain(ESC);
      expect(existsSync(out)).toBe(false);
    });
  });
});

describe('log entries read strictly', () => {
  it('a publish entry with a name no registry accepts, or a time not in ISO 8601 form, is not a version (nor a match for NS/*)', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0', model: 'Tiny\u001b[0m' });
      r.publish(v1, { version: '1.0.1', at: 'Thu, 01 Jan 2026 00:00:00 GMT' });
      const policy = tempFile('policy.json', JSON.stringify({ models: ['acme/*'], signers: [{ publicKey: v1.publicKeyPem }] }));
      const res = await runCli(['check', v1.dir, '--policy', policy, '--json'], { env: freshClient(r) });
      expect(res.code).toBe(1);
      expect(failedCodes(res.json())).toEqual(['EVIDENCE_NOT_LOGGED']);
      expect(JSON.stringify(res.json())).toContain('cannot be verified');
      // Control: the same entry, well formed.
      r.publish(v1, { version: '1.0.2' });
      expect((await runCli(['check', v1.dir, '--policy', policy, '--json'], { env: freshClient(r) })).json()).toMatchObject({
        verified: true,
        version: { model: 'tiny', version: '1.0.2' },
      });
    });
  });
});

describe('check reads the shard size before anything verified', () => {
  it('a bundle claiming 1-byte shards over a large file does not make check hash byte by byte (refused quickly)', async () => {
    await withRegistry(async (r) => {
      const key = generateSigningKey();
      const dir = tempDir('modelsec-model-');
      const weights = Buffer.alloc(16 * 1024 * 1024, 7);
      writeFileSync(path.join(dir, 'weights.bin'), weights);
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const resources = [{ name: 'weights.bin:0:1', algorithm: 'sha256-sharded-1', digest: sha(weights.subarray(0, 1)) }];
      const rootDigest = computeRootDigest(resources);
      const bundleBytes = await signRawStatement(
        {
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ name: 'tiny', digest: { sha256: rootDigest } }],
          predicateType: MODEL_SIGNATURE_PREDICATE,
          predicate: {
            serialization: { method: 'shards', hash_type: 'sha256', shard_size: 1, allow_symlinks: false, ignore_paths: [] },
            resources,
          },
        },
        { kind: 'key', privateKeyPem: key.privateKeyPem },
      );
      writeFileSync(path.join(dir, 'model.sig'), bundleBytes);
      const fixture = {
        dir,
        bundle: JSON.parse(bundleBytes.toString('utf8')),
        bundleBytes,
        rootDigest,
        files: [{ path: 'weights.bin', digest: sha(weights), size: weights.length }],
        ...key,
      } as unknown as SignedFixture;
      r.publish(fixture, { version: '1.0.0' });
      const k = tempFile('k.pub', key.publicKeyPem);
      const started = Date.now();
      const res = await runCli(['check', dir, '--name', 'acme/tiny', '--public-key', k, '--json'], {
        env: freshClient(r),
        timeoutMs: 60_000,
      });
      expect(res.code).toBe(1);
      expect(failedCodes(res.json())).toContain('EVIDENCE_LOG_MISMATCH');
      expect(Date.now() - started).toBeLessThan(45_000);
    });
  });
});

describe('log sync is bounded as a whole (a signed checkpoint of many entries served one request at a time)', () => {
  it('a sync past its deadline fails with LIMIT_EXCEEDED naming MIRROR_SYNC_DEADLINE_MS; an honest small log syncs', async () => {
    const { LogMirror } = await import('@modelsec/registry/client');
    const { parseVerifierKey } = await import('@modelsec/core/tlog');
    const flood = await MaliciousRegistry.start();
    const honest = await MaliciousRegistry.start();
    try {
      // 3,000 leaves without tiles: 3,000 sequential requests, each within the per-read limits.
      for (let i = 0; i < 3000; i++) flood.appendLeaf(Buffer.from(`leaf ${i}`));
      flood.tiles = false;
      const slow = LogMirror.sync(new RegistryClient({ baseUrl: flood.url }), {
        configDir: tempDir('modelsec-sync-'),
        verifier: parseVerifierKey(flood.logKey),
        syncDeadlineMs: 50,
      });
      await expect(slow).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 'MIRROR_SYNC_DEADLINE_MS' } });
      expect(flood.requests.filter((r) => r.startsWith('GET /v1/log/entries/')).length).toBeLessThan(3000);

      honest.publish(await signedFixture(), { version: '1.0.0' });
      honest.tiles = false;
      const mirror = await LogMirror.sync(new RegistryClient({ baseUrl: honest.url }), {
        configDir: tempDir('modelsec-sync-'),
        verifier: parseVerifierKey(honest.logKey),
      });
      expect(mirror.size).toBe(1);
    } finally {
      await flood.close();
      await honest.close();
    }
  });
});
