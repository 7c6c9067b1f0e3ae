/**
 * A private Sigstore on 127.0.0.1 for tests: @sigstore/mock's Fulcio, Rekor (logging the canonical dsse 0.0.1
 * body, as the real Rekor does) and TSA behind one real HTTP server, plus the trusted_root.json that trusts them.
 * Callers freeze Date on a whole second first (see `freezeDateOnWholeSecond`).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, tsaHandler } from '@sigstore/mock';
import { vi } from 'vitest';

export interface PrivateSigstore {
  fulcioUrl: string;
  rekorUrl: string;
  tsaUrl: string;
  trustedRootJson: Record<string, unknown>;
  /** An (unsigned) OIDC identity token for `identity` from `issuer`: Fulcio's mock does not check signatures. */
  token(identity: string, issuer: string): string;
  close(): Promise<void>;
}

/**
 * @sigstore/mock's TSA (pkijs) writes genTime with the milliseconds' trailing zeros dropped (".5Z"), which
 * @sigstore/core refuses ("invalid time") whenever the clock's milliseconds end in 0. Freezing Date on a whole
 * second (timers stay real) keeps the timestamp well formed. Undo with vi.useRealTimers().
 */
export function freezeDateOnWholeSecond(): void {
  vi.useFakeTimers({ toFake: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
}

const b64 = (b: ArrayBufferView) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export async function startPrivateSigstore(): Promise<PrivateSigstore> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlog = await initializeCTLog(pair());
  const ca = await initializeCA(pair(), ctlog);
  const tlog = await initializeTLog(`${base}/rekor`, pair());
  const tsa = await initializeTSA(pair());
  const fulcio = fulcioHandler(ca, { strict: true });
  const timestamps = tsaHandler(tsa, { strict: true });
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
            signatures: [{ signature: envelope.signatures[0]?.sig, verifier: proposal.spec.proposedContent.verifiers[0] }],
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
  const trustedRootJson = {
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
  };
  return {
    fulcioUrl: `${base}/fulcio`,
    rekorUrl: `${base}/rekor`,
    tsaUrl: `${base}/tsa`,
    trustedRootJson,
    token(identity, issuer) {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${part({ alg: 'none' })}.${part({ iss: issuer, sub: identity, aud: 'sigstore', exp: Math.floor(Date.now() / 1000) + 600 })}.sig`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
