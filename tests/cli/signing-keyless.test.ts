/**
 * `modelsec sign sigstore` / `verify sigstore` as a user runs them against a private Sigstore: @sigstore/mock's
 * Fulcio, Rekor (canonical dsse entries) and TSA served by a real HTTP server on 127.0.0.1, the identity token from
 * SIGSTORE_ID_TOKEN, the service URLs from --fulcio-url/--rekor-url/--tsa-url, and offline verification with
 * --trusted-root.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { freezeDateOnWholeSecond, type PrivateSigstore, startPrivateSigstore } from '../helpers/private-sigstore.js';

const ISSUER = 'https://issuer.mock.test';
const IDENTITY = 'ci@example.com';
const work = mkdtempSync(path.join(tmpdir(), 'modelsec-keyless-cli-'));
let sigstore: PrivateSigstore;
let base = '';
let trustedRoot = '';

beforeAll(async () => {
  freezeDateOnWholeSecond();
  sigstore = await startPrivateSigstore();
  base = sigstore.fulcioUrl.replace(/\/fulcio$/, '');
  trustedRoot = path.join(work, 'trusted_root.json');
  writeFileSync(trustedRoot, JSON.stringify(sigstore.trustedRootJson));
});

afterAll(async () => {
  vi.useRealTimers();
  await sigstore.close();
  rmSync(work, { recursive: true, force: true });
});

const token = (): string => sigstore.token(IDENTITY, ISSUER);

describe('modelsec sign/verify sigstore against a private Sigstore on 127.0.0.1', () => {
  it('signs with SIGSTORE_ID_TOKEN, verifies offline with --trusted-root and the exact identity; a substring identity exits 1', async () => {
    const model = path.join(work, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), 'weights');
    const urls = ['--fulcio-url', `${base}/fulcio`, '--rekor-url', `${base}/rekor`, '--tsa-url', `${base}/tsa`];
    const sign = await runCli(['sign', 'sigstore', model, ...urls, '--json'], { env: { SIGSTORE_ID_TOKEN: token() } });
    expect(sign.code, sign.stdout + sign.stderr).toBe(0);
    const verify = await runCli([
      'verify',
      'sigstore',
      model,
      '--identity',
      IDENTITY,
      '--identity-provider',
      ISSUER,
      '--trusted-root',
      trustedRoot,
      '--json',
    ]);
    expect(verify.code).toBe(0);
    expect(verify.json()).toMatchObject({ valid: true, signer: { kind: 'sigstore', identity: IDENTITY, issuer: ISSUER } });
    const substring = await runCli([
      'verify',
      'sigstore',
      model,
      '--identity-regexp',
      'ci',
      '--identity-provider',
      ISSUER,
      '--trusted-root',
      trustedRoot,
      '--json',
    ]);
    expect(substring.code).toBe(1);
    expect(substring.json()).toMatchObject({ error: { code: 'SIGNING_IDENTITY_MISMATCH' } });
  });

  it('without any identity token, sign sigstore is a usage error (exit 2) that says where a token comes from', async () => {
    const model = path.join(work, 'model2');
    mkdirSync(model);
    writeFileSync(path.join(model, 'w'), 'w');
    const run = await runCli(['sign', 'sigstore', model, '--fulcio-url', `${base}/fulcio`], {
      env: { SIGSTORE_ID_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SIGSTORE_ID_TOKEN');
  });
});
