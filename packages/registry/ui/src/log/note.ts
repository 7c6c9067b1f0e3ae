/**
 * C2SP signed notes and tlog-checkpoints, checked in the browser with WebCrypto Ed25519.
 * Verifier key: "<name>+<hex key id>+<base64(0x01 || 32-byte public key)>", key id = the first 4 bytes of
 * SHA-256(name || 0x0A || 0x01 || public key). A note is its text (ending in a newline), a blank line, then
 * signature lines "— <name> <base64(key id || signature)>". A checkpoint's text is
 * "<origin>\n<size>\n<base64 root hash>\n" and optional extension lines.
 */
import { HASH_BYTES, sha256 } from './merkle.js';

/** Largest note parsed: a checkpoint is a few hundred bytes; this bounds what a hostile server can make us read. */
export const MAX_NOTE_BYTES = 1_000_000;
/** Most signature lines looked at (C2SP signed-note lets verifiers cap this; Go's note package uses 100). */
export const MAX_NOTE_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';
const ED25519 = 0x01;

export interface LogKey {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
  text: string;
}

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** base64 of the root, as written in the checkpoint. */
  rootText: string;
}

export class NoteError extends Error {}

const utf8 = new TextEncoder();

export function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new NoteError('not base64');
  const bin = atob(text);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function fromHex(text: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new NoteError('not lowercase hex');
  return Uint8Array.from(text.match(/../g) ?? [], (p) => Number.parseInt(p, 16));
}

const validName = (name: string) => name.length > 0 && !/[\s+]/u.test(name) && [...name].every((c) => c >= ' ' && c !== '\u007f');

async function keyIdOf(name: string, publicKey: Uint8Array): Promise<number> {
  const h = await sha256(utf8.encode(name), Uint8Array.of(0x0a, ED25519), publicKey);
  return (((h[0] as number) << 24) | ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number)) >>> 0;
}

export async function parseLogKey(text: string): Promise<LogKey> {
  const trimmed = text.trim();
  // The name has no '+' and the id is 8 hex digits; the base64 key may hold '+' itself.
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new NoteError('a log key is name+hexid+base64key');
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const b64 = trimmed.slice(second + 1);
  if (!validName(name)) throw new NoteError('the log key has an invalid name');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError('the log key id is not 8 hex digits');
  const raw = fromBase64(b64);
  if (raw.length !== 33 || raw[0] !== ED25519) throw new NoteError('the log key is not an Ed25519 key (0x01 || 32 bytes)');
  const publicKey = raw.slice(1);
  const keyId = await keyIdOf(name, publicKey);
  if (keyId.toString(16).padStart(8, '0') !== idHex) throw new NoteError('the log key id does not match its name and key');
  return { name, keyId, publicKey, text: trimmed };
}

/** SHA-256 of the key's public bytes, hex in groups of 4, to compare by eye or over the phone. */
export async function keyFingerprint(key: LogKey): Promise<string> {
  return (toHex(await sha256(key.publicKey)).match(/.{4}/g) ?? []).join(' ');
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('note text must end with a newline');
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/u.test(text)) throw new NoteError('note text contains control characters');
}

/** Returns the note's text when `key` signed it (Ed25519 over the text bytes); throws NoteError otherwise. */
export async function openNote(note: string, key: LogKey): Promise<string> {
  if (utf8.encode(note).length > MAX_NOTE_BYTES) throw new NoteError(`note larger than ${MAX_NOTE_BYTES} bytes`);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('note has no signature block');
  const text = note.slice(0, split + 1);
  checkText(text);
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw new NoteError('note signature block must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new NoteError('note has too many signatures');
  const cryptoKey = await crypto.subtle.importKey('raw', key.publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify']);
  let mine = 0;
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError('malformed note signature line');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.lastIndexOf(' ');
    if (space <= 0) throw new NoteError('malformed note signature line');
    const name = rest.slice(0, space);
    const raw = fromBase64(rest.slice(space + 1));
    if (raw.length < 5) throw new NoteError('malformed note signature line');
    const keyId =
      (((raw[0] as number) << 24) | ((raw[1] as number) << 16) | ((raw[2] as number) << 8) | (raw[3] as number)) >>> 0;
    if (name !== key.name || keyId !== key.keyId) continue;
    mine++;
    const signature = raw.slice(4);
    if (
      signature.length === 64 &&
      (await crypto.subtle.verify({ name: 'Ed25519' }, cryptoKey, signature as BufferSource, utf8.encode(text) as BufferSource))
    )
      return text;
  }
  throw new NoteError(
    mine === 0 ? `the checkpoint has no signature by ${key.name}` : `the signature by ${key.name} does not verify`,
  );
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteError('a checkpoint needs origin, size and root hash lines');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw new NoteError('checkpoint size is not a decimal integer');
  const rootHash = fromBase64(rootText);
  if (rootHash.length !== HASH_BYTES) throw new NoteError('checkpoint root hash is not 32 bytes');
  return { origin, size: Number(sizeText), rootHash, rootText };
}

/** Verifies the signature by the pinned key and that the origin is the key's name. */
export async function verifyCheckpoint(note: string, key: LogKey): Promise<Checkpoint> {
  const checkpoint = parseCheckpointText(await openNote(note, key));
  if (checkpoint.origin !== key.name)
    throw new NoteError(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(key.name)}`);
  return checkpoint;
}
