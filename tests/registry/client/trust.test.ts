/**
 * Trust anchors are local (issue 12), end to end through the built CLI against a malicious registry
 * (tests/helpers/malicious-registry.ts): signers come from the command line or the local policy, else only from the
 * namespace policy AS LOGGED (with a pinned log key); never from API JSON or a key the registry hands back;
 * `--public-key` pins exactly that key; `check` needs the expected model and never lets another namespace satisfy it;
 * the printed signer is the verified one.
 */

import { existsSync } from 'node:fs';
import { generateSigningKey } from '@modelsec/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  failedCodes,
  freshClient,
  keyFingerprint,
  MaliciousRegistry,
  type SignedFixture,
  signedFixture,
  tempFile,
} from '../../helpers/malicious-registry.js';

// Each test runs the built CLI several times as child processes; on a loaded machine one run takes seconds.
vi.setConfig({ testTimeout: 240_000 });

let registry: MaliciousRegistry;
let model: SignedFixture;
let attackerModel: SignedFixture;
let keyFile: string;
let logKeyFile: string;
const attacker = generateSigningKey();

beforeAll(async () => {
  registry = await MaliciousRegistry.start();
  model = await signedFixture();
  attackerModel = await signedFixture({ 'config.json': '{"a":1}', 'weights.bin': 'evil-weights' }, { key: attacker });
  keyFile = tempFile('signer.pub', model.publicKeyPem);
  logKeyFile = tempFile('log.key', registry.logKey);
  registry.publish(model, { version: '1.0.0' });
  // The registry publishes the attacker's model as 1.1.0 and claims, in its API JSON, that the attacker's key is
  // the namespace signer and the version's public key (what the old client trusted).
  registry.publish(attackerModel, { version: '1.1.0' });
  registry.api.set('GET /v1/namespaces/acme/policy', { version: 1, policy: { signers: [{ publicKey: attacker.publicKeyPem }] } });
  registry.api.set('GET /v1/namespaces/acme/models/tiny/versions/1.1.0', { publicKey: attacker.publicKeyPem });
});
afterAll(async () => registry.close());

