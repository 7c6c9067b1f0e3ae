/**
 * Certificate method, RFC 5280 path validation (packages/core/src/signing/x509.ts) with chains made on the fly
 * (tests/helpers/x509-builder.ts): validity at the trusted signing time (never the leaf's own notBefore), basic
 * constraints, path length (the anchor's included), key usage, extended key usage, unprocessed critical extensions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BundleJson, signModel, verifyModel, verifyModelBundle } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { CODE_SIGNING, chain, type Issued, issue, SERVER_AUTH } from '../../helpers/x509-builder.js';

const work = mkdtempSync(path.join(tmpdir(), 'modelsec-cert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function model(): string {
  const dir = mkdtempSync(path.join(work, 'm-'));
  writeFileSync(path.join(dir, 'weights.bin'), 'w');
  return dir;
}

async function signWith(leaf: Issued, intermediates: Issued[]): Promise<{ dir: string; bundle: BundleJson }> {
  const dir = model();
  const { bundle } = await signModel(dir, {
    kind: 'certificate',
    privateKeyPem: leaf.keyPem,
    signingCertificatePem: leaf.pem,
    certificateChainPem: intermediates.map((c) => c.pem),
  });
  return { dir, bundle };
}

const verifier = (root: Issued, signingTime?: Date) => ({
  kind: 'certificate' as const,
  rootCertificatesPem: [root.pem],
  ...(signingTime ? { signingTime } : {}),
});

describe('certificate paths (RFC 5280)', () => {
  it('honest control: root → intermediate (pathLen 0) → code-signing leaf verifies now', async () => {
    const { root, intermediate, leaf } = await chain();
    const { dir, bundle } = await signWith(leaf, [intermediate]);
    const verified = await verifyModel(dir, bundle, verifier(root));
    expect(verified.signer).toMatchObject({
      kind: 'certificate',
      identity: 'CN=test-signer',
      certificateRoots: ['CN=test-root'],
    });
    // No trusted time was given: nothing is claimed as the signing time (the leaf's notBefore proves nothing).
    expect(verified.signedAt).toBeUndefined();
  });

  it('expired-leaf class: a leaf that expired years ago is refused now, and accepted at a trusted signing time inside its validity', async () => {
    const since2010 = { notBefore: new Date('2010-01-01T00:00:00Z') };
    const { root, intermediate, leaf } = await chain({
      root: since2010,
      intermediate: since2010,
      leaf: { notBefore: new Date('2015-01-01T00:00:00Z'), notAfter: new Date('2016-01-01T00:00:00Z') },
    });
    const { bundle } = await signWith(leaf, [intermediate]);
    await expect(verifyModelBundle(bundle, verifier(root))).rejects.toMatchObject({
      code: 'SIGNING_CERT_EXPIRED',
      details: { subject: 'CN=test-signer', notAfter: '2016-01-01T00:00:00.000Z' },
    });
    const at = new Date('2015-06-01T00:00:00Z');
    const verified = await verifyModelBundle(bundle, verifier(root, at));
    expect(verified.signedAt).toBe(at.toISOString());
    // A trusted time outside the window fails the same way.
    await expect(verifyModelBundle(bundle, verifier(root, new Date('2017-01-01T00:00:00Z')))).rejects.toMatchObject({
      code: 'SIGNING_CERT_EXPIRED',
    });
  });

  it('a leaf not yet valid at the signing time is refused (no more "signed at its own notBefore")', async () => {
    const { root, intermediate, leaf } = await chain({
      leaf: { notBefore: new Date(Date.now() + 3_600_000), notAfter: new Date('2040-01-01T00:00:00Z') },
    });
    const { bundle } = await signWith(leaf, [intermediate]);
    await expect(verifyModelBundle(bundle, verifier(root))).rejects.toMatchObject({ code: 'SIGNING_CERT_EXPIRED' });
  });

  it('an expired root or intermediate is refused at the signing time', async () => {
    const old = { notBefore: new Date('2010-01-01T00:00:00Z'), notAfter: new Date('2012-01-01T00:00:00Z') };
    for (const overrides of [{ root: old }, { intermediate: old }]) {
      const { root, intermediate, leaf } = await chain(overrides);
      const { bundle } = await signWith(leaf, [intermediate]);
      await expect(verifyModelBundle(bundle, verifier(root))).rejects.toMatchObject({ code: 'SIGNING_CERT_EXPIRED' });
    }
  });

  it('path-length class: a CA below a pathLenConstraint 0 CA is refused (intermediate and anchor constraints)', async () => {
    const { root, intermediate } = await chain();
    // intermediate has pathLen 0; a second CA below it issues the leaf.
    const sub = await issue({ name: 'sub-ca', issuer: intermediate, ca: { isCA: true }, keyUsage: ['keyCertSign'] });
    const leaf = await issue({
      name: 'deep-signer',
      issuer: sub,
      ca: { isCA: false },
      keyUsage: ['digitalSignature'],
      eku: [CODE_SIGNING],
    });
    const { bundle } = await signWith(leaf, [sub, intermediate]);
    await expect(verifyModelBundle(bundle, verifier(root))).rejects.toMatchObject({
      code: 'SIGNING_CERT_CONSTRAINT_VIOLATED',
      details: { subject: 'CN=sub-ca', rule: 'path-length' },
    });

    // The anchor's own pathLenConstraint 0 forbids any intermediate.
    const strict = await chain({ root: { ca: { isCA: true, pathLen: 0 } }, intermediate: { ca: { isCA: true } } });
    const signed = await signWith(strict.leaf, [strict.intermediate]);
    await expect(verifyModelBundle(signed.bundle, verifier(strict.root))).rejects.toMatchObject({
      code: 'SIGNING_CERT_CONSTRAINT_VIOLATED',
      details: { rule: 'path-length' },
    });
    // ... while a leaf issued directly by that root is fine.
    const direct = await issue({
      name: 'direct-signer',
      issuer: strict.root,
      ca: { isCA: false },
      keyUsage: ['digitalSignature'],
      eku: [CODE_SIGNING],
    });
    const ok = await signWith(direct, []);
    await expect(verifyModelBundle(ok.bundle, verifier(strict.root))).resolves.toMatchObject({
      signer: { identity: 'CN=direct-signer' },
    });
  });

  it('basic-constraints class: an issuer that is not a CA (cA false or no basicConstraints) is refused', async () => {
    for (const ca of [{ isCA: false }, undefined]) {
      const { root, intermediate, leaf } = await chain({ intermediate: ca ? { ca } : { ca: undefined } });
      const { bundle } = await signWith(leaf, [intermediate]);
      await expect(verifyModelBundle(bundle, verifier(root))).rejects.toMatchObject({
        code: 'SIGNING_CERT_CONSTRAINT_VIOLATED',
        details: { subject: 'CN=test-intermediate', rule: 'basic-constraints' },
      });
    }
  });

  it('key-usage class: an issuer without keyCertSign, or a leaf without digitalSignature, is refused', async () => {
    const a = await chain({ intermediate: { keyUsage: ['digitalSignature'] } });
    const sa = await signWith(a.leaf, [a.intermediate]);
    await expect(verifyModelBundle(sa.bundle, verifier(a.root))).rejects.toMatchObject({
      code: 'SIGNING_CERT_CONSTRAINT_VIOLATED',
      details: { rule: 'key-usage', subject: 'CN=test-intermediate' },
    });
    const b = await chain({ leaf: { keyUsage: ['keyCertSign'] } });
    const sb = await signWith(b.leaf, [b.intermediate]);
    await expect(verifyModelBundle(sb.bundle, verifier(b.root))).rejects.toMatchObject({
      code: 'SIGNING_CERT_CONSTRAINT_VIOLATED',
      details: { rule: 'key-usage', subject: 'CN=test-signer' },
    });
  });

  it('extended-key-usage class: an issuer restricted to server auth cannot vouch for code signing', async () => {
    const { root, intermediate, leaf } = await chain({ intermediate: { eku: [SERVER_AUTH] } });
    const { bundle } = await signWith(leaf, [intermediate]);
    await expect(verifyModelBundle(bundle, verifier(root))).rejects.toMatchObject({ code: 'SIGNING_EKU_MISSING' });
  });

  it('an unknown critical extension (or critical name constraints) fails the path; a non-critical one does not', async () => {
    const der = new Uint8Array([0x05, 0x00]); // ASN.1 NULL
    const bad = await chain({ intermediate: { extra: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, der }] } });
    const sb = await signWith(bad.leaf, [bad.intermediate]);
    await expect(verifyModelBundle(sb.bundle, verifier(bad.root))).rejects.toMatchObject({
      code: 'SIGNING_CERT_CONSTRAINT_VIOLATED',
      details: { rule: 'critical-extension' },
    });
    const fine = await chain({ intermediate: { extra: [{ oid: '1.3.6.1.4.1.99999.1', critical: false, der }] } });
    const sf = await signWith(fine.leaf, [fine.intermediate]);
    await expect(verifyModelBundle(sf.bundle, verifier(fine.root))).resolves.toMatchObject({ signer: { kind: 'certificate' } });
  });

  it('a chain to another CA, or trusting only the leaf, → SIGNING_CHAIN_UNTRUSTED', async () => {
    const mine = await chain();
    const other = await chain();
    const { bundle } = await signWith(mine.leaf, [mine.intermediate]);
    await expect(verifyModelBundle(bundle, verifier(other.root))).rejects.toMatchObject({ code: 'SIGNING_CHAIN_UNTRUSTED' });
    await expect(verifyModelBundle(bundle, verifier(mine.leaf))).rejects.toMatchObject({ code: 'SIGNING_CHAIN_UNTRUSTED' });
  });

  it('trusting the intermediate as the anchor works (the path ends at the first trusted CA)', async () => {
    const { intermediate, leaf } = await chain();
    const { bundle } = await signWith(leaf, [intermediate]);
    await expect(verifyModelBundle(bundle, verifier(intermediate))).resolves.toMatchObject({
      signer: { certificateRoots: ['CN=test-intermediate'] },
    });
  });
});
