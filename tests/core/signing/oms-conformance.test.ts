/**
 * Conformance with the OpenSSF Model Signing reference implementation and spec:
 * - every signed fixture of sigstore/model-transparency scripts/tests (key, certificate, sigstore; v0.2.0-v1.1.0)
 *   verifies with the key / CA / identity its vectors.json names, sigstore ones offline with trusted_root.json;
 * - the ossf/model-signing-spec v1.0 test vectors: valid ones verify, invalid ones fail for the stated reason.
 * Data: fixtures/oms-vectors (vendored from ../shared/corpora, see its SOURCE.md): always present, never skipped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type BundleVerifier, verifyModel, verifyModelBundle } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const VECTORS = path.join(REPO_ROOT, 'fixtures/oms-vectors');
const MT = path.join(VECTORS, 'model-transparency');
const SPEC = path.join(VECTORS, 'model-signing-spec/test-vectors/v1.0');
const TRUSTED_ROOT = path.join(VECTORS, 'sigstore/trusted_root.json');

interface Vector {
  dir: string;
  method: 'key' | 'certificate' | 'sigstore';
  modelPath: string;
  ignore: string[];
}

const vectors = JSON.parse(readFileSync(path.join(MT, 'vectors.json'), 'utf8')) as {
  vectors: Vector[];
  sigstoreIdentity: { identity: string; issuer: string };
};
const keys = path.join(MT, 'scripts/tests/keys/certificate');

function verifierFor(method: Vector['method'], override: Partial<{ identity: string; issuer: string }> = {}): BundleVerifier {
  if (method === 'key') return { kind: 'key', publicKeyPem: readFileSync(path.join(keys, 'signing-key-pub.pem'), 'utf8') };
  if (method === 'certificate')
    return { kind: 'certificate', rootCertificatesPem: [readFileSync(path.join(keys, 'ca-cert.pem'), 'utf8')] };
  return {
    kind: 'sigstore',
    identity: override.identity ?? vectors.sigstoreIdentity.identity,
    issuer: override.issuer ?? vectors.sigstoreIdentity.issuer,
    trustedRootJson: JSON.parse(readFileSync(TRUSTED_ROOT, 'utf8')),
  };
}

describe('model-transparency signed fixtures (reference implementation)', () => {
  it('has every vector: key, certificate and sigstore bundles of v0.2.0 to v1.1.0', () => {
    expect(vectors.vectors).toHaveLength(13);
    expect(new Set(vectors.vectors.map((v) => v.method))).toEqual(new Set(['key', 'certificate', 'sigstore']));
  });

  for (const v of vectors.vectors) {
    it(`${v.dir} (${v.method}) verifies against its files`, async () => {
      const dir = path.join(MT, v.dir);
      const model = v.modelPath.startsWith('signme-1') ? path.join(dir, 'signme-1') : dir;
      const signature = path.join(dir, 'model.sig');
      const verified = await verifyModel(model, readFileSync(signature), verifierFor(v.method), {
        ignorePaths: v.ignore.length > 0 ? [path.join(dir, 'ignore-me')] : [],
        signaturePath: signature,
      });
      expect(verified.resources.length).toBeGreaterThan(0);
      expect(verified.signer.kind).toBe(v.method);
      expect(verified.paeForm).toBe(v.dir.startsWith('scripts/tests/v0.2.0') ? 'legacy' : 'standard');
      if (v.method === 'sigstore') expect(verified.signer.identity).toBe(vectors.sigstoreIdentity.identity);
    });
  }

  it('a sigstore fixture fails when the identity only matches as a substring', async () => {
    const v = vectors.vectors.find((x) => x.method === 'sigstore')!;
    const bundle = readFileSync(path.join(MT, v.dir, 'model.sig'));
    await expect(verifyModelBundle(bundle, verifierFor('sigstore', { identity: 'stefanb' }))).rejects.toMatchObject({
      code: 'SIGNING_IDENTITY_MISMATCH',
    });
    await expect(
      verifyModelBundle(bundle, {
        ...(verifierFor('sigstore') as object),
        identity: undefined,
        identityRegexp: 'stefanb',
      } as BundleVerifier),
    ).rejects.toMatchObject({ code: 'SIGNING_IDENTITY_MISMATCH' });
    await expect(
      verifyModelBundle(bundle, {
        ...(verifierFor('sigstore') as object),
        identity: undefined,
        identityRegexp: 'stefanb@.*',
      } as BundleVerifier),
    ).resolves.toMatchObject({ signer: { identity: 'stefanb@us.ibm.com' } });
  });

  it('a sigstore fixture fails with another issuer', async () => {
    const v = vectors.vectors.find((x) => x.method === 'sigstore')!;
    const bundle = readFileSync(path.join(MT, v.dir, 'model.sig'));
    await expect(
      verifyModelBundle(bundle, verifierFor('sigstore', { issuer: 'https://accounts.google.com' })),
    ).rejects.toMatchObject({
      code: 'SIGNING_IDENTITY_MISMATCH',
    });
  });

  it('a certificate fixture fails when only the signing certificate itself is trusted as a root', async () => {
    const bundle = readFileSync(path.join(MT, 'scripts/tests/v1.1.0-certificate/model.sig'));
    await expect(
      verifyModelBundle(bundle, {
        kind: 'certificate',
        rootCertificatesPem: [readFileSync(path.join(keys, 'signing-key-cert.pem'), 'utf8')],
      }),
    ).rejects.toMatchObject({ code: 'SIGNING_CHAIN_UNTRUSTED' });
  });
});

const modelForSpec = path.join(MT, 'scripts/tests/v1.1.0-elliptic-key');

describe('OMS spec v1.0 test vectors', () => {
  const spec: { file: string; method: Vector['method']; expect: string }[] = [
    { file: 'valid/key.bundle.json', method: 'key', expect: 'valid' },
    { file: 'valid/certificate.bundle.json', method: 'certificate', expect: 'valid' },
    { file: 'valid/sigstore.bundle.json', method: 'sigstore', expect: 'valid' },
    { file: 'invalid/empty.bundle.json', method: 'key', expect: 'SIGNING_BUNDLE_INVALID' },
    { file: 'invalid/missing-envelope.bundle.json', method: 'key', expect: 'SIGNING_BUNDLE_INVALID' },
    { file: 'invalid/missing-verification-material.bundle.json', method: 'key', expect: 'SIGNING_BUNDLE_INVALID' },
    { file: 'invalid/missing-tlog-entries.bundle.json', method: 'sigstore', expect: 'SIGNING_TLOG_INVALID' },
    { file: 'invalid-payload/wrong-predicate.bundle.json', method: 'key', expect: 'SIGNING_PREDICATE_UNSUPPORTED' },
  ];
  for (const c of spec) {
    it(`${c.file} → ${c.expect}`, async () => {
      const bundle = readFileSync(path.join(SPEC, c.file));
      if (c.expect === 'valid') {
        const verified = await verifyModelBundle(bundle, verifierFor(c.method));
        expect(verified.resources.map((r) => r.name)).toEqual(['signme-1', 'signme-2']);
        if (c.method !== 'sigstore') {
          // key and certificate vectors sign the v1.1.0-elliptic-key model: check the files too.
          await verifyModel(modelForSpec, bundle, verifierFor(c.method), {
            ignorePaths: [path.join(modelForSpec, 'ignore-me')],
            signaturePath: path.join(modelForSpec, 'model.sig'),
          });
        }
      } else {
        await expect(verifyModelBundle(bundle, verifierFor(c.method))).rejects.toMatchObject({ code: c.expect });
      }
    });
  }
});