describe('trust anchors are local', () => {
  it('honest control: check and pull pass with the pinned signer; the printed signer is the verified key', async () => {
    const env = freshClient(registry);
    const r = await runCli(
      ['check', model.dir, '--name', 'acme/tiny@^1', '--public-key', keyFile, '--log-key', logKeyFile, '--json'],
      { env },
    );
    expect(r.json()).toMatchObject({
      verified: true,
      signerSource: 'command-line',
      signer: { kind: 'key', keyFingerprint: keyFingerprint(model.publicKeyPem) },
      version: { namespace: 'acme', model: 'tiny', version: '1.0.0' },
    });
    expect(r.code).toBe(0);
    const text = await runCli(['check', model.dir, '--name', 'acme/tiny@^1', '--public-key', keyFile], { env });
    expect(text.stdout).toContain(`signed by key ${keyFingerprint(model.publicKeyPem)}, trusted by the command line`);
  });

  it('no trusted signer at all: exit 2 CLIENT_NO_TRUSTED_SIGNER saying how to pin one (the API policy and key are never used)', async () => {
    const env = freshClient(registry);
    const check = await runCli(['check', attackerModel.dir, '--name', 'acme/tiny', '--log-key', logKeyFile, '--json'], { env });
    expect(check.code).toBe(2);
    expect(check.json()).toMatchObject({
      ok: false,
      error: { code: 'CLIENT_NO_TRUSTED_SIGNER', message: expect.stringContaining('--public-key') },
    });
    const out = `${tempFile('x', '')}.out`;
    const pull = await runCli(['pull', 'acme/tiny@1.1.0', '-o', out, '--log-key', logKeyFile, '--json'], { env });
    expect(pull.code).toBe(2);
    expect(pull.json()).toMatchObject({ error: { code: 'CLIENT_NO_TRUSTED_SIGNER' } });
    expect(existsSync(out), 'nothing is written').toBe(false);
  });

  it('the attacker-signed version fails against the pinned key (SIGNING_KEY_MISMATCH), whatever the API claims', async () => {
    const env = freshClient(registry);
    const r = await runCli(['check', attackerModel.dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json'], { env });
    expect(r.code).toBe(1);
    expect(failedCodes(r.json())).toEqual(['SIGNING_KEY_MISMATCH']);
    const out = `${tempFile('y', '')}.out`;
    const pull = await runCli(['pull', 'acme/tiny@1.1.0', '-o', out, '--public-key', keyFile, '--json'], { env });
    expect(pull.code).toBe(1);
    expect(pull.json()).toMatchObject({ error: { code: 'SIGNING_KEY_MISMATCH' } });
    expect(existsSync(out), 'none of the attacker-signed files is written').toBe(false);
  });

  it('--public-key pins exactly that key, even when the namespace policy in the log names another signer', async () => {
    const local = await MaliciousRegistry.start();
    try {
      local.policy('acme', { signers: [{ publicKey: attacker.publicKeyPem }], scan: { required: false } });
      local.publish(attackerModel, { version: '1.0.0' });
      const lk = tempFile('log.key', local.logKey);
      const env = freshClient(local);
      // With the log policy alone (pinned log key), the attacker's model passes: that is the namespace's own choice.
      const byPolicy = await runCli(['check', attackerModel.dir, '--name', 'acme/tiny', '--log-key', lk, '--json'], { env });
      expect(byPolicy.json()).toMatchObject({ verified: true, signerSource: 'log-policy' });
      // A pinned key is never widened by the policy.
      const pinned = await runCli(
        ['check', attackerModel.dir, '--name', 'acme/tiny', '--log-key', lk, '--public-key', keyFile, '--json'],
        { env },
      );
      expect(pinned.code).toBe(1);
      expect(failedCodes(pinned.json())).toEqual(['SIGNING_KEY_MISMATCH']);
    } finally {
      await local.close();
    }
  });

  it('signers from the logged namespace policy need a pinned log key: refused on first use, accepted with --log-key or a key known from before', async () => {
    const local = await MaliciousRegistry.start();
    try {
      local.policy('acme', { signers: [{ publicKey: model.publicKeyPem }] });
      local.publish(model, { version: '1.0.0' });
      const env = freshClient(local);
      const first = await runCli(['check', model.dir, '--name', 'acme/tiny', '--json'], { env });
      expect(first.code).toBe(2);
      expect(first.json()).toMatchObject({
        error: { code: 'CLIENT_NO_TRUSTED_SIGNER', message: expect.stringContaining('--log-key') },
      });
      // The key was stored on that first use: from now on it is pinned.
      const second = await runCli(['check', model.dir, '--name', 'acme/tiny', '--json'], { env });
      expect(second.json()).toMatchObject({ verified: true, signerSource: 'log-policy', log: { keyTrust: 'known' } });
      const pinned = await runCli(
        ['check', model.dir, '--name', 'acme/tiny', '--log-key', tempFile('k', local.logKey), '--json'],
        {
          env: freshClient(local),
        },
      );
      expect(pinned.json()).toMatchObject({ verified: true, signerSource: 'log-policy', log: { keyTrust: 'pinned' } });
    } finally {
      await local.close();
    }
  });

  it('check needs the expected model: without --name or a local policy models list, exit 2 CLIENT_MODEL_UNSPECIFIED', async () => {
    const r = await runCli(['check', model.dir, '--public-key', keyFile, '--json'], { env: freshClient(registry) });
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'CLIENT_MODEL_UNSPECIFIED' } });
  });

  it("a stranger's public namespace cannot satisfy acme's gate, nor can its lax policy apply", async () => {
    const local = await MaliciousRegistry.start();
    try {
      const stranger = generateSigningKey();
      const copy = await signedFixture({ 'config.json': '{"a":1}', 'weights.bin': 'weights-bytes' }, { key: stranger });
      // evil/tiny: the same bytes, signed by the stranger, with a policy trusting the stranger; acme has nothing.
      local.policy('evil', { signers: [{ publicKey: stranger.publicKeyPem }], scan: { required: false } });
      local.publish(copy, { namespace: 'evil', model: 'tiny', version: '1.0.0' });
      const lk = tempFile('log.key', local.logKey);
      const r = await runCli(['check', copy.dir, '--name', 'acme/tiny', '--log-key', lk, '--public-key', keyFile, '--json'], {
        env: freshClient(local),
      });
      expect(r.code).toBe(1);
      expect(failedCodes(r.json())).toEqual(['EVIDENCE_NOT_LOGGED']);
      const policy = tempFile(
        'policy.json',
        JSON.stringify({ models: ['acme/*'], signers: [{ publicKey: model.publicKeyPem }] }),
      );
      const byPolicy = await runCli(['check', copy.dir, '--policy', policy, '--log-key', lk, '--json'], {
        env: freshClient(local),
      });
      expect(byPolicy.code).toBe(1);
      expect(failedCodes(byPolicy.json())).toEqual(['EVIDENCE_NOT_LOGGED']);
      // The registry logs the evil entry and answers as if it were acme's: the entry's own namespace decides.
      local.publish(copy, { namespace: 'acme', model: 'tiny', version: '1.0.0', entry: { namespace: 'evil' } });
      const relabelled = await runCli(
        ['check', copy.dir, '--name', 'acme/tiny', '--log-key', lk, '--public-key', keyFile, '--json'],
        {
          env: freshClient(local),
        },
      );
      expect(relabelled.code).toBe(1);
      expect(failedCodes(relabelled.json())).toEqual(['EVIDENCE_NOT_LOGGED']);
    } finally {
      await local.close();
    }
  });

  it('a log entry naming another signer than the one that verifies fails (EVIDENCE_LOG_MISMATCH): the printed signer is never the claim', async () => {
    const local = await MaliciousRegistry.start();
    try {
      local.publish(model, {
        version: '1.0.0',
        entry: { signer: { kind: 'sigstore', identity: 'release@acme.example', issuer: 'https://accounts.google.com' } },
      });
      const r = await runCli(['check', model.dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json'], {
        env: freshClient(local),
      });
      expect(r.code).toBe(1);
      expect(failedCodes(r.json())).toEqual(['EVIDENCE_LOG_MISMATCH']);
      expect(JSON.stringify(r.json())).toContain('release@acme.example');
    } finally {
      await local.close();
    }
  });
});
