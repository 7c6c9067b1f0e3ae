/**
 * Witness cosignatures (C2SP tlog-cosignature, Ed25519 `cosignature/v1`) on the log's checkpoint, checked in the
 * browser with WebCrypto against witness keys the auditor pins (a list in localStorage, like the log key).
 *
 * - Witness verifier key: `name+hex(key ID)+base64(0x04 || 32-byte public key)`, key ID = the first 4 bytes of
 *   SHA-256(name || 0x0A || 0x04 || public key).
 * - Signature line: `— <name> base64(key ID(4) || timestamp(8, big-endian) || Ed25519 signature(64))`.
 * - Signed message: `cosignature/v1\ntime <POSIX seconds>\n` followed by the checkpoint's body.
 *
 * The Ed25519 message does not name the witness: one key under two names is one witness, so the page counts
 * distinct public keys (as core's verifyWitnessQuorum does).
 */
import { sha256 } from './merkle.js';
import { fromBase64, MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES, NoteError, toHex } from './note.js';

export const PINNED_WITNESSES_STORAGE = 'modelsec.witnessKeys';
/** Most witness keys an auditor pins in one browser (a quorum is a handful; this bounds what the page stores). */
export const MAX_PINNED_WITNESSES = 32;
const COSIGNATURE_ALGORITHM = 0x04;
const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';
/** Key ID, u64 timestamp, Ed25519 signature. */
const COSIGNATURE_LINE_BYTES = 4 + 8 + 64;
const SIGNATURE_PREFIX = '\u2014 ';
const utf8 = new TextEncoder();

export interface WitnessKey {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
  text: string;
}

/** One signature line of the checkpoint note, as served (nothing verified). */
export interface SignatureLine {
  name: string;
  keyId: number;
  /** The bytes after the key ID. */
  body: Uint8Array;
}

export type CosignatureStatus =
  | { state: 'verified'; timestamp: number; key: WitnessKey }
  | { state: 'invalid'; key: WitnessKey; detail: string }
  | { state: 'unpinned'; timestamp?: number };

export interface CosignatureRow {
  name: string;
  keyIdHex: string;
  status: CosignatureStatus;
}

export interface StringStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const validName = (name: string) => name.length > 0 && !/[\s+]/u.test(name) && [...name].every((c) => c >= ' ' && c !== '\u007f');

async function keyIdOf(name: string, publicKey: Uint8Array): Promise<number> {
  const h = await sha256(utf8.encode(name), Uint8Array.of(0x0a, COSIGNATURE_ALGORITHM), publicKey);
  return (((h[0] as number) << 24) | ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number)) >>> 0;
}

export async function parseWitnessKey(text: string): Promise<WitnessKey> {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new NoteError('a witness key is name+hexid+base64key');
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  if (!validName(name)) throw new NoteError('the witness key has an invalid name');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError('the witness key id is not 8 hex digits');
  const raw = fromBase64(trimmed.slice(second + 1));
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_ALGORITHM)
    throw new NoteError('the witness key is not a cosignature/v1 Ed25519 key (0x04 || 32 bytes)');
  const publicKey = raw.slice(1);
  const keyId = await keyIdOf(name, publicKey);
  if (hex8(keyId) !== idHex) throw new NoteError('the witness key id does not match its name and key');
  return { name, keyId, publicKey, text: trimmed };
}

/** The note's body (ending in a newline) and its signature lines; throws NoteError when malformed. */
export function splitNote(note: string): { text: string; lines: SignatureLine[] } {
  if (utf8.encode(note).length > MAX_NOTE_BYTES) throw new NoteError(`note larger than ${MAX_NOTE_BYTES} bytes`);
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('note has no signature block');
  const block = note.slice(split + 2, -1).split('\n');
  if (block.length > MAX_NOTE_SIGNATURES) throw new NoteError('note has too many signatures');
  const lines = block.map((line): SignatureLine => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError('malformed note signature line');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.lastIndexOf(' ');
    if (space <= 0) throw new NoteError('malformed note signature line');
    const raw = fromBase64(rest.slice(space + 1));
    if (raw.length < 5) throw new NoteError('malformed note signature line');
    const keyId =
      (((raw[0] as number) << 24) | ((raw[1] as number) << 16) | ((raw[2] as number) << 8) | (raw[3] as number)) >>> 0;
    return { name: rest.slice(0, space), keyId, body: raw.slice(4) };
  });
  return { text: note.slice(0, split + 1), lines };
}

