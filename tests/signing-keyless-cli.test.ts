/**
 * `modelsec sign sigstore` / `verify sigstore` as a user runs them against a private Sigstore: @sigstore/mock's
 * Fulcio, Rekor (canonical dsse entries) and TSA served by a real HTTP server on 127.0.0.1, the identity token from
 * SIGSTORE_ID_TOKEN, the service URLs from --fulcio-url/--rekor-url/--tsa-url, and offline verification with
 * --trusted-root.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, tsaHandler } from '@sigstore/mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './helpers/cli.js';

const ISSUER = 'https://issuer.mock.test';
const IDENTITY = 'ci@example.com';
const work = mkdtempSync(path.join(tmpdir(), 'modelsec-keyless-cli-'));
let server: Server;
let base = '';
let trustedRoot = '';

const b64 = (b: ArrayBufferView) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

beforeAll(async () => {
  // @sigstore/mock's TSA (pkijs) writes genTime with the milliseconds' trailing zeros dropped (".5Z"), which
  // @sigstore/core refuses ("invalid time") whenever the clock's milliseconds end in 0. Freeze Date on a whole
  // second (timers stay real) so the timestamp is always well formed.
  vi.useFakeTimers({ toFake: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlog = await initializeCTLog(pair());
  const ca = await initializeCA(pair(), ctlog);
  const tlog = await initializeTLog(`${base}/rekor`, pair());
  const tsa = await initializeTSA(pair());
  const fulcio = fulcioHandler(ca, { strict: true });
  const timestamps = tsaHandler(tsa, { strict: true });
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      let result: { statusCode: number; response: string | ArrayBufferView; contentType?: string };
      if (url.startsWith('/fulcio') && url.endsWith(fulcio.path)) result = await fulcio.fn(body);
      else if (url.startsWith('/tsa')) result = await timestamps.fn(body);
      else if (url === '/rekor/api/v1/log/entries') {
        const proposal = JSON.parse(body) as { spec: { proposedContent: { envelope: string; verifiers: string[] } } };
        const text = proposal.spec.proposedContent.envelope;
        const envelope = JSON.parse(text) as { payload: string; signatures: { sig: string }[] };
        const entry = await tlog.log({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            envelopeHash: { algorithm: 'sha256', value: sha(text) },
            payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(envelope.payload, 'base64')) },
            signatures: [{ signature: envelope.signatures[0]!.sig, verifier: proposal.spec.proposedContent.verifiers[0] }],
          },
        });
        result = { statusCode: 201, response: JSON.stringify(entry), contentType: 'application/json' };
      } else result = { statusCode: 404, response: 'not found' };
      res.writeHead(result.statusCode, { 'content-type': result.contentType ?? 'application/octet-stream' });
      res.end(
        typeof result.response === 'string'
          ? result.response
          : Buffer.from(result.response.buffer, result.response.byteOffset, result.response.byteLength),
      );
    });
  });
  const validFor = { start: '2000-01-01T00:00:00Z' };
  const key = (raw: Buffer) => ({ rawBytes: raw.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor });
  trustedRoot = path.join(work, 'trusted_root.json');
  writeFileSync(
    trustedRoot,
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: `${base}/rekor`,
          hashAlgorithm: 'SHA2_256',
          publicKey: key(tlog.publicKey),
          logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: `${base}/fulcio`,
          certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
          validFor,
        },
      ],
      ctlogs: [
        { baseUrl: `${base}/ct`, hashAlgorithm: 'SHA2_256', publicKey: key(ctlog.publicKey), logId: { keyId: b64(ctlog.logID) } },
      ],
      timestampAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'tsa' },
          uri: `${base}/tsa`,
          certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
          validFor,
        },
      ],
    }),
  );
});

afterAll(async () => {
  vi.useRealTimers();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

function token(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ iss: ISSUER, sub: IDENTITY, aud: 'sigstore', exp: Math.floor(Date.now() / 1000) + 600 })}.sig`;
}

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
