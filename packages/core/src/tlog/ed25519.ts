/**
 * Raw Ed25519 keys for the note formats (signed-note 0x01, cosignature/v1 0x04): a 32-byte seed or public key
 * to and from node:crypto KeyObjects. Internal to tlog/ (not re-exported).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function ed25519PublicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

export function ed25519PrivateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function ed25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  const jwk = createPublicKey(ed25519PrivateKeyObject(seed)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}

export function ed25519NewSeed(): Uint8Array {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.d as string, 'base64url'));
}

/** name + id + key, where the base64 key may itself contain "+". */
export function splitNoteKey(text: string): [string, string, string] | undefined {
  const first = text.indexOf('+');
  if (first <= 0) return undefined;
  const second = text.indexOf('+', first + 1);
  if (second < 0) return undefined;
  return [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
}

export function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
