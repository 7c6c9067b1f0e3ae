/** `modelsec digest / keygen / sign / verify / attest` as a user runs them (the built binary, a child process). */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'modelsec-sign-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function model(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(1000, 3));
  writeFileSync(path.join(dir, 'sub', 'a.json'), '{}');
  return dir;
}

describe('modelsec signing commands', () => {
  const prefix = path.join(work, 'signer');

  it('keygen writes an encrypted PKCS#8 key and an SPKI public key; refuses to overwrite', async () => {
    const run = await runCli(['keygen', '--out', prefix, '--curve', 'p521', '--password', 'pw', '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, curve: 'p521', encrypted: true });
    const key = readFileSync(`${prefix}.key`, 'utf8');
    const pub = readFileSync(`${prefix}.pub`, 'utf8');
    expect(key).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    expect(pub).toContain('BEGIN PUBLIC KEY');
    const again = await runCli(['keygen', '--out', prefix]);
    expect(again.code).toBe(2);
    // Refused means untouched: the key pair on disk is still the first one.
    expect(readFileSync(`${prefix}.key`, 'utf8')).toBe(key);
    expect(readFileSync(`${prefix}.pub`, 'utf8')).toBe(pub);
  });

  it('digest prints the root digest; --json lists the resources', async () => {
    const dir = model('digest');
    const run = await runCli(['digest', dir, '--json']);
    expect(run.code).toBe(0);
    const body = run.json<{ rootDigest: string; resources: { name: string; digest: string }[] }>();
    expect(body.resources.map((r) => r.name)).toEqual(['sub/a.json', 'weights.bin']);
    const root = createHash('sha256');
    for (const r of body.resources) root.update(Buffer.from(r.digest, 'hex'));
    expect(body.rootDigest).toBe(root.digest('hex'));
    const text = await runCli(['digest', dir]);
    expect(text.stdout).toContain(`sha256:${body.rootDigest}`);
  });

  it('sign key → verify key exits 0; a changed file exits 1 naming it; a missing flag exits 2', async () => {
    const dir = model('roundtrip');
    const sign = await runCli([
      'sign',
      'key',
      dir,
      '--private-key',
      `${prefix}.key`,
      '--password',
      'pw',
      '--method',
      'shards',
      '--shard-size',
      '300',
    ]);
    expect(sign.code).toBe(0);
    const ok = await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`, '--json']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, valid: true, serialization: 'shards', signer: { kind: 'key' } });
    writeFileSync(path.join(dir, 'sub', 'a.json'), '{"x":1}');
    const bad = await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`, '--json']);
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({
      ok: false,
      error: { code: 'SIGNING_DIGEST_MISMATCH', message: expect.stringContaining('sub/a.json') },
    });
    const usage = await runCli(['verify', 'key', dir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--public-key');
  });

  it('an extra file exits 1 (SIGNING_FILE_EXTRA) unless --ignore-unsigned-files; a removed one is SIGNING_FILE_MISSING', async () => {
    const dir = model('extra');
    const signature = path.join(work, 'extra.sig');
    expect(
      (await runCli(['sign', 'key', dir, '--private-key', `${prefix}.key`, '--password', 'pw', '--signature', signature])).code,
    ).toBe(0);
    writeFileSync(path.join(dir, 'new.bin'), 'x');
    const extra = await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`, '--signature', signature, '--json']);
    expect(extra.code).toBe(1);
    expect(extra.json()).toMatchObject({ error: { code: 'SIGNING_FILE_EXTRA' } });
    const tolerated = await runCli([
      'verify',
      'key',
      dir,
      '--public-key',
      `${prefix}.pub`,
      '--signature',
      signature,
      '--ignore-unsigned-files',
    ]);
    expect(tolerated.code).toBe(0);
    unlinkSync(path.join(dir, 'weights.bin'));
    const missing = await runCli([
      'verify',
      'key',
      dir,
      '--public-key',
      `${prefix}.pub`,
      '--signature',
      signature,
      '--ignore-unsigned-files',
      '--json',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ error: { code: 'SIGNING_FILE_MISSING' } });
  });

  it('attest writes an attestation beside model.sig; verify --attestation checks it', async () => {
    const dir = model('attest');
    expect((await runCli(['sign', 'key', dir, '--private-key', `${prefix}.key`, '--password', 'pw'])).code).toBe(0);
    const predicate = path.join(work, 'scan.json');
    writeFileSync(predicate, JSON.stringify({ verdict: 'clean' }));
    const attest = await runCli([
      'attest',
      'key',
      dir,
      '--private-key',
      `${prefix}.key`,
      '--password',
      'pw',
      '--predicate',
      predicate,
      '--predicate-type',
      'https://modelsec.dev/scan/v1',
      '--json',
    ]);
    expect(attest.code).toBe(0);
    const file = attest.json<{ attestation: string }>().attestation;
    expect(path.dirname(file)).toBe(dir);
    const verify = await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`, '--attestation', file, '--json']);
    expect(verify.code).toBe(0);
    expect(verify.json()).toMatchObject({ attestations: [{ predicateType: 'https://modelsec.dev/scan/v1' }] });
    // Attestations beside model.sig are never hashed, so the model signature still verifies after attesting.
    expect((await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`])).code).toBe(0);
  });
});
