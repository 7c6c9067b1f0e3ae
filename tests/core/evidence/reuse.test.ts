/**
 * Incremental re-signing (issue 15): `sign key --reuse-from OLD.sig` and `verify key --changed-since OLD.sig` through
 * the CLI. Digests are reused only from a signature that verifies with the signer's key, only for files unchanged since
 * it was written, and the statement signed equals a full re-sign's.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { chain } from '../../helpers/x509-builder.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'modelsec-reuse-'));
const prefix = path.join(work, 'signer');
const stranger = path.join(work, 'stranger');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  expect((await runCli(['keygen', '--out', prefix])).code).toBe(0);
  expect((await runCli(['keygen', '--out', stranger])).code).toBe(0);
}, 60_000);

function fresh(): string {
  const dir = path.join(mkdtempSync(path.join(work, 'm-')), 'model');
  cpSync(path.join(REPO_ROOT, 'fixtures', 'models', 'hf-tiny-llama'), dir, { recursive: true });
  return dir;
}

const payloadOf = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload;

/** Sets a file's times into the past (as an untouched file is), so only what the test edits counts as changed. */
function age(dir: string, names: string[]): void {
  const past = new Date(Date.now() - 3_600_000);
  for (const n of names) utimesSync(path.join(dir, n), past, past);
}

