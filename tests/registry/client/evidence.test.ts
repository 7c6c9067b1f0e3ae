/**
 * Every decision on verified evidence (issue 12), end to end through the built CLI against a malicious registry:
 * the bundle is hashed against the logged digest, everything verified is compared with the log entry (no
 * mix-and-match, no rollback), attestations are verified here (signature, local signer, subject), the scan verdict
 * and the yank state come from the log only, signer changes are warned about, a registry that logs two entries for
 * one version is caught, and sealed entries of a private namespace are opened and checked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { attestModel, generateSigningKey, type LoggedScan, manifestSubject, signStatement } from '@modelsec/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  CLEAN_SCAN,
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

const BOM_TYPE = 'https://cyclonedx.org/bom';
const CRITICAL: LoggedScan = { ...CLEAN_SCAN, maxSeverity: 'critical', verdicts: { clean: 1, findings: 1, incomplete: 0 } };
const INCOMPLETE: LoggedScan = { ...CLEAN_SCAN, incompleteFiles: 1, verdicts: { clean: 1, findings: 0, incomplete: 1 } };

let v1: SignedFixture;
let v2: SignedFixture;
let keyFile: string;

beforeAll(async () => {
  v1 = await signedFixture();
  v2 = await signedFixture(
    { 'config.json': '{"a":2}', 'weights.bin': 'weights-v2' },
    { key: { privateKeyPem: v1.privateKeyPem, publicKeyPem: v1.publicKeyPem } },
  );
  keyFile = tempFile('signer.pub', v1.publicKeyPem);
});

async function withRegistry(fn: (r: MaliciousRegistry, logKey: string) => Promise<void>): Promise<void> {
  const r = await MaliciousRegistry.start();
  try {
    await fn(r, tempFile('log.key', r.logKey));
  } finally {
    await r.close();
  }
}

const check = (r: MaliciousRegistry, dir: string, args: string[]) =>
  runCli(['check', dir, '--public-key', keyFile, '--json', ...args], { env: freshClient(r) });

describe('every decision on verified evidence', () => {
  it('a MITM rewriting the API JSON changes nothing: yanked + critical + no attestation in the log fail a strict local policy', async () => {
    await withRegistry(async (r, lk) => {
      r.publish(v1, { version: '1.0.0', scan: CRITICAL });
      r.yank({ version: '1.0.0', rootDigest: v1.rootDigest });
      // What the old client read: scan clean, not yanked, an attestation of the required type.
      r.api.set('GET /v1/namespaces/acme/models/tiny/versions/1.0.0', {
        scan: { status: 'scanned', maxSeverity: null },
        yanked: false,
        attachments: [{ kind: 'attestation', predicateType: BOM_TYPE, digest: '0'.repeat(64) }],
      });
      const policy = tempFile(
        'policy.json',
        JSON.stringify({
          models: ['acme/tiny'],
          signers: [{ publicKey: v1.publicKeyPem }],
          attestations: { required: [BOM_TYPE] },
        }),
      );
      const res = await runCli(['check', v1.dir, '--policy', policy, '--log-key', lk, '--json'], { env: freshClient(r) });
      expect(res.code).toBe(1);
      expect(failedCodes(res.json())).toEqual(['ATTESTATION_REQUIRED', 'SCAN_FINDINGS', 'VERSION_YANKED']);
      expect(r.requests.some((q) => q.includes('/versions/'))).toBe(false); // the API JSON is not even read
    });
  });

  it('bundle swap: the registry serves another signature under the logged bundle digest → EVIDENCE_BUNDLE_MISMATCH', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      const logged = [...r.blobs.keys()].find((d) => r.blobs.get(d)?.equals(v1.bundleBytes)) as string;
      r.blobs.set(logged, v2.bundleBytes);
      const res = await check(r, v1.dir, ['--name', 'acme/tiny']);
      expect(failedCodes(res.json())).toEqual(['EVIDENCE_BUNDLE_MISMATCH']);
    });
  });

  it("rollback and mix-and-match: 1.0.0's signed bytes logged as 2.0.0, or 2.0.0's bundle with 1.0.0's files, fail", async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      // The registry logs 2.0.0 with v2's bundle but v1's root digest and files.
      r.publish(v2, { version: '2.0.0', entry: { rootDigest: v1.rootDigest, files: v1.files } });
      const res = await check(r, v1.dir, ['--name', 'acme/tiny@^2']);
      expect(res.code).toBe(1);
      expect(failedCodes(res.json())).toEqual([
        'EVIDENCE_LOG_MISMATCH',
        'EVIDENCE_LOG_MISMATCH',
        'SIGNING_DIGEST_MISMATCH',
        'SIGNING_DIGEST_MISMATCH',
      ]);
      // A local 1.0.0 is not 2.0.0: nothing in the log says so.
      const old = await check(r, v1.dir, ['--name', 'acme/tiny@2.0.0']);
      expect(old.code).toBe(1);
      // pull of 2.0.0: the same refusal, nothing written.
      const out = path.join(tempDir(), 'out');
      const pulled = await runCli(['pull', 'acme/tiny@2.0.0', '-o', out, '--public-key', keyFile, '--json'], {
        env: freshClient(r),
      });
      expect(pulled.code).toBe(1);
      expect(pulled.json()).toMatchObject({ error: { code: 'EVIDENCE_LOG_MISMATCH' } });
      expect(() => readFileSync(path.join(out, 'model.sig'))).toThrow();
    });
  });

  it('file bytes swap on pull: a blob that does not hash to its logged digest never lands (DIGEST_MISMATCH / PULL_SIZE_MISMATCH, no output)', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      const weights = v1.files.find((f) => f.path === 'weights.bin')?.digest as string;
      r.blobs.set(weights, Buffer.from('weights-v2'));
      const out = path.join(tempDir(), 'out');
      const res = await runCli(['pull', 'acme/tiny@1.0.0', '-o', out, '--public-key', keyFile, '--json'], {
        env: freshClient(r),
      });
      expect(res.code).not.toBe(0);
      expect(res.json()).toMatchObject({ error: { code: 'PULL_SIZE_MISMATCH' } });
      expect(() => readFileSync(path.join(out, 'weights.bin'))).toThrow();
    });
  });

  it('attestations are verified here: untrusted signer, another model, several subjects, swapped bytes all fail; the honest one passes', async () => {
    const policy = tempFile('p.json', JSON.stringify({ models: ['acme/tiny'], attestations: { required: [BOM_TYPE] } }));
    const honest = Buffer.from(
      JSON.stringify(
        (await attestModel(v1.model, BOM_TYPE, { bom: 1 }, { kind: 'key', privateKeyPem: v1.privateKeyPem })).bundle,
      ),
    );
    const stranger = generateSigningKey();
    const untrusted = Buffer.from(
      JSON.stringify(
        (await attestModel(v1.model, BOM_TYPE, { bom: 1 }, { kind: 'key', privateKeyPem: stranger.privateKeyPem })).bundle,
      ),
    );
    const otherModel = Buffer.from(
      JSON.stringify(
        (await attestModel(v2.model, BOM_TYPE, { bom: 1 }, { kind: 'key', privateKeyPem: v1.privateKeyPem })).bundle,
      ),
    );
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      // This model's own manifest subject among others: a match on one subject of several is never accepted.
      subject: [manifestSubject(v1.model), manifestSubject(v2.model)],
      predicateType: BOM_TYPE,
      predicate: { bom: 1 },
    };
    const manySubjects = Buffer.from(
      JSON.stringify(await signStatement(statement, { kind: 'key', privateKeyPem: v1.privateKeyPem })),
    );
    for (const [bytes, expected] of [
      [honest, []],
      [untrusted, ['ATTESTATION_REQUIRED']],
      [otherModel, ['ATTESTATION_REQUIRED']],
      [manySubjects, ['ATTESTATION_REQUIRED']],
    ] as const) {
      await withRegistry(async (r, lk) => {
        const digest = r.addBlob(bytes);
        r.publish(v1, { version: '1.0.0', attachments: [{ kind: 'attestation', digest, predicateType: BOM_TYPE }] });
        const res = await check(r, v1.dir, ['--policy', policy, '--log-key', lk]);
        expect(failedCodes(res.json())).toEqual(expected);
        expect(res.code).toBe(expected.length ? 1 : 0);
      });
    }
    await withRegistry(async (r, lk) => {
      const digest = r.addBlob(honest);
      r.publish(v1, { version: '1.0.0', attachments: [{ kind: 'attestation', digest, predicateType: BOM_TYPE }] });
      r.blobs.set(digest, untrusted); // served bytes are not the logged ones
      const res = await check(r, v1.dir, ['--policy', policy, '--log-key', lk]);
      expect(failedCodes(res.json())).toEqual(['ATTESTATION_REQUIRED']);
    });
  });

  it('the scan verdict comes from the log, through the core gate: incomplete, not scanned, missing', async () => {
    for (const [scan, policy, expected] of [
      [INCOMPLETE, {}, ['SCAN_INCOMPLETE']],
      [INCOMPLETE, { scan: { allowIncomplete: true } }, []],
      [{ ...CLEAN_SCAN, status: 'not-scanned' }, {}, ['SCAN_NOT_RUN']],
      [{ ...CLEAN_SCAN, status: 'not-scanned' }, { scan: { required: false } }, []],
      [null, {}, ['EVIDENCE_MISSING']],
      [{ ...CLEAN_SCAN, maxSeverity: 'medium', verdicts: { clean: 1, findings: 1, incomplete: 0 } }, {}, []],
      [{ ...CLEAN_SCAN, maxSeverity: 'high', verdicts: { clean: 1, findings: 1, incomplete: 0 } }, {}, ['SCAN_FINDINGS']],
    ] as const) {
      await withRegistry(async (r, lk) => {
        r.publish(v1, { version: '1.0.0', scan: scan as LoggedScan | null });
        const file = tempFile('p.json', JSON.stringify({ models: ['acme/tiny'], ...policy }));
        const res = await check(r, v1.dir, ['--policy', file, '--log-key', lk]);
        expect(failedCodes(res.json())).toEqual(expected);
      });
    }
  });

  it('yanks bind content: yanked bytes republished as 1.0.1 are still yanked; --allow-yanked accepts and says so', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      r.yank({ version: '1.0.0', rootDigest: v1.rootDigest, reason: 'CVE-2026-0001' });
      r.publish(v1, { version: '1.0.1' });
      r.api.set('GET /v1/namespaces/acme/models/tiny/versions', { versions: [{ version: '1.0.1', yanked: false }] });
      const res = await check(r, v1.dir, ['--name', 'acme/tiny@^1']);
      expect(failedCodes(res.json())).toEqual(['VERSION_YANKED']);
      expect(JSON.stringify(res.json())).toContain('CVE-2026-0001');
      const out = path.join(tempDir(), 'out');
      const pulled = await runCli(['pull', 'acme/tiny@^1', '-o', out, '--public-key', keyFile, '--json'], {
        env: freshClient(r),
      });
      expect(pulled.json()).toMatchObject({ error: { code: 'VERSION_YANKED' } });
      const allowed = await runCli(['pull', 'acme/tiny@^1', '-o', out, '--public-key', keyFile, '--allow-yanked'], {
        env: freshClient(r),
      });
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toContain('YANKED (accepted with --allow-yanked): CVE-2026-0001');
      expect(allowed.stderr).toContain('is yanked in the log');
    });
  });

  it('range resolution uses the log: the highest non-yanked version, whatever the API version list says', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      r.publish(v2, { version: '1.1.0' });
      r.yank({ version: '1.1.0', rootDigest: v2.rootDigest });
      r.api.set('GET /v1/namespaces/acme/models/tiny/versions', { versions: [{ version: '1.1.0', yanked: false }] });
      const out = path.join(tempDir(), 'out');
      const res = await runCli(['pull', 'acme/tiny@^1', '-o', out, '--public-key', keyFile, '--json'], { env: freshClient(r) });
      expect(res.json()).toMatchObject({ version: { version: '1.0.0' } });
      expect(readFileSync(path.join(out, 'weights.bin'), 'utf8')).toBe('weights-bytes');
    });
  });

  it('a signer change between versions is warned about loudly (even with --quiet)', async () => {
    await withRegistry(async (r) => {
      const other = generateSigningKey();
      const v2other = await signedFixture({ 'config.json': '{"a":3}', 'weights.bin': 'w3' }, { key: other });
      r.publish(v1, { version: '1.0.0' });
      r.publish(v2other, { version: '2.0.0' });
      const res = await runCli(
        [
          'check',
          v2other.dir,
          '--name',
          'acme/tiny',
          '--public-key',
          keyFile,
          '--public-key',
          tempFile('o.pub', other.publicKeyPem),
          '--quiet',
        ],
        { env: freshClient(r) },
      );
      expect(res.code).toBe(0);
      expect(res.stderr).toMatch(
        /WARNING !!! SIGNER CHANGED: tiny@2\.0\.0 is signed by key [0-9a-f]{64}, the previous version 1\.0\.0 by key/,
      );
    });
  });

  it('a publish entry before log format v2 (no file sizes, no scan) cannot pass, and check says why', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, {
        version: '1.0.0',
        scan: null,
        entry: { files: v1.files.map((f) => ({ path: f.path, digest: f.digest })) as typeof v1.files },
      });
      const res = await check(r, v1.dir, ['--name', 'acme/tiny']);
      expect(failedCodes(res.json())).toEqual(['EVIDENCE_NOT_LOGGED']);
      expect(JSON.stringify(res.json())).toContain('before log format v2');
    });
  });

  it('two publish entries for one version (the registry equivocates) → LOG_INCONSISTENT', async () => {
    await withRegistry(async (r) => {
      r.publish(v1, { version: '1.0.0' });
      r.publish(v2, { version: '1.0.0' });
      const res = await check(r, v2.dir, ['--name', 'acme/tiny']);
      expect(failedCodes(res.json())).toEqual(['LOG_INCONSISTENT']);
    });
  });

  it('private namespace: sealed entries are opened with the token and checked; a forged opening or one of another namespace is refused', async () => {
    await withRegistry(async (r, lk) => {
      r.readers.set('msk_reader', ['acme']);
      r.publish(v1, { version: '1.0.0', sealed: true });
      const env = freshClient(r, { MODELSEC_TOKEN: 'msk_reader' });
      const ok = await runCli(['check', v1.dir, '--name', 'acme/tiny', '--public-key', keyFile, '--log-key', lk, '--json'], {
        env,
      });
      expect(ok.json()).toMatchObject({ verified: true });
      // Without the token the entry stays sealed: nothing is logged for this reader.
      const anon = await check(r, v1.dir, ['--name', 'acme/tiny']);
      expect(failedCodes(anon.json())).toEqual(['EVIDENCE_NOT_LOGGED']);
      // A forged opening.
      const [index, opening] = [...r.openings][0] as [number, { salt: string; entry: string; namespace: string }];
      r.openings.set(index, { ...opening, salt: 'ab'.repeat(32) });
      const forged = await runCli(['check', v1.dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json'], {
        env: freshClient(r, { MODELSEC_TOKEN: 'msk_reader' }),
      });
      expect(forged.code).toBe(1);
      expect(forged.json()).toMatchObject({ error: { code: 'LOG_INCONSISTENT' } });
      // A true opening, handed out as another namespace's.
      r.openings.set(index, opening);
      r.readers.set('msk_other', ['other']);
      r.openings.set(index, { ...opening, namespace: 'other' });
      const moved = await runCli(['check', v1.dir, '--name', 'other/tiny', '--public-key', keyFile, '--json'], {
        env: freshClient(r, { MODELSEC_TOKEN: 'msk_other' }),
      });
      expect(moved.json()).toMatchObject({ error: { code: 'LOG_INCONSISTENT' } });
    });
  });
});
