import { X509Certificate } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const KNOWN_MEDIA_TYPES = new Set([
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  BUNDLE_V03_MEDIA_TYPE,
]);

/** Largest signature file read: a bundle holds one statement plus a few certificates. */
export const MAX_BUNDLE_BYTES = 300 * 1024 * 1024;

export type BundleJson = Record<string, unknown>;

/** The parts of a Sigstore bundle a model verifier needs, decoded. */
export interface ParsedBundle {
  mediaType: string;
  payloadType: string;
  payload: Buffer;
  signature: Buffer;
  material:
    | { kind: 'publicKey'; hint?: string; rawBytes?: Buffer }
    | { kind: 'x509CertificateChain'; certificates: X509Certificate[] }
    | { kind: 'certificate'; certificate: X509Certificate };
  tlogEntryCount: number;
  json: BundleJson;
}

function bad(message: string, field?: string): ModelsecError {
  return new ModelsecError('SIGNING_BUNDLE_INVALID', message, { details: field ? { field } : {} });
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function b64(v: unknown, field: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v.replace(/\s/g, ''))) throw bad(`${field} is not base64`, field);
  return Buffer.from(v, 'base64');
}

function cert(v: unknown, field: string): X509Certificate {
  try {
    return new X509Certificate(b64(rec(v)?.rawBytes, `${field}.rawBytes`));
  } catch (error) {
    if (error instanceof ModelsecError) throw error;
    throw bad(`${field} is not a DER certificate`, field);
  }
}

/** Parses bundle text (or JSON), accepting bundle v0.1-v0.3 with a DSSE envelope. Shape only: no crypto. */
export function parseBundle(input: string | Buffer | BundleJson): ParsedBundle {
  let json: BundleJson | undefined;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    if (input.length > MAX_BUNDLE_BYTES) {
      throw new ModelsecError('LIMIT_EXCEEDED', `signature file larger than ${MAX_BUNDLE_BYTES} bytes`, {
        details: { limit: MAX_BUNDLE_BYTES },
      });
    }
    try {
      json = rec(JSON.parse(input.toString()));
    } catch {
      throw bad('the signature file is not JSON');
    }
  } else json = rec(input);
  if (!json) throw bad('the signature file is not a JSON object');
  const mediaType = json.mediaType;
  if (typeof mediaType !== 'string' || !KNOWN_MEDIA_TYPES.has(mediaType))
    throw bad(`unknown bundle mediaType '${String(mediaType)}'`, 'mediaType');
  const envelope = rec(json.dsseEnvelope);
  if (!envelope) throw bad('the bundle has no dsseEnvelope', 'dsseEnvelope');
  const payloadType = envelope.payloadType;
  if (typeof payloadType !== 'string') throw bad('dsseEnvelope.payloadType is missing', 'dsseEnvelope.payloadType');
  const payload = b64(envelope.payload, 'dsseEnvelope.payload');
  const signatures = envelope.signatures;
  if (!Array.isArray(signatures) || signatures.length !== 1)
    throw bad('the envelope must carry exactly one signature', 'dsseEnvelope.signatures');
  const signature = b64(rec(signatures[0])?.sig, 'dsseEnvelope.signatures[0].sig');
  const vm = rec(json.verificationMaterial);
  if (!vm) throw bad('the bundle has no verificationMaterial', 'verificationMaterial');
  let material: ParsedBundle['material'];
  if (rec(vm.publicKey)) {
    const pk = rec(vm.publicKey)!;
    material = {
      kind: 'publicKey',
      ...(typeof pk.hint === 'string' ? { hint: pk.hint } : {}),
      ...(pk.rawBytes !== undefined ? { rawBytes: b64(pk.rawBytes, 'verificationMaterial.publicKey.rawBytes') } : {}),
    };
  } else if (rec(vm.x509CertificateChain)) {
    const list = rec(vm.x509CertificateChain)!.certificates;
    if (!Array.isArray(list) || list.length === 0)
      throw bad('x509CertificateChain has no certificates', 'verificationMaterial.x509CertificateChain');
    material = {
      kind: 'x509CertificateChain',
      certificates: list.map((c, i) => cert(c, `x509CertificateChain.certificates[${i}]`)),
    };
  } else if (rec(vm.certificate)) {
    material = { kind: 'certificate', certificate: cert(vm.certificate, 'verificationMaterial.certificate') };
  } else throw bad('verificationMaterial has no publicKey, certificate or certificate chain', 'verificationMaterial');
  const tlog = vm.tlogEntries;
  if (tlog !== undefined && !Array.isArray(tlog))
    throw bad('verificationMaterial.tlogEntries is not a list', 'verificationMaterial.tlogEntries');
  return { mediaType, payloadType, payload, signature, material, tlogEntryCount: Array.isArray(tlog) ? tlog.length : 0, json };
}

/** Builds a v0.3 bundle around a DSSE envelope (key and certificate methods; no tlog). */
export function buildBundle(
  payloadType: string,
  payload: Buffer,
  signature: Buffer,
  material: { publicKeyHint: string } | { certificatesDer: Buffer[] },
): BundleJson {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      ...('publicKeyHint' in material
        ? { publicKey: { hint: material.publicKeyHint } }
        : { x509CertificateChain: { certificates: material.certificatesDer.map((d) => ({ rawBytes: d.toString('base64') })) } }),
      tlogEntries: [],
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType,
      signatures: [{ sig: signature.toString('base64'), keyid: '' }],
    },
  };
}
