import {
  addNoteSignatures,
  COSIGNATURE_MAX_FUTURE_SECONDS,
  cosignCheckpoint,
  cosignerVerifierOf,
  generateCosigner,
  generateNoteSigner,
  noteKeyId,
  parseCheckpointNote,
  parseCosignerKey,
  parseCosignerVerifierKey,
  parseNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  verifierOf,
  verifyCosignature,
  verifyWitnessQuorum,
} from '@modelsec/core';
import { describe, expect, it } from 'vitest';

// Independent vector: tests/vectors/cosignature-v1.py (Python `cryptography`, written from the C2SP
// tlog-cosignature text), seed = SHA-256("modelsec cosignature/v1 test vector"), over the checkpoint body of the
// spec's example at the spec's example time 1679315147.
const VECTOR = {
  skey: 'PRIVATE+KEY+witness.example/w1+08414b16+BHYf4FXp0QPwVxROs/auJFdxeJP4Q4o08qp8LuYyjnMs',
  vkey: 'witness.example/w1+08414b16+BEf09PP7Ltty1rDSZvy5j7mBFT8KD+KRE06TqtJQ1fUu',
  body: 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
  timestamp: 1679315147,
  line: '\u2014 witness.example/w1 CEFLFgAAAABkGFDLIFUuQd1ivw8JLW7jlegL9KLx/YykPDvrkG+kHmgnKtuQYc3EqwTzSj7p/0Clh7nHFKz7we8DlZY2Js6HQOoeBw==',
};

const ROOT = new Uint8Array(32).fill(7);
const OTHER_ROOT = new Uint8Array(32).fill(8);

function logAndWitnesses() {
  const log = generateNoteSigner('registry.example/log');
  const w1 = generateCosigner('w1.example/witness');
  const w2 = generateCosigner('w2.example/witness');
  const w3 = generateCosigner('w3.example/witness');
  const note = signCheckpoint({ origin: log.name, size: 5, rootHash: ROOT, extensions: [] }, log);
  const body = parseNote(note).text;
  return { log, w1, w2, w3, note, body };
}

