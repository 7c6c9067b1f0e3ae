/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys: note text, signature lines
 * "— <name> <base64(key id || signature)>", key id = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key),
 * verifier keys "<name>+<hex key id>+<base64(0x01 || public key)>" and signer keys
 * "PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>" (the golang.org/x/mod/sumdb/note encodings).
 */
import { createHash, sign, verify } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';
import {
  ed25519NewSeed,
  ed25519PrivateKeyObject,
  ed25519PublicFromSeed,
  ed25519PublicKeyObject,
  hex8,
  splitNoteKey,
} from './ed25519.js';

export const ED25519_ALGORITHM = 0x01;

/** Largest note we parse: checkpoints are a few hundred bytes; this bounds memory for a hostile server. */
export const MAX_NOTE_BYTES = 1_000_000;
/** Most signature lines we look at in one note (C2SP signed-note allows verifiers to cap this; Go uses 100). */
export const MAX_NOTE_SIGNATURES = 100;

/** Every signature line starts with an em dash (U+2014) and a space. */
export const NOTE_SIGNATURE_PREFIX = '\u2014 ';
const SIGNATURE_PREFIX = NOTE_SIGNATURE_PREFIX;

export interface NoteVerifier {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
  /** The verifier key string. */
  text: string;
}

export interface NoteSigner extends NoteVerifier {
  seed: Uint8Array;
  /** The signer key string (secret). */
  privateText: string;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  signature: Uint8Array;
}

export interface ParsedNote {
  text: string;
  signatures: NoteSignature[];
}

function invalid(message: string, details?: Record<string, unknown>): ModelsecError {
  return new ModelsecError('LOG_PROOF_INVALID', message, details ? { details } : undefined);
}

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && [...name].every((c) => c >= ' ' && c !== '\u007f');
}

/** SHA-256(name || 0x0A || algorithm || public key)[:4] as a big-endian uint32 (0x01 notes, 0x04 cosignatures). */
export function noteKeyId(name: string, publicKey: Uint8Array, algorithm: number = ED25519_ALGORITHM): number {
  const h = createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Uint8Array.of(0x0a, algorithm))
    .update(publicKey)
    .digest();
  return h.readUInt32BE(0);
}

function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  if (!isValidKeyName(name)) throw invalid(`invalid note key name ${JSON.stringify(name)}`);
  if (seed.length !== 32) throw invalid('an Ed25519 seed is 32 bytes');
  const publicKey = ed25519PublicFromSeed(seed);
  const keyId = noteKeyId(name, publicKey);
  const pub = Buffer.concat([Uint8Array.of(ED25519_ALGORITHM), publicKey]).toString('base64');
  const priv = Buffer.concat([Uint8Array.of(ED25519_ALGORITHM), seed]).toString('base64');
  return {
    name,
    keyId,
    publicKey,
    seed,
    text: `${name}+${hex8(keyId)}+${pub}`,
    privateText: `PRIVATE+KEY+${name}+${hex8(keyId)}+${priv}`,
  };
}

/** A fresh Ed25519 note signer named `name` (e.g. the log's origin). */
export function generateNoteSigner(name: string): NoteSigner {
  return signerFromSeed(name, ed25519NewSeed());
}

export function parseSignerKey(text: string): NoteSigner {
  const trimmed = text.trim();
  const parts = trimmed.startsWith('PRIVATE+KEY+') ? splitNoteKey(trimmed.slice('PRIVATE+KEY+'.length)) : undefined;
  if (!parts) throw invalid('not a note signer key (PRIVATE+KEY+name+id+key)');
  const [name, idHex, b64] = parts;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519_ALGORITHM) throw invalid('note signer key is not an Ed25519 key');
  const signer = signerFromSeed(name, new Uint8Array(raw.subarray(1)));
  if (hex8(signer.keyId) !== idHex.toLowerCase()) throw invalid('note signer key id does not match its key');
  return signer;
}

export function parseVerifierKey(text: string): NoteVerifier {
  const trimmed = text.trim();
  const parts = splitNoteKey(trimmed);
  if (!parts) throw invalid('not a note verifier key (name+hexid+base64key)', { key: trimmed.slice(0, 200) });
  const [name, idHex, b64] = parts;
  if (!isValidKeyName(name)) throw invalid('note verifier key has an invalid name');
  if (!/^[0-9a-f]{8}$/u.test(idHex)) throw invalid('note verifier key id is not 8 hex digits');
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519_ALGORITHM || raw.toString('base64') !== b64)
    throw invalid('note verifier key is not a base64 Ed25519 key (0x01 || 32 bytes)');
  const publicKey = new Uint8Array(raw.subarray(1));
  const keyId = noteKeyId(name, publicKey);
  if (hex8(keyId) !== idHex) throw invalid('note verifier key id does not match its name and key');
  return { name, keyId, publicKey, text: trimmed };
}

/** Signs `text` (which must end in a newline) and returns the whole note. */
export function signNote(text: string, signer: NoteSigner): string {
  checkText(text);
  const sig = sign(null, Buffer.from(text, 'utf8'), ed25519PrivateKeyObject(signer.seed));
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId, 0);
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([id, sig]).toString('base64')}\n`;
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw invalid('note text must end with a newline');
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/u.test(text)) throw invalid('note text contains control characters');
}

/** Splits a note into its text and signature lines; malformed notes throw. */
export function parseNote(note: string): ParsedNote {
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) throw invalid(`note larger than ${MAX_NOTE_BYTES} bytes`);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw invalid('note has no signature block');
  const text = note.slice(0, split + 1);
  checkText(text);
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw invalid('note signature block must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw invalid('note has too many signatures');
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw invalid('malformed note signature line');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.lastIndexOf(' ');
    const name = rest.slice(0, space);
    const raw = Buffer.from(rest.slice(space + 1), 'base64');
    if (space <= 0 || !isValidKeyName(name) || raw.length < 5) throw invalid('malformed note signature line');
    signatures.push({ name, keyId: raw.readUInt32BE(0), signature: new Uint8Array(raw.subarray(4)) });
  }
  return { text, signatures };
}

/** Returns the note text if `verifier` signed it; throws LOG_PROOF_INVALID otherwise. */
export function openNote(note: string, verifier: NoteVerifier): string {
  const parsed = parseNote(note);
  const mine = parsed.signatures.filter((s) => s.name === verifier.name && s.keyId === verifier.keyId);
  if (mine.length === 0) throw invalid(`note has no signature by ${verifier.name}+${hex8(verifier.keyId)}`);
  const key = ed25519PublicKeyObject(verifier.publicKey);
  for (const s of mine) {
    if (s.signature.length === 64 && verify(null, Buffer.from(parsed.text, 'utf8'), key, s.signature)) return parsed.text;
  }
  throw invalid(`note signature by ${verifier.name} does not verify`);
}

/** The verifier half of a signer. */
export function verifierOf(signer: NoteVerifier): NoteVerifier {
  return { name: signer.name, keyId: signer.keyId, publicKey: signer.publicKey, text: signer.text };
}
