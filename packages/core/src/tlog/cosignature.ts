/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), Ed25519 `cosignature/v1`: a witness's statement that,
 * as of a time, the checkpoint is the largest consistent tree head it has seen for the log.
 *
 * - Signed message: `cosignature/v1\ntime <POSIX seconds>\n` followed by the whole checkpoint note body (extension
 *   lines included, signature lines excluded).
 * - Signature line: `— <name> base64(key ID(4) || timestamp(8, big-endian) || Ed25519 signature(64))`.
 * - Key ID: SHA-256(name || 0x0A || 0x04 || public key)[:4]; verifier key `name+hex(key ID)+base64(0x04 || key)`;
 *   signer key `PRIVATE+KEY+name+hex(key ID)+base64(0x04 || seed)` (the signed-note encodings with type 0x04).
 *
 * The Ed25519 message does not commit to the cosigner's name: one public key under two names is one witness, and
 * `verifyWitnessQuorum` counts distinct public keys, never names.
 */
import { sign, verify } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';
import { type Checkpoint, parseCheckpointBody, verifyCheckpoint } from './checkpoint.js';
import {
  ed25519NewSeed,
  ed25519PrivateKeyObject,
  ed25519PublicFromSeed,
  ed25519PublicKeyObject,
  hex8,
  splitNoteKey,
} from './ed25519.js';
import {
  isValidKeyName,
  MAX_NOTE_SIGNATURES,
  NOTE_SIGNATURE_PREFIX,
  type NoteSignature,
  type NoteVerifier,
  noteKeyId,
  parseNote,
  parseVerifierKey,
} from './note.js';

/** Signed-note signature type of timestamped Ed25519 cosignatures (cosignature/v1). */
export const COSIGNATURE_ALGORITHM = 0x04;
/** Domain-separating header line of the signed message. */
export const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';
/** Bytes after the key ID in a cosignature: u64 timestamp and a 64-byte Ed25519 signature. */
export const COSIGNATURE_BODY_BYTES = 8 + 64;
/**
 * Largest timestamp accepted. The spec bounds it by 2^63 - 1; we keep timestamps exact as JavaScript numbers, and
 * any time past 2^53 seconds (285 million years) is a forgery or a bug, never a real cosignature.
 */
export const MAX_COSIGNATURE_TIMESTAMP = Number.MAX_SAFE_INTEGER;
/**
 * How far in the future a cosignature's timestamp may be when the verifier passes `now` (the spec lets verifiers
 * reject future timestamps): five minutes absorbs ordinary clock skew between a witness and a CI runner.
 */
export const COSIGNATURE_MAX_FUTURE_SECONDS = 300;

export interface CosignerVerifier {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
  /** The verifier key string `name+hex id+base64(0x04 || key)`. */
  text: string;
}

export interface Cosigner extends CosignerVerifier {
  seed: Uint8Array;
  /** The signer key string (secret). */
  privateText: string;
}

export interface VerifiedCosignature {
  /** The witness's verifier key string. */
  key: string;
  name: string;
  /** POSIX seconds at which the witness cosigned. */
  timestamp: number;
}

export interface WitnessQuorumResult {
  checkpoint: Checkpoint;
  /** The checkpoint note body (what was signed). */
  text: string;
  /** One per distinct witness key whose cosignature verified, sorted by key string. */
  cosignatures: VerifiedCosignature[];
}

function invalid(message: string, details?: Record<string, unknown>): ModelsecError {
  return new ModelsecError('LOG_PROOF_INVALID', message, details ? { details } : undefined);
}

function cosignerFromSeed(name: string, seed: Uint8Array): Cosigner {
  if (!isValidKeyName(name)) throw invalid(`invalid cosigner key name ${JSON.stringify(name)}`);
  if (seed.length !== 32) throw invalid('an Ed25519 seed is 32 bytes');
  const publicKey = ed25519PublicFromSeed(seed);
  const keyId = noteKeyId(name, publicKey, COSIGNATURE_ALGORITHM);
  const pub = Buffer.concat([Uint8Array.of(COSIGNATURE_ALGORITHM), publicKey]).toString('base64');
  const priv = Buffer.concat([Uint8Array.of(COSIGNATURE_ALGORITHM), seed]).toString('base64');
  return {
    name,
    keyId,
    publicKey,
    seed,
    text: `${name}+${hex8(keyId)}+${pub}`,
    privateText: `PRIVATE+KEY+${name}+${hex8(keyId)}+${priv}`,
  };
}

/** A fresh witness (cosigner) key named `name` (a schema-less URL identifying the witness, e.g. `witness.example/w1`). */
export function generateCosigner(name: string): Cosigner {
  return cosignerFromSeed(name, ed25519NewSeed());
}

