import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';
import { signDeterministic } from './deterministic-ecdsa.js';
import { hashForKey } from './keys.js';

/** DSSE pre-authentication encoding: `DSSEv1 SP len(type) SP type SP len(body) SP body` (byte lengths). */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** Python's repr() of a bytes object, which model_signing v0.2 put into its (broken) PAE. */
export function pythonBytesRepr(bytes: Buffer): string {
  const hasSingle = bytes.includes(0x27);
  const hasDouble = bytes.includes(0x22);
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = `b${quote}`;
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}${quote}`;
}

/** The PAE model_signing v0.2.0 signed (verify-only compatibility). */
export function legacyPae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.from(`DSSEV1 ${payloadType.length} ${payloadType} ${payload.length} ${pythonBytesRepr(payload)}`, 'utf8');
}

/**
 * Signs the PAE with the hash matching the key curve; returns a DER ECDSA signature. The nonce is RFC 6979's
 * (deterministic-ecdsa.ts): the same key and statement always give the same signature bytes.
 */
export function signPae(payloadType: string, payload: Buffer, key: KeyObject): Buffer {
  hashForKey(key); // refuses a key of another type or curve with its own message
  return signDeterministic(pae(payloadType, payload), key);
}

/**
 * Verifies a DSSE signature over the PAE with the curve's hash. On failure, tells a curve/hash mismatch
 * (the signature verifies with another hash) from a PAE mismatch (it verifies with none).
 * `legacy` also accepts model_signing v0.2's broken PAE signed with SHA-256.
 */
export function verifyPae(
  payloadType: string,
  payload: Buffer,
  signature: Buffer,
  key: KeyObject,
  options: { legacy?: boolean } = {},
): 'standard' | 'legacy' {
  const hash = hashForKey(key);
  const message = pae(payloadType, payload);
  if (cryptoVerify(hash, message, key, signature)) return 'standard';
  if (options.legacy && cryptoVerify('sha256', legacyPae(payloadType, payload), key, signature)) return 'legacy';
  for (const other of ['sha256', 'sha384', 'sha512'].filter((h) => h !== hash)) {
    if (cryptoVerify(other, message, key, signature)) {
      throw new ModelsecError('SIGNING_CURVE_HASH_MISMATCH', `signature made with ${other}, but the key curve requires ${hash}`, {
        details: { expected: hash, used: other },
      });
    }
  }
  throw new ModelsecError('SIGNING_PAE_MISMATCH', 'the DSSE signature does not verify over the payload (PAE)', {
    details: { payloadType, hash },
  });
}