describe('sign --reuse-from / verify --changed-since', () => {
  it('after a README edit only the README is read again, and model.sig equals a full re-sign byte for byte', async () => {
    const dir = fresh();
    expect((await runCli(['sign', 'key', dir, '--private-key', `${prefix}.key`])).code).toBe(0);
    writeFileSync(path.join(dir, 'README.md'), '# tiny llama\n\nA new usage section.\n');
    const incremental = await runCli(
      ['sign', 'key', dir, '--private-key', `${prefix}.key`, '--reuse-from', path.join(dir, 'model.sig'), '--json'],
      {},
    );
    expect(incremental.code, incremental.stderr).toBe(0);
    expect(incremental.json()).toMatchObject({ resources: 11, reused: { files: 10 } });
    const reusedPayload = payloadOf(path.join(dir, 'model.sig'));
    const reusedSig = readFileSync(path.join(dir, 'model.sig'));
    expect((await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`])).code).toBe(0);
    // A full re-sign of the same files writes byte for byte the same model.sig: the same statement, and the same
    // signature (deterministic ECDSA, RFC 6979).
    const full = await runCli(['sign', 'key', dir, '--private-key', `${prefix}.key`, '--json']);
    expect(full.json()).not.toHaveProperty('reused');
    expect(payloadOf(path.join(dir, 'model.sig'))).toBe(reusedPayload);
    expect(readFileSync(path.join(dir, 'model.sig')).equals(reusedSig)).toBe(true);
  });

  it('a file changed after OLD.sig is hashed again even at the same size, and setting its mtime back does not hide it', async () => {
    const dir = fresh();
    expect((await runCli(['sign', 'key', dir, '--private-key', `${prefix}.key`])).code).toBe(0);
    const old = path.join(work, `old-${path.basename(path.dirname(dir))}.sig`);
    cpSync(path.join(dir, 'model.sig'), old, { preserveTimestamps: true });
    const config = path.join(dir, 'config.json');
    const bytes = readFileSync(config);
    bytes[3] = (bytes[3] as number) ^ 1;
    writeFileSync(config, bytes);
    const run = await runCli(['sign', 'key', dir, '--private-key', `${prefix}.key`, '--reuse-from', old, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ reused: { files: 10 } });
    expect((await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`])).code).toBe(0);
    // verify --changed-since reads the changed file: a later edit is caught, the untouched ones come from OLD.sig.
    const verified = await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`, '--changed-since', old, '--json']);
    expect(verified.code).toBe(0);
    writeFileSync(config, readFileSync(config).subarray(1));
    const caught = await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`, '--changed-since', old, '--json']);
    expect(caught.code).toBe(1);
    expect(caught.json()).toMatchObject({ error: { code: 'SIGNING_DIGEST_MISMATCH' } });
    // Setting the modification time back does not hide the change: the status-change time moved (reuse.ts).
    age(dir, ['config.json']);
    const aged = await runCli(['verify', 'key', dir, '--public-key', `${prefix}.pub`, '--changed-since', old, '--json']);
    expect(aged.code).toBe(1);
    expect(aged.json()).toMatchObject({ error: { code: 'SIGNING_DIGEST_MISMATCH' } });
  });

  it('a reuse from a signature that does not verify is refused: nothing is reused, nothing is written', async () => {
    const dir = fresh();
    expect((await runCli(['sign', 'key', dir, '--private-key', `${stranger}.key`])).code).toBe(0);
    const before = readFileSync(path.join(dir, 'model.sig'));
    const refused = await runCli([
      'sign',
      'key',
      dir,
      '--private-key',
      `${prefix}.key`,
      '--reuse-from',
      path.join(dir, 'model.sig'),
      '--json',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({
      error: { code: 'SIGNING_KEY_MISMATCH', message: expect.stringContaining('none of its digests is reused') },
    });
    expect(readFileSync(path.join(dir, 'model.sig'))).toEqual(before);
    const forged = path.join(work, 'forged.sig');
    const bundle = JSON.parse(before.toString('utf8')) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as {
      predicate: { resources: { digest: string }[] };
    };
    (statement.predicate.resources[0] as { digest: string }).digest = '0'.repeat(64);
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    writeFileSync(forged, JSON.stringify(bundle));
    const verifyForged = await runCli([
      'verify',
      'key',
      dir,
      '--public-key',
      `${stranger}.pub`,
      '--changed-since',
      forged,
      '--json',
    ]);
    expect(verifyForged.code).toBe(1);
    expect(verifyForged.json<{ error: { message: string } }>().error.message).toContain('none of its digests is reused');
  });

  it('certificate signing: reuse needs OLD.sig to chain to --reuse-certificate-root; then only the edit is read and model.sig equals a full re-sign', async () => {
    const c = await chain();
    const other = await chain();
    const file = (name: string, text: string) => {
      const f = path.join(work, `${name}-${Math.random().toString(36).slice(2)}.pem`);
      writeFileSync(f, text);
      return f;
    };
    const leafKey = file('leaf-key', c.leaf.keyPem);
    const leafCert = file('leaf', c.leaf.pem);
    const intermediate = file('intermediate', c.intermediate.pem);
    const root = file('root', c.root.pem);
    const strangerRoot = file('stranger-root', other.root.pem);
    const signArgs = (dir: string) => [
      'sign',
      'certificate',
      dir,
      '--private-key',
      leafKey,
      '--signing-certificate',
      leafCert,
      '--certificate-chain',
      intermediate,
    ];
    const dir = fresh();
    const first = await runCli(signArgs(dir));
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(path.join(dir, 'README.md'), '# tiny llama\n\nA new usage section.\n');
    const old = path.join(dir, 'model.sig');
    const before = readFileSync(old);

    const noRoot = await runCli([...signArgs(dir), '--reuse-from', old, '--json']);
    expect(noRoot.code).not.toBe(0);
    expect(noRoot.stdout + noRoot.stderr).toContain('--reuse-certificate-root');
    const wrongRoot = await runCli([...signArgs(dir), '--reuse-from', old, '--reuse-certificate-root', strangerRoot, '--json']);
    expect(wrongRoot.code).toBe(1);
    expect(wrongRoot.json<{ error: { message: string } }>().error.message).toContain('none of its digests is reused');
    expect(readFileSync(old).equals(before)).toBe(true);

    const incremental = await runCli([...signArgs(dir), '--reuse-from', old, '--reuse-certificate-root', root, '--json']);
    expect(incremental.code, incremental.stderr).toBe(0);
    expect(incremental.json()).toMatchObject({ resources: 11, reused: { files: 10 } });
    const reusedSig = readFileSync(old);
    const verified = await runCli(['verify', 'certificate', dir, '--certificate-chain', root]);
    expect(verified.code, verified.stderr).toBe(0);
    expect((await runCli(signArgs(dir))).code).toBe(0);
    expect(readFileSync(old).equals(reusedSig)).toBe(true);
  });
});