/** Parses a cosigner signer key `PRIVATE+KEY+name+id+base64(0x04 || seed)`. */
export function parseCosignerKey(text: string): Cosigner {
  const trimmed = text.trim();
  const parts = trimmed.startsWith('PRIVATE+KEY+') ? splitNoteKey(trimmed.slice('PRIVATE+KEY+'.length)) : undefined;
  if (!parts) throw invalid('not a cosigner signer key (PRIVATE+KEY+name+id+key)');
  const [name, idHex, b64] = parts;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_ALGORITHM || raw.toString('base64') !== b64)
    throw invalid('cosigner signer key is not a cosignature/v1 Ed25519 key (0x04 || 32-byte seed)');
  const cosigner = cosignerFromSeed(name, new Uint8Array(raw.subarray(1)));
  if (hex8(cosigner.keyId) !== idHex) throw invalid('cosigner signer key id does not match its name and key');
  return cosigner;
}

/** Parses a witness verifier key `name+hex id+base64(0x04 || public key)`. */
export function parseCosignerVerifierKey(text: string): CosignerVerifier {
  const trimmed = text.trim();
  const parts = splitNoteKey(trimmed);
  if (!parts) throw invalid('not a witness verifier key (name+hexid+base64key)', { key: trimmed.slice(0, 200) });
  const [name, idHex, b64] = parts;
  if (!isValidKeyName(name)) throw invalid('witness verifier key has an invalid name');
  if (!/^[0-9a-f]{8}$/u.test(idHex)) throw invalid('witness verifier key id is not 8 hex digits');
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_ALGORITHM || raw.toString('base64') !== b64)
    throw invalid('witness verifier key is not a cosignature/v1 Ed25519 key (0x04 || 32 bytes)', {
      key: trimmed.slice(0, 200),
    });
  const publicKey = new Uint8Array(raw.subarray(1));
  const keyId = noteKeyId(name, publicKey, COSIGNATURE_ALGORITHM);
  if (hex8(keyId) !== idHex) throw invalid('witness verifier key id does not match its name and key');
  return { name, keyId, publicKey, text: trimmed };
}

export function cosignerVerifierOf(c: CosignerVerifier): CosignerVerifier {
  return { name: c.name, keyId: c.keyId, publicKey: c.publicKey, text: c.text };
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_COSIGNATURE_TIMESTAMP)
    throw new ModelsecError('INVALID_ARGUMENT', `cosignature timestamp ${timestamp} is not a POSIX time in seconds`);
}

/** The exact bytes a cosigner signs: header, time line, then the note body (with its final newline). */
export function cosignatureMessage(noteText: string, timestamp: number): Uint8Array {
  checkTimestamp(timestamp);
  if (!noteText.endsWith('\n')) throw invalid('note text must end with a newline');
  return new Uint8Array(Buffer.from(`${COSIGNATURE_V1_HEADER}time ${timestamp}\n${noteText}`, 'utf8'));
}

/**
 * Cosigns a checkpoint note body (`noteText`: origin, size, root hash and any extension lines, newline-terminated,
 * without signature lines) at `timestamp` (POSIX seconds). Returns one signature line, newline-terminated.
 * The caller (a witness) must have verified the log's signature and consistency first.
 */
export function cosignCheckpoint(noteText: string, cosigner: Cosigner, timestamp: number): string {
  parseCheckpointBody(noteText); // a cosignature is only ever over a well-formed checkpoint
  const message = cosignatureMessage(noteText, timestamp);
  const signature = sign(null, message, ed25519PrivateKeyObject(cosigner.seed));
  const head = Buffer.alloc(12);
  head.writeUInt32BE(cosigner.keyId, 0);
  head.writeBigUInt64BE(BigInt(timestamp), 4);
  return `${NOTE_SIGNATURE_PREFIX}${cosigner.name} ${Buffer.concat([head, signature]).toString('base64')}\n`;
}

/**
 * Verifies one parsed signature line as a cosignature by `verifier` over `noteText`. Returns its timestamp, or
 * undefined when the line is not by this key or does not verify (including a timestamp beyond the bound).
 */
export function verifyCosignature(noteText: string, signature: NoteSignature, verifier: CosignerVerifier): number | undefined {
  if (signature.name !== verifier.name || signature.keyId !== verifier.keyId) return undefined;
  if (signature.signature.length !== COSIGNATURE_BODY_BYTES) return undefined;
  const raw = Buffer.from(signature.signature);
  const big = raw.readBigUInt64BE(0);
  if (big > BigInt(MAX_COSIGNATURE_TIMESTAMP)) return undefined;
  const timestamp = Number(big);
  const ok = verify(null, cosignatureMessage(noteText, timestamp), ed25519PublicKeyObject(verifier.publicKey), raw.subarray(8));
  return ok ? timestamp : undefined;
}