/** The timestamp a cosignature line carries (not verified), or undefined when the line is not cosignature-shaped. */
function timestampOf(line: SignatureLine): number | undefined {
  if (line.body.length !== COSIGNATURE_LINE_BYTES - 4) return undefined;
  const t = new DataView(line.body.buffer, line.body.byteOffset, 8).getBigUint64(0);
  return t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : undefined;
}

/** Verifies `line` as `key`'s cosignature over the note body `text`: its timestamp, or undefined. */
export async function verifyCosignatureLine(text: string, line: SignatureLine, key: WitnessKey): Promise<number | undefined> {
  if (line.name !== key.name || line.keyId !== key.keyId) return undefined;
  const timestamp = timestampOf(line);
  if (timestamp === undefined) return undefined;
  const cryptoKey = await crypto.subtle.importKey('raw', key.publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify']);
  const message = utf8.encode(`${COSIGNATURE_V1_HEADER}time ${timestamp}\n${text}`);
  const ok = await crypto.subtle.verify(
    { name: 'Ed25519' },
    cryptoKey,
    line.body.slice(8) as BufferSource,
    message as BufferSource,
  );
  return ok ? timestamp : undefined;
}

/**
 * Every signature line that is not the log's own (`logKeyName`/`logKeyId`), judged against the pinned witness keys:
 * verified (with its time), invalid (a pinned witness's name and key ID, but the signature does not verify), or
 * unpinned (no key pinned for it: shown, not trusted). Sorted as served.
 */
export async function judgeCosignatures(
  note: string,
  logKey: { name: string; keyId: number } | undefined,
  pinned: readonly WitnessKey[],
): Promise<{ rows: CosignatureRow[]; verifiedWitnesses: number }> {
  const { text, lines } = splitNote(note);
  const rows: CosignatureRow[] = [];
  const verifiedKeys = new Set<string>();
  for (const line of lines) {
    if (logKey && line.name === logKey.name && line.keyId === logKey.keyId) continue;
    const key = pinned.find((k) => k.name === line.name && k.keyId === line.keyId);
    let status: CosignatureStatus;
    if (!key) {
      const timestamp = timestampOf(line);
      status = timestamp === undefined ? { state: 'unpinned' } : { state: 'unpinned', timestamp };
    } else {
      const timestamp = await verifyCosignatureLine(text, line, key);
      if (timestamp === undefined)
        status = { state: 'invalid', key, detail: 'the cosignature does not verify with the pinned key' };
      else {
        status = { state: 'verified', timestamp, key };
        verifiedKeys.add(toHex(key.publicKey));
      }
    }
    rows.push({ name: line.name, keyIdHex: hex8(line.keyId), status });
  }
  return { rows, verifiedWitnesses: verifiedKeys.size };
}

export async function pinnedWitnesses(store: StringStore): Promise<WitnessKey[]> {
  let texts: unknown;
  try {
    texts = JSON.parse(store.getItem(PINNED_WITNESSES_STORAGE) ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(texts)) return [];
  const keys: WitnessKey[] = [];
  for (const t of texts.slice(0, MAX_PINNED_WITNESSES))
    if (typeof t === 'string') keys.push(await parseWitnessKey(t).catch(() => undefined as never));
  return keys.filter((k) => k !== undefined);
}

export async function pinWitness(store: StringStore, text: string): Promise<WitnessKey> {
  const key = await parseWitnessKey(text);
  const texts = (await pinnedWitnesses(store)).map((k) => k.text).filter((t) => t !== key.text);
  if (texts.length >= MAX_PINNED_WITNESSES) throw new NoteError(`at most ${MAX_PINNED_WITNESSES} witness keys can be pinned`);
  store.setItem(PINNED_WITNESSES_STORAGE, JSON.stringify([...texts, key.text].sort()));
  return key;
}

export async function forgetWitness(store: StringStore, text: string): Promise<void> {
  const texts = (await pinnedWitnesses(store)).map((k) => k.text).filter((t) => t !== text.trim());
  store.setItem(PINNED_WITNESSES_STORAGE, JSON.stringify(texts));
}
