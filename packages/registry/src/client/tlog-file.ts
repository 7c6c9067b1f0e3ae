/**
 * `model.tlog.json`: the registry's proof that a version was published, kept beside `model.sig` by push and pull so
 * that `check --offline` can verify it with no network: the publish entry (leaf bytes, and the opening of a sealed
 * leaf), its RFC 6962 inclusion proof, the signed checkpoint note it is proven against, and the name of the log's
 * verifier key (the key itself comes from the verifier's policy, `log.key`: never from this file).
 *
 *   { "mediaType": "application/vnd.modelsec.tlog-proof.v1+json",
 *     "logKeyName": "<note verifier key name>", "origin": "<checkpoint origin>",
 *     "checkpoint": "<signed checkpoint note>",
 *     "entry": { "index": N, "leaf": "<base64>", "inclusionProof": ["<base64>", ...],
 *                "opening": { "salt": "...", "entry": "..." } } }
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { LogEvidence } from './evidence.js';

export const TLOG_PROOF_MEDIA_TYPE = 'application/vnd.modelsec.tlog-proof.v1+json';
/** Largest model.tlog.json read: one leaf (a publish entry lists up to 10,000 files), a proof and a checkpoint. */
export const MAX_TLOG_PROOF_BYTES = 16 * 1024 * 1024;
/** Longest inclusion proof accepted: a tree of 2^64 leaves needs 64 hashes. */
export const MAX_INCLUSION_PROOF_HASHES = 64;

export interface TlogProofFile {
  mediaType: typeof TLOG_PROOF_MEDIA_TYPE;
  logKeyName: string;
  origin: string;
  checkpoint: string;
  entry: { index: number; leaf: string; inclusionProof: string[]; opening?: { salt: string; entry: string } };
}

/** The file name beside a signature `NAME.sig`: `NAME.tlog.json`. */
export function tlogPathFor(signaturePath: string): string {
  return `${signaturePath.replace(/\.sig$/, '')}.tlog.json`;
}

export function buildTlogProof(input: {
  logKeyName: string;
  origin: string;
  checkpoint: string;
  index: number;
  leaf: Uint8Array;
  proof: readonly Uint8Array[];
  opening?: { salt: string; entry: string };
}): TlogProofFile {
  return {
    mediaType: TLOG_PROOF_MEDIA_TYPE,
    logKeyName: input.logKeyName,
    origin: input.origin,
    checkpoint: input.checkpoint,
    entry: {
      index: input.index,
      leaf: Buffer.from(input.leaf).toString('base64'),
      inclusionProof: input.proof.map((h) => Buffer.from(h).toString('base64')),
      ...(input.opening ? { opening: input.opening } : {}),
    },
  };
}

function bad(message: string): ModelsecError {
  return new ModelsecError('LOG_PROOF_INVALID', `model.tlog.json: ${message}`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads a model.tlog.json into log evidence (shape only: the gate verifies the checkpoint against the pinned key and
 * the inclusion of the leaf). `complete` is false: one entry says nothing about yanks or the namespace policy.
 */
export function parseTlogProof(bytes: Uint8Array): LogEvidence & { logKeyName: string } {
  if (bytes.length > MAX_TLOG_PROOF_BYTES)
    throw new ModelsecError('LIMIT_EXCEEDED', `model.tlog.json is larger than ${MAX_TLOG_PROOF_BYTES} bytes`, {
      details: { limit: MAX_TLOG_PROOF_BYTES },
    });
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw bad('is not JSON');
  }
  const d = doc as Partial<TlogProofFile> | null;
  if (typeof d !== 'object' || d === null || d.mediaType !== TLOG_PROOF_MEDIA_TYPE)
    throw bad(`mediaType is not ${TLOG_PROOF_MEDIA_TYPE}`);
  if (typeof d.checkpoint !== 'string' || typeof d.logKeyName !== 'string') throw bad('no checkpoint or logKeyName');
  const e = d.entry;
  if (
    typeof e !== 'object' ||
    e === null ||
    !Number.isSafeInteger(e.index) ||
    e.index < 0 ||
    typeof e.leaf !== 'string' ||
    !BASE64.test(e.leaf) ||
    !Array.isArray(e.inclusionProof) ||
    e.inclusionProof.length > MAX_INCLUSION_PROOF_HASHES ||
    !e.inclusionProof.every((h) => typeof h === 'string' && BASE64.test(h)) ||
    (e.opening !== undefined &&
      (typeof e.opening !== 'object' ||
        e.opening === null ||
        typeof e.opening.salt !== 'string' ||
        typeof e.opening.entry !== 'string'))
  )
    throw bad('entry is not {index, leaf, inclusionProof[], opening?}');
  const proof = e.inclusionProof.map((h) => new Uint8Array(Buffer.from(h, 'base64')));
  if (proof.some((h) => h.length !== 32)) throw bad('an inclusion proof hash is not 32 bytes');
  return {
    logKeyName: d.logKeyName,
    checkpoint: d.checkpoint,
    leaves: [
      {
        index: e.index,
        leaf: new Uint8Array(Buffer.from(e.leaf, 'base64')),
        proof,
        ...(e.opening ? { opening: { salt: e.opening.salt, entry: e.opening.entry } } : {}),
      },
    ],
    publishIndex: e.index,
    complete: false,
  };
}
