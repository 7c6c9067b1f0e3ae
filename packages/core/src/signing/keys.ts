import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';

export type Curve = 'p256' | 'p384' | 'p521';

const NAMED: Record<Curve, string> = { p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1' };
const HASH_BY_NAMED: Record<string, string> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };
/** Sigstore key-details names, used when writing/reading `publicKey.keyDetails`. */
export const KEY_DETAILS: Record<string, string> = {
  prime256v1: 'PKIX_ECDSA_P256_SHA_256',
  secp384r1: 'PKIX_ECDSA_P384_SHA_384',
  secp521r1: 'PKIX_ECDSA_P521_SHA_512',
};

/** The hash a key's curve requires: SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521. */
export function hashForKey(key: KeyObject): string {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const hash = curve ? HASH_BY_NAMED[curve] : undefined;
  if (!hash) {
    throw new ModelsecError(
      'KEY_INVALID',
      `unsupported key type ${key.asymmetricKeyType ?? '?'} ${curve ?? ''} (P-256, P-384, P-521 ECDSA only)`,
    );
  }
  return hash;
}

export function curveOf(key: KeyObject): string {
  return key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyType ?? 'unknown';
}

/** Loads a PKCS#8 (or SEC1) private key PEM, decrypting it with the password when given. */
export function loadPrivateKey(pem: string | Buffer, password?: string): KeyObject {
  try {
    const key = createPrivateKey({ key: pem, format: 'pem', ...(password !== undefined ? { passphrase: password } : {}) });
    hashForKey(key);
    return key;
  } catch (error) {
    if (error instanceof ModelsecError) throw error;
    const message = (error as Error).message;
    throw new ModelsecError(
      'KEY_INVALID',
      /passphrase|decrypt|bad decrypt/i.test(message)
        ? 'the private key is encrypted: give the right --password'
        : `cannot read the private key: ${message}`,
      { cause: error },
    );
  }
}

/** Loads an SPKI public key (PEM or DER), or the public key of a certificate PEM. */
export function loadPublicKey(material: string | Buffer): KeyObject {
  try {
    const isPem = typeof material === 'string' || material.subarray(0, 64).toString('latin1').includes('-----BEGIN');
    const key = isPem
      ? createPublicKey({ key: material, format: 'pem' })
      : createPublicKey({ key: material, format: 'der', type: 'spki' });
    hashForKey(key);
    return key;
  } catch (error) {
    if (error instanceof ModelsecError) throw error;
    throw new ModelsecError('KEY_INVALID', `cannot read the public key: ${(error as Error).message}`, { cause: error });
  }
}

/** `publicKey.hint` as the reference writes it: lowercase hex SHA-256 of the SPKI PEM text. */
export function keyHint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'pem' }))
    .digest('hex');
}

/** Generates an ECDSA key pair: PKCS#8 PEM (AES-256-CBC encrypted when a password is given) and SPKI PEM. */
export function generateSigningKey(curve: Curve = 'p256', password?: string): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: NAMED[curve] });
  return {
    privateKeyPem: privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      ...(password ? { cipher: 'aes-256-cbc', passphrase: password } : {}),
    }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}
