/**
 * Certificates end to end through the built CLI (issue 12): `verify certificate` checks the path at the current time
 * (no trusted time is known), `check` at the log entry's integrated time (the trusted signing time the verified log
 * gives), so a leaf that expired long ago verifies only for what was logged while it was valid; a backdated entry
 * is refused; RFC 5280 path rules (path length) fail with their own code.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { signModel } from '@modelsec/core';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { failedCodes, freshClient, MaliciousRegistry, signedFixture, tempDir, tempFile } from '../helpers/malicious-registry.js';
import { CODE_SIGNING, chain, issue } from '../helpers/x509-builder.js';

// Each test runs the built CLI several times as child processes; on a loaded machine one run takes seconds.
vi.setConfig({ testTimeout: 240_000 });

async function certificateSigned(overrides: Parameters<typeof chain>[0]) {
  const c = await chain(overrides);
  const fixture = await signedFixture();
  const { bundle, digest } = await signModel(fixture.dir, {
    kind: 'certificate',
    privateKeyPem: c.leaf.keyPem,
    signingCertificatePem: c.leaf.pem,
    certificateChainPem: [c.intermediate.pem],
  });
  const bundleBytes = Buffer.from(JSON.stringify(bundle));
  writeFileSync(path.join(fixture.dir, 'model.sig'), bundleBytes);
  return {
    ...c,
    fixture: { ...fixture, bundle, bundleBytes, rootDigest: digest.rootDigest },
    rootFile: tempFile('root.pem', c.root.pem),
  };
}

const since2010 = { notBefore: new Date('2010-01-01T00:00:00Z') };

describe('certificate signing time', () => {
  it('expired-leaf class: refused by verify (now) and by check when logged after expiry; accepted when the log proves it was signed in time', async () => {
    const s = await certificateSigned({
      root: since2010,
      intermediate: since2010,
      leaf: { notBefore: new Date('2015-01-01T00:00:00Z'), notAfter: new Date('2016-01-01T00:00:00Z') },
    });
    const verify = await runCli(['verify', 'certificate', s.fixture.dir, '--certificate-chain', s.rootFile, '--json']);
    expect(verify.code).toBe(1);
    expect(verify.json()).toMatchObject({ error: { code: 'SIGNING_CERT_EXPIRED' } });

    const signer = { kind: 'certificate' as const, identity: 'CN=test-signer' };
    const inTime = await MaliciousRegistry.start();
    const late = await MaliciousRegistry.start();
    try {
      inTime.publish(s.fixture, { version: '1.0.0', at: '2015-06-01T00:00:00.000Z', entry: { signer } });
      const ok = await runCli(['check', s.fixture.dir, '--name', 'acme/tiny', '--certificate-root', s.rootFile, '--json'], {
        env: freshClient(inTime),
      });
      expect(ok.json()).toMatchObject({ verified: true, signer: { kind: 'certificate', identity: 'CN=test-signer' } });
      late.publish(s.fixture, { version: '1.0.0', entry: { signer } });
      const expired = await runCli(['check', s.fixture.dir, '--name', 'acme/tiny', '--certificate-root', s.rootFile, '--json'], {
        env: freshClient(late),
      });
      expect(failedCodes(expired.json())).toEqual(['SIGNING_CERT_EXPIRED']);
      // A backdated entry (after entries of 2026) cannot lend the expired leaf a time of validity.
      late.publish(s.fixture, { version: '1.0.1', at: '2015-06-01T00:00:00.000Z', entry: { signer } });
      const backdated = await runCli(
        ['check', s.fixture.dir, '--name', 'acme/tiny@1.0.1', '--certificate-root', s.rootFile, '--json'],
        {
          env: freshClient(late),
        },
      );
      expect(backdated.code).toBe(1);
      expect(backdated.json()).toMatchObject({
        error: { code: 'LOG_INCONSISTENT', message: expect.stringContaining('backdated') },
      });
    } finally {
      await inTime.close();
      await late.close();
    }
  });

  it('path-length class through the CLI: a CA below a pathLenConstraint 0 CA → SIGNING_CERT_CONSTRAINT_VIOLATED', async () => {
    const c = await chain();
    const sub = await issue({ name: 'sub-ca', issuer: c.intermediate, ca: { isCA: true }, keyUsage: ['keyCertSign'] });
    const leaf = await issue({
      name: 'deep',
      issuer: sub,
      ca: { isCA: false },
      keyUsage: ['digitalSignature'],
      eku: [CODE_SIGNING],
    });
    const dir = tempDir('modelsec-model-');
    writeFileSync(path.join(dir, 'weights.bin'), 'w');
    const { bundle } = await signModel(dir, {
      kind: 'certificate',
      privateKeyPem: leaf.keyPem,
      signingCertificatePem: leaf.pem,
      certificateChainPem: [sub.pem, c.intermediate.pem],
    });
    writeFileSync(path.join(dir, 'model.sig'), JSON.stringify(bundle));
    const r = await runCli(['verify', 'certificate', dir, '--certificate-chain', tempFile('root.pem', c.root.pem), '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ error: { code: 'SIGNING_CERT_CONSTRAINT_VIOLATED', details: { rule: 'path-length' } } });
  });
});
