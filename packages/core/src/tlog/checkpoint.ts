/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text "<origin>\n<size>\n<base64 root>\n"
 * followed by optional extension lines, signed as a C2SP signed note by the log key.
 */
import { ModelsecError } from '../errors/index.js';
import { HASH_SIZE } from './merkle.js';
import { type NoteSigner, type NoteVerifier, openNote, signNote } from './note.js';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions: string[];
}

function invalid(message: string): ModelsecError {
  return new ModelsecError('LOG_PROOF_INVALID', `checkpoint: ${message}`);
}

export function formatCheckpointBody(cp: Checkpoint): string {
  if (cp.origin.length === 0 || cp.origin.includes('\n')) throw invalid('origin must be one non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw invalid('size must be a non-negative integer');
  if (cp.rootHash.length !== HASH_SIZE) throw invalid('root hash must be 32 bytes');
  const ext = cp.extensions.map((e) => {
    if (e.length === 0 || e.includes('\n')) throw invalid('extension lines must be non-empty single lines');
    return `${e}\n`;
  });
  return `${cp.origin}\n${cp.size}\n${Buffer.from(cp.rootHash).toString('base64')}\n${ext.join('')}`;
}

export function parseCheckpointBody(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw invalid('text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw invalid('needs origin, size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw invalid('empty origin');
  if (!/^(0|[1-9][0-9]*)$/u.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw invalid(`size ${JSON.stringify(sizeText.slice(0, 40))} is not a decimal integer`);
  const rootHash = Buffer.from(rootText, 'base64');
  if (rootHash.length !== HASH_SIZE || rootHash.toString('base64') !== rootText)
    throw invalid('root hash is not base64 of 32 bytes');
  if (extensions.some((e) => e.length === 0)) throw invalid('empty extension line');
  return { origin, size: Number(sizeText), rootHash: new Uint8Array(rootHash), extensions };
}

export function signCheckpoint(cp: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpointBody(cp), signer);
}

/** Verifies the note signature by `verifier` and, when given, that the origin is the expected one. */
export function verifyCheckpoint(note: string, verifier: NoteVerifier, expectedOrigin?: string): Checkpoint {
  const cp = parseCheckpointBody(openNote(note, verifier));
  const origin = expectedOrigin ?? verifier.name;
  if (cp.origin !== origin) throw invalid(`origin ${JSON.stringify(cp.origin)} is not ${JSON.stringify(origin)}`);
  return cp;
}
