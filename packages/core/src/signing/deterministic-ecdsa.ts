/**
 * Deterministic ECDSA (RFC 6979) for the key and certificate signers. Node's `crypto.sign` draws a fresh random nonce
 * for every ECDSA signature, so two signings of the same statement with the same key differed in their signature
 * bytes, and a `model.sig` could never be reproduced (issue 15: an incremental re-sign must be byte-identical to a
 * full re-sign with the same clock). RFC 6979 derives the nonce from the key and the message digest: same key, same
 * statement, same signature, and no dependence on the quality of a random source at signing time.
 *
 * The curve arithmetic is @noble/curves (audited, widely used); the digest is Node's. Every signature is checked with
 * Node's own verifier before it is returned, so a defect in either library cannot produce a signature that verifiers
 * refuse.
 */
import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist';
import { ModelsecError } from '../errors/index.js';

type NobleCurve = typeof p256;

/** Curves by Node's name, with the hash each requires (as hashForKey). */
const CURVES: Record<string, { curve: NobleCurve; hash: string }> = {
  prime256v1: { curve: p256, hash: 'sha256' },
  secp384r1: { curve: p384 as unknown as NobleCurve, hash: 'sha384' },
  secp521r1: { curve: p521 as unknown as NobleCurve, hash: 'sha512' },
};

/** The private scalar of an EC private key, big-endian, padded to the curve's byte length. */
function privateScalar(key: KeyObject, curve: NobleCurve): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw new ModelsecError('KEY_INVALID', 'the signing key has no private scalar');
  const d = Buffer.from(jwk.d, 'base64url');
  const length = Math.ceil(curve.CURVE.n.toString(2).length / 8);
  if (d.length > length) throw new ModelsecError('KEY_INVALID', 'the signing key scalar is longer than its curve order');
  return Uint8Array.from(Buffer.concat([Buffer.alloc(length - d.length), d]));
}

/**
 * Signs `message` (hashed with the curve's hash) with RFC 6979 deterministic ECDSA; returns the DER signature, as
 * `crypto.sign` does.
 */
export function signDeterministic(message: Buffer, key: KeyObject): Buffer {
  const named = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const entry = named ? CURVES[named] : undefined;
  if (!entry || key.type !== 'private') {
    throw new ModelsecError(
      'KEY_INVALID',
      `unsupported signing key ${key.asymmetricKeyType ?? '?'} ${named ?? ''} (P-256, P-384, P-521 ECDSA private keys only)`,
    );
  }
  const digest = createHash(entry.hash).update(message).digest();
  const signature = Buffer.from(entry.curve.sign(digest, privateScalar(key, entry.curve), { prehash: false }).toDERRawBytes());
  if (!cryptoVerify(entry.hash, message, key, signature)) {
    throw new ModelsecError('INTERNAL', 'a deterministic ECDSA signature did not verify with the signing key');
  }
  return signature;
}