/** A checkpoint note split into its body, the parsed checkpoint and every signature line (nothing verified). */
export function parseCheckpointNote(note: string): { text: string; checkpoint: Checkpoint; signatures: NoteSignature[] } {
  const parsed = parseNote(note);
  return { text: parsed.text, checkpoint: parseCheckpointBody(parsed.text), signatures: parsed.signatures };
}

/**
 * Appends signature lines (e.g. a witness's add-checkpoint answer) to a note, skipping lines it already has.
 * Every line must be a well-formed signature line; the result stays within MAX_NOTE_SIGNATURES.
 */
export function addNoteSignatures(note: string, lines: string): string {
  const parsed = parseNote(note);
  if (lines.length === 0) return note;
  if (!lines.endsWith('\n')) throw invalid('signature lines must end with a newline');
  // Parse the lines as the signature block of a throwaway note: the same rules as any note's lines.
  parseNote(`x\n\n${lines}`);
  const have = new Set(note.slice(parsed.text.length + 1).split('\n'));
  const added = lines
    .slice(0, -1)
    .split('\n')
    .filter((line) => {
      if (have.has(line)) return false;
      have.add(line);
      return true;
    });
  if (parsed.signatures.length + added.length > MAX_NOTE_SIGNATURES)
    throw invalid(`a note holds at most ${MAX_NOTE_SIGNATURES} signatures`);
  return added.length === 0 ? note : `${note}${added.map((l) => `${l}\n`).join('')}`;
}

function toLogVerifier(key: NoteVerifier | string): NoteVerifier {
  return typeof key === 'string' ? parseVerifierKey(key) : key;
}

function toCosignerVerifier(key: CosignerVerifier | string): CosignerVerifier {
  return typeof key === 'string' ? parseCosignerVerifierKey(key) : key;
}

/**
 * Verifies a checkpoint note: the log's signature by `logKey` (origin = the key's name unless `options.origin`),
 * then cosignatures by at least `quorum` distinct witness keys of `witnessKeys` (counted by public key; lines by
 * unknown keys are ignored; with `options.now`, a timestamp more than COSIGNATURE_MAX_FUTURE_SECONDS ahead does not
 * count). Throws LOG_PROOF_INVALID when the log signature fails and LOG_WITNESS_QUORUM when too few witnesses cosigned.
 */
export function verifyWitnessQuorum(
  checkpointText: string,
  logKey: NoteVerifier | string,
  witnessKeys: readonly (CosignerVerifier | string)[],
  quorum: number,
  options: { now?: Date; origin?: string } = {},
): WitnessQuorumResult {
  // Witnesses are counted by public key: the Ed25519 message does not commit to the name, so one key listed under
  // two names is one witness. A signature line names one of the entries, so every entry of a key is tried.
  const byKey = new Map<string, CosignerVerifier[]>();
  for (const key of witnessKeys.map(toCosignerVerifier)) {
    const id = Buffer.from(key.publicKey).toString('hex');
    byKey.set(id, [...(byKey.get(id) ?? []), key]);
  }
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > byKey.size)
    throw new ModelsecError(
      'INVALID_ARGUMENT',
      `a witness quorum of ${quorum} cannot be met by ${byKey.size} distinct witness key(s)`,
      { details: { quorum, witnesses: byKey.size } },
    );
  const checkpoint = verifyCheckpoint(checkpointText, toLogVerifier(logKey), options.origin);
  const { text, signatures } = parseNote(checkpointText);
  const latest = options.now ? Math.floor(options.now.getTime() / 1000) + COSIGNATURE_MAX_FUTURE_SECONDS : undefined;
  const cosignatures: VerifiedCosignature[] = [];
  for (const keys of byKey.values()) {
    let best: VerifiedCosignature | undefined;
    for (const key of keys)
      for (const s of signatures) {
        const timestamp = verifyCosignature(text, s, key);
        if (timestamp === undefined || (latest !== undefined && timestamp > latest)) continue;
        if (!best || timestamp > best.timestamp) best = { key: key.text, name: key.name, timestamp };
      }
    if (best) cosignatures.push(best);
  }
  cosignatures.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (cosignatures.length < quorum)
    throw new ModelsecError(
      'LOG_WITNESS_QUORUM',
      `the checkpoint (size ${checkpoint.size}) is cosigned by ${cosignatures.length} of the trusted witnesses; ${quorum} required`,
      {
        details: {
          size: checkpoint.size,
          required: quorum,
          cosigned: cosignatures.map((c) => c.name),
          witnesses: [...byKey.values()].map((keys) => (keys[0] as CosignerVerifier).name).sort(),
        },
      },
    );
  return { checkpoint, text, cosignatures };
}