describe('C2SP tlog-cosignature (cosignature/v1, Ed25519)', () => {
  it('matches the independent vector: key encodings, key ID with type 0x04, signed message and signature line', () => {
    const cosigner = parseCosignerKey(VECTOR.skey);
    expect(cosigner.text).toBe(VECTOR.vkey);
    expect(cosigner.privateText).toBe(VECTOR.skey);
    expect(cosignCheckpoint(VECTOR.body, cosigner, VECTOR.timestamp)).toBe(`${VECTOR.line}\n`);
    const verifier = parseCosignerVerifierKey(VECTOR.vkey);
    const [sig] = parseNote(`${VECTOR.body}\n${VECTOR.line}\n`).signatures;
    expect(verifyCosignature(VECTOR.body, sig as never, verifier)).toBe(VECTOR.timestamp);
    // The same line over another body, or read as a key of another name, does not verify.
    expect(verifyCosignature(VECTOR.body.replace('20852163', '20852164'), sig as never, verifier)).toBeUndefined();
  });

  it('keeps note keys (0x01) and cosigner keys (0x04) apart', () => {
    const noteKey = generateNoteSigner('w1.example/witness');
    expect(() => parseCosignerVerifierKey(noteKey.text)).toThrow(/cosignature\/v1/);
    expect(() => parseVerifierKey(VECTOR.vkey)).toThrow();
    expect(() => parseCosignerVerifierKey(VECTOR.vkey.replace('08414b16', '08414b17'))).toThrow(/id/);
    expect(() => parseCosignerKey(noteKey.privateText)).toThrow();
    const round = generateCosigner('round.example/trip');
    expect(parseCosignerKey(round.privateText).text).toBe(round.text);
    expect(parseCosignerVerifierKey(round.text).keyId).toBe(round.keyId);
  });

  it('verifyWitnessQuorum: the log signature plus a quorum of distinct trusted witnesses', () => {
    const { log, w1, w2, w3, note, body } = logAndWitnesses();
    const cosigned = addNoteSignatures(
      note,
      cosignCheckpoint(body, w1, 1_700_000_000) + cosignCheckpoint(body, w2, 1_700_000_001),
    );
    const ok = verifyWitnessQuorum(cosigned, log.text, [w1.text, w2.text, w3.text], 2);
    expect(ok.checkpoint.size).toBe(5);
    expect(ok.cosignatures.map((c) => [c.name, c.timestamp]).sort()).toEqual([
      ['w1.example/witness', 1_700_000_000],
      ['w2.example/witness', 1_700_000_001],
    ]);
    expect(() => verifyWitnessQuorum(cosigned, log.text, [w1.text, w2.text, w3.text], 3)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    // Quorum 0 checks only the log signature; a quorum larger than the trusted keys is a usage error.
    expect(verifyWitnessQuorum(note, verifierOf(log), [w1], 0).cosignatures).toEqual([]);
    expect(() => verifyWitnessQuorum(cosigned, log.text, [w1.text], 2)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('one witness key listed under two names counts once (the Ed25519 message does not commit to the name)', () => {
    const { log, w1, w2, note, body } = logAndWitnesses();
    const alias = sameKeyAs(w1, 'alias.example/witness');
    expect(alias.text).not.toBe(w1.text);
    const twice = addNoteSignatures(note, cosignCheckpoint(body, w1, 1) + cosignCheckpoint(body, alias, 2));
    expect(() => verifyWitnessQuorum(twice, log.text, [w1.text, alias.text, w2.text], 2)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    expect(verifyWitnessQuorum(twice, log.text, [w1.text, alias.text, w2.text], 1).cosignatures).toHaveLength(1);
    // Two entries of one key are one witness: a quorum of 2 over them alone can never be met.
    expect(() => verifyWitnessQuorum(twice, log.text, [w1.text, alias.text], 2)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('a cosignature over another tree head, a forged timestamp, an unknown key or the log key itself does not count', () => {
    const { log, w1, w2, note, body } = logAndWitnesses();
    const forkBody = parseNote(signCheckpoint({ origin: log.name, size: 5, rootHash: OTHER_ROOT, extensions: [] }, log)).text;
    const forkLine = cosignCheckpoint(forkBody, w1, 1_700_000_000);
    expect(() => verifyWitnessQuorum(addNoteSignatures(note, forkLine), log.text, [w1.text], 1)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    // Rewrite the timestamp bytes of a genuine line: the signature covers the time line.
    const good = cosignCheckpoint(body, w2, 1_700_000_000);
    const raw = Buffer.from(good.trim().split(' ').pop() as string, 'base64');
    raw.writeBigUInt64BE(1_800_000_000n, 4);
    const forged = `\u2014 ${w2.name} ${raw.toString('base64')}\n`;
    expect(() => verifyWitnessQuorum(addNoteSignatures(note, forged), log.text, [w2.text], 1)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    // A stranger's cosignature is ignored; the log's own note signature is not a cosignature.
    const stranger = generateCosigner(w1.name);
    const withStranger = addNoteSignatures(note, cosignCheckpoint(body, stranger, 1_700_000_000));
    expect(() => verifyWitnessQuorum(withStranger, log.text, [w1.text], 1)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    const logAsWitness = sameKeyAs(log, log.name);
    expect(() => verifyWitnessQuorum(note, log.text, [cosignerVerifierOf(logAsWitness)], 1)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
  });

  it('refuses a checkpoint the log did not sign, however many witnesses cosigned it', () => {
    const { log, w1, w2, body } = logAndWitnesses();
    const impostor = generateNoteSigner(log.name);
    const note = signNote(body, impostor);
    const cosigned = addNoteSignatures(note, cosignCheckpoint(body, w1, 1) + cosignCheckpoint(body, w2, 2));
    expect(() => verifyWitnessQuorum(cosigned, log.text, [w1.text, w2.text], 1)).toThrow(
      expect.objectContaining({ code: 'LOG_PROOF_INVALID' }),
    );
  });

  it('extension lines are part of the cosigned message', () => {
    const log = generateNoteSigner('registry.example/log');
    const w1 = generateCosigner('w1.example/witness');
    const plain = parseNote(signCheckpoint({ origin: log.name, size: 1, rootHash: ROOT, extensions: [] }, log)).text;
    const extended = signCheckpoint({ origin: log.name, size: 1, rootHash: ROOT, extensions: ['ext line'] }, log);
    const line = cosignCheckpoint(plain, w1, 10);
    expect(() => verifyWitnessQuorum(addNoteSignatures(extended, line), log.text, [w1.text], 1)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    const good = cosignCheckpoint(parseNote(extended).text, w1, 10);
    expect(verifyWitnessQuorum(addNoteSignatures(extended, good), log.text, [w1.text], 1).cosignatures).toHaveLength(1);
  });

  it('with `now`, a cosignature timestamped further ahead than the allowed skew does not count', () => {
    const { log, w1, note, body } = logAndWitnesses();
    const now = new Date('2026-01-01T00:00:00Z');
    const t = Math.floor(now.getTime() / 1000);
    const near = addNoteSignatures(note, cosignCheckpoint(body, w1, t + COSIGNATURE_MAX_FUTURE_SECONDS));
    expect(verifyWitnessQuorum(near, log.text, [w1.text], 1, { now }).cosignatures[0]?.timestamp).toBe(
      t + COSIGNATURE_MAX_FUTURE_SECONDS,
    );
    const far = addNoteSignatures(note, cosignCheckpoint(body, w1, t + COSIGNATURE_MAX_FUTURE_SECONDS + 1));
    expect(() => verifyWitnessQuorum(far, log.text, [w1.text], 1, { now })).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    expect(verifyWitnessQuorum(far, log.text, [w1.text], 1).cosignatures).toHaveLength(1);
  });

  it('parses a checkpoint note with several signature lines; addNoteSignatures dedupes and refuses malformed lines', () => {
    const { log, w1, w2, note, body } = logAndWitnesses();
    const l1 = cosignCheckpoint(body, w1, 1);
    const l2 = cosignCheckpoint(body, w2, 2);
    const once = addNoteSignatures(note, l1 + l2);
    expect(addNoteSignatures(once, l2 + l1)).toBe(once);
    const parsed = parseCheckpointNote(once);
    expect(parsed.checkpoint).toMatchObject({ origin: log.name, size: 5 });
    expect(parsed.signatures.map((s) => s.name)).toEqual([log.name, w1.name, w2.name]);
    expect(() => addNoteSignatures(note, 'not a signature\n')).toThrow();
    expect(() => addNoteSignatures(note, l1.trimEnd())).toThrow(/newline/);
  });
});

/** A cosigner with the same Ed25519 key as `key` under another name (its key ID recomputed for type 0x04). */
function sameKeyAs(key: { publicKey: Uint8Array; seed: Uint8Array }, name: string) {
  const id = noteKeyId(name, key.publicKey, 0x04).toString(16).padStart(8, '0');
  return parseCosignerKey(`PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.of(0x04), key.seed]).toString('base64')}`);
}
