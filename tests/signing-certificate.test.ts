/**
 * Certificate method with CAs made on the fly (@sigstore/mock's CA, which issues code-signing leaves): the chain
 * is checked at the signing time (the leaf's notBefore), not now, and a root not valid then is refused.
 */
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signModel, verifyModel } from '@modelsec/core';
import { initializeCA } from '@sigstore/mock';
import { afterAll, describe, expect, it } from 'vitest';

const work = mkdtempSync(path.join(tmpdir(), 'modelsec-cert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const toCert = (v: ArrayBufferView) => new X509Certificate(Buffer.from(v.buffer, v.byteOffset, v.byteLength));

async function issue(clock: Date): Promise<{ leafPem: string; rootPem: string; key: KeyObject; leaf: X509Certificate }> {
  const ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), undefined, clock);
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = await ca.issueCertificate({
    publicKey: new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })),
    subjectAltName: 'builder@example.com',
  });
  const leaf = toCert(der);
  return { leafPem: leaf.toString(), rootPem: toCert(ca.rootCertificate).toString(), key: pair.privateKey, leaf };
}

function model(): string {
  const dir = mkdtempSync(path.join(work, 'm-'));
  writeFileSync(path.join(dir, 'weights.bin'), 'w');
  return dir;
}

describe('certificate chains at the signing time', () => {
  it('a leaf that is not valid now still verifies: the chain is checked at its notBefore', async () => {
    // The mock CA's root is valid from its creation; a leaf issued for one minute from now is not valid "now".
    const { leafPem, rootPem, key, leaf } = await issue(new Date(Date.now() + 60_000));
    expect(new Date(leaf.validFrom).getTime()).toBeGreaterThan(Date.now());
    const dir = model();
    const { bundle } = await signModel(dir, {
      kind: 'certificate',
      privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string,
      signingCertificatePem: leafPem,
    });
    const verified = await verifyModel(dir, bundle, { kind: 'certificate', rootCertificatesPem: [rootPem] });
    expect(verified.signedAt).toBe(new Date(leaf.validFrom).toISOString());
  });

  it('a root that was not valid at the signing time → SIGNING_CHAIN_UNTRUSTED', async () => {
    // Leaf issued in 2020 by a root whose validity starts today.
    const { leafPem, rootPem, key } = await issue(new Date('2020-01-01T00:00:00Z'));
    const dir = model();
    const { bundle } = await signModel(dir, {
      kind: 'certificate',
      privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string,
      signingCertificatePem: leafPem,
    });
    await expect(verifyModel(dir, bundle, { kind: 'certificate', rootCertificatesPem: [rootPem] })).rejects.toMatchObject({
      code: 'SIGNING_CHAIN_UNTRUSTED',
      message: expect.stringContaining('signing time'),
    });
  });

  it('a chain to another CA → SIGNING_CHAIN_UNTRUSTED', async () => {
    const signer = await issue(new Date(Date.now() + 60_000));
    const other = await issue(new Date(Date.now() + 60_000));
    const dir = model();
    const { bundle } = await signModel(dir, {
      kind: 'certificate',
      privateKeyPem: signer.key.export({ type: 'pkcs8', format: 'pem' }) as string,
      signingCertificatePem: signer.leafPem,
    });
    await expect(verifyModel(dir, bundle, { kind: 'certificate', rootCertificatesPem: [other.rootPem] })).rejects.toMatchObject({
      code: 'SIGNING_CHAIN_UNTRUSTED',
    });
  });
});
