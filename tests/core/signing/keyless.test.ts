/**
 * Keyless (Sigstore) signing end to end, offline: @sigstore/mock's Fulcio CA, CT log, Rekor log (logging the
 * canonical dsse 0.0.1 body, as the real Rekor does) and TSA on 127.0.0.1 (tests/helpers/private-sigstore.ts).
 * Verification uses a trusted root built from the mock's keys, so it checks the Fulcio chain, the SCT, the tlog
 * inclusion proof and SET, the RFC 3161 timestamp and the exact identity.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BundleJson, type BundleVerifier, signModel, verifyModel, verifyModelBundle } from '@modelsec/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freezeDateOnWholeSecond, type PrivateSigstore, startPrivateSigstore } from '../../helpers/private-sigstore.js';

const ISSUER = 'https://issuer.mock.test';
const IDENTITY = 'alice@example.com';
let sigstore: PrivateSigstore;
let trustedRootJson: Record<string, unknown>;
let FULCIO = '';
let REKOR = '';
let TSA = '';
const work = mkdtempSync(path.join(tmpdir(), 'modelsec-keyless-'));

beforeAll(async () => {
  freezeDateOnWholeSecond();
  sigstore = await startPrivateSigstore();
  ({ trustedRootJson, fulcioUrl: FULCIO, rekorUrl: REKOR, tsaUrl: TSA } = sigstore);
});

afterAll(async () => {
  vi.useRealTimers();
  await sigstore.close();
  rmSync(work, { recursive: true, force: true });
});

function makeModel(): string {
  const dir = path.join(work, `m${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(64, 1));
  writeFileSync(path.join(dir, 'config.json'), '{}');
  return dir;
}

const verifier = (over: Partial<{ identity: string; issuer: string; identityRegexp: string }> = {}): BundleVerifier => ({
  kind: 'sigstore',
  issuer: over.issuer ?? ISSUER,
  ...(over.identityRegexp ? { identityRegexp: over.identityRegexp } : { identity: over.identity ?? IDENTITY }),
  trustedRootJson,
});

describe('keyless signing with @sigstore/mock (Fulcio, Rekor dsse, TSA)', () => {
  const token = () => sigstore.token(IDENTITY, ISSUER);
  let model: string;
  let bundle: BundleJson;

  beforeAll(async () => {
    model = makeModel();
    ({ bundle } = await signModel(model, {
      kind: 'sigstore',
      identityToken: token(),
      fulcioUrl: FULCIO,
      rekorUrl: REKOR,
      tsaUrl: TSA,
    }));
  });

  it('writes a v0.3 bundle with a Fulcio certificate, one dsse tlog entry with inclusion proof, and a timestamp', () => {
    const vm = bundle.verificationMaterial as Record<string, { [k: string]: unknown }>;
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    // The certificate Fulcio issued: a real X.509 for exactly the signer's identity (not just "some object").
    const certificate = new X509Certificate(Buffer.from(String(vm.certificate?.rawBytes), 'base64'));
    expect(certificate.subjectAltName).toContain(IDENTITY);
    const entries = vm.tlogEntries as unknown as {
      kindVersion: { kind: string };
      inclusionProof?: unknown;
      inclusionPromise?: unknown;
    }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]!.kindVersion.kind).toBe('dsse');
    expect(entries[0]!.inclusionPromise).toMatchObject({
      signedEntryTimestamp: expect.stringMatching(/^[A-Za-z0-9+/]{40,}={0,2}$/),
    });
    expect((vm.timestampVerificationData as { rfc3161Timestamps: unknown[] }).rfc3161Timestamps).toHaveLength(1);
  });

  it('verifies offline with the exact identity and issuer', async () => {
    const verified = await verifyModel(model, bundle, verifier());
    expect(verified.signer).toMatchObject({ kind: 'sigstore', identity: IDENTITY, issuer: ISSUER });
    expect(verified.signedAt).toMatch(/^\d{4}-/);
  });

  it('an identity that only matches as a substring fails (SIGNING_IDENTITY_MISMATCH)', async () => {
    await expect(verifyModelBundle(bundle, verifier({ identity: 'alice' }))).rejects.toMatchObject({
      code: 'SIGNING_IDENTITY_MISMATCH',
    });
    await expect(verifyModelBundle(bundle, verifier({ identityRegexp: 'alice' }))).rejects.toMatchObject({
      code: 'SIGNING_IDENTITY_MISMATCH',
    });
    await expect(verifyModelBundle(bundle, verifier({ identityRegexp: 'alice@.*' }))).resolves.toMatchObject({
      signer: { kind: 'sigstore', identity: IDENTITY, issuer: ISSUER },
    });
    await expect(verifyModelBundle(bundle, verifier({ issuer: 'https://other.test' }))).rejects.toMatchObject({
      code: 'SIGNING_IDENTITY_MISMATCH',
    });
  });

  it('a tampered tlog entry (SET / inclusion) fails with SIGNING_TLOG_INVALID', async () => {
    const copy = structuredClone(bundle) as {
      verificationMaterial: { tlogEntries: { logIndex: string; integratedTime: string }[] };
    };
    copy.verificationMaterial.tlogEntries[0]!.integratedTime = String(
      Number(copy.verificationMaterial.tlogEntries[0]!.integratedTime) + 1,
    );
    await expect(verifyModelBundle(copy as unknown as BundleJson, verifier())).rejects.toMatchObject({
      code: 'SIGNING_TLOG_INVALID',
    });
  });

  it('a changed model file fails with SIGNING_DIGEST_MISMATCH', async () => {
    writeFileSync(path.join(model, 'config.json'), '{"x":1}');
    await expect(verifyModel(model, bundle, verifier())).rejects.toMatchObject({ code: 'SIGNING_DIGEST_MISMATCH' });
  });

  it('shards serialisation: signs, verifies, and a grown file fails with SIGNING_DIGEST_MISMATCH', async () => {
    const dir = makeModel();
    const { bundle: sharded } = await signModel(
      dir,
      { kind: 'sigstore', identityToken: token(), fulcioUrl: FULCIO, rekorUrl: REKOR },
      { method: 'shards', shardSize: 16 },
    );
    await expect(verifyModel(dir, sharded, verifier())).resolves.toMatchObject({ method: 'shards', shardSize: 16 });
    writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(70, 1));
    await expect(verifyModel(dir, sharded, verifier())).rejects.toMatchObject({
      code: 'SIGNING_DIGEST_MISMATCH',
      message: expect.stringContaining('weights.bin'),
    });
  });

  it('a trusted root that does not hold the CA fails (SIGNING_CHAIN_UNTRUSTED)', async () => {
    const other = { ...trustedRootJson, certificateAuthorities: [] };
    await expect(verifyModelBundle(bundle, { ...verifier(), trustedRootJson: other } as BundleVerifier)).rejects.toMatchObject({
      code: 'SIGNING_CHAIN_UNTRUSTED',
    });
  });
});
