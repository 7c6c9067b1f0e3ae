/**
 * Keyless (Sigstore) signing end to end, offline: @sigstore/mock's Fulcio CA, CT log, Rekor log and TSA answer
 * through nock; Rekor gets a handler that logs the canonical dsse 0.0.1 body (payloadHash, envelopeHash,
 * signatures) as the real Rekor does. Verification uses a trusted root built from the mock's keys, so it checks
 * the Fulcio chain, the SCT, the tlog inclusion proof and SET, the RFC 3161 timestamp and the exact identity.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BundleJson, type BundleVerifier, signModel, verifyModel, verifyModelBundle } from '@modelsec/core';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, tsaHandler } from '@sigstore/mock';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const FULCIO = 'https://fulcio.mock.test';
const REKOR = 'https://rekor.mock.test';
const TSA = 'https://tsa.mock.test';
const ISSUER = 'https://issuer.mock.test';
const IDENTITY = 'alice@example.com';

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.sig`;
}

const b64 = (b: ArrayBufferView | Buffer) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
let trustedRootJson: Record<string, unknown>;
const work = mkdtempSync(path.join(tmpdir(), 'modelsec-keyless-'));

beforeAll(async () => {
  // @sigstore/mock's TSA (pkijs) writes genTime with the milliseconds' trailing zeros dropped (".5Z"), which
  // @sigstore/core refuses ("invalid time") whenever the clock's milliseconds end in 0. Freeze Date on a whole
  // second (timers stay real) so the timestamp is always well formed.
  vi.useFakeTimers({ toFake: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
  const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlog = await initializeCTLog(keyPair());
  const ca = await initializeCA(keyPair(), ctlog);
  const tlog = await initializeTLog(REKOR, keyPair());
  const tsa = await initializeTSA(keyPair());
  const fulcio = fulcioHandler(ca, { strict: true });
  const timestamps = tsaHandler(tsa, { strict: true });
  nock.disableNetConnect();
  nock(FULCIO)
    .persist()
    .post(fulcio.path)
    .reply(async (_uri, body) => {
      const r = await fulcio.fn(typeof body === 'string' ? body : JSON.stringify(body));
      return [r.statusCode, r.response, { 'Content-Type': r.contentType ?? 'text/plain' }];
    });
  nock(TSA)
    .persist()
    .post(timestamps.path)
    .reply(async (_uri, body) => {
      const r = await timestamps.fn(typeof body === 'string' ? body : JSON.stringify(body));
      return [r.statusCode, r.response as never, { 'Content-Type': r.contentType ?? 'application/timestamp-reply' }];
    });
  // Rekor: store the canonical dsse body, as the real service does (the stock mock stores the proposal).
  nock(REKOR)
    .persist()
    .post('/api/v1/log/entries')
    .reply(async (_uri, body) => {
      const proposal = (typeof body === 'string' ? JSON.parse(body) : body) as {
        spec: { proposedContent: { envelope: string; verifiers: string[] } };
      };
      const envelopeText = proposal.spec.proposedContent.envelope;
      const envelope = JSON.parse(envelopeText) as { payload: string; signatures: { sig: string }[] };
      const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
      const canonical = {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: sha(envelopeText) },
          payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(envelope.payload, 'base64')) },
          signatures: [{ signature: envelope.signatures[0]!.sig, verifier: proposal.spec.proposedContent.verifiers[0] }],
        },
      };
      const entry = await tlog.log(canonical);
      return [201, JSON.stringify(entry), { 'Content-Type': 'application/json' }];
    });
  const validFor = { start: '2000-01-01T00:00:00Z' };
  const key = (raw: Buffer) => ({ rawBytes: raw.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor });
  trustedRootJson = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: REKOR,
        hashAlgorithm: 'SHA2_256',
        publicKey: key(tlog.publicKey),
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: FULCIO,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor,
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.mock.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: key(ctlog.publicKey),
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: TSA,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor,
      },
    ],
  };
});

afterAll(() => {
  vi.useRealTimers();
  nock.cleanAll();
  nock.enableNetConnect();
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
  const token = () => unsignedJwt({ iss: ISSUER, sub: IDENTITY, aud: 'sigstore', exp: Math.floor(Date.now() / 1000) + 600 });
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
    expect(vm.certificate).toBeDefined();
    const entries = vm.tlogEntries as unknown as {
      kindVersion: { kind: string };
      inclusionProof?: unknown;
      inclusionPromise?: unknown;
    }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]!.kindVersion.kind).toBe('dsse');
    expect(entries[0]!.inclusionPromise).toBeDefined();
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
    await expect(verifyModelBundle(bundle, verifier({ identityRegexp: 'alice@.*' }))).resolves.toBeTruthy();
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
