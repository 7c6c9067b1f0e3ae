import {
  decodeLogEntry,
  encodeLogEntry,
  generateNoteSigner,
  hashLeaf,
  MerkleTree,
  noteKeyId,
  openNote,
  openSealedEntry,
  parseCheckpointBody,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  sealLogEntry,
  signCheckpoint,
  signNote,
  verifierOf,
  verifyCheckpoint,
  verifyInclusion,
} from '@modelsec/core';
import { describe, expect, it } from 'vitest';

// Example key and signed note from the documentation and tests of golang.org/x/mod/sumdb/note
// (the C2SP signed-note reference implementation).
const GO_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe('C2SP signed-note', () => {
  it('parses the Go reference verifier key and verifies its example note', () => {
    const v = parseVerifierKey(GO_VERIFIER);
    expect(v.name).toBe('PeterNeumann');
    expect(v.keyId.toString(16)).toBe('c74f20a3');
    expect(noteKeyId(v.name, v.publicKey)).toBe(0xc74f20a3);
    expect(openNote(GO_NOTE, v)).toBe(GO_TEXT);
  });

  it('refuses the Go note when its text or signature changes', () => {
    const v = parseVerifierKey(GO_VERIFIER);
    expect(() => openNote(GO_NOTE.replace('answer', 'Answer'), v)).toThrow(/does not verify/);
    expect(() => openNote(GO_NOTE.replace('x08go', 'x08gp'), v)).toThrow();
  });

  it('refuses verifier keys whose id does not match', () => {
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/id/);
    expect(() => parseVerifierKey('Peter+Neumann+c74f20a3+ARpc')).toThrow();
    expect(() => parseVerifierKey('PeterNeumann+c74f20a3+AhpjZ')).toThrow();
  });

  it('generates keys that round-trip through their text forms and sign notes', () => {
    const signer = generateNoteSigner('registry.example/log');
    const again = parseSignerKey(signer.privateText);
    expect(again.text).toBe(signer.text);
    const v = parseVerifierKey(signer.text);
    const note = signNote('hello\n', signer);
    expect(openNote(note, v)).toBe('hello\n');
    const other = generateNoteSigner('registry.example/log');
    expect(() => openNote(note, verifierOf(other))).toThrow(/no signature/);
    expect(parseNote(note).signatures).toHaveLength(1);
    expect(() => signNote('no newline', signer)).toThrow();
  });
});

describe('C2SP tlog-checkpoint', () => {
  it('signs and verifies a checkpoint over a tree, then proves a leaf against it', () => {
    const signer = generateNoteSigner('example.com/log');
    const tree = new MerkleTree();
    const entry = encodeLogEntry({ type: 'namespace', namespace: 'acme', public: true, at: '2026-01-01T00:00:00Z' });
    for (let i = 0; i < 5; i++) tree.append(new Uint8Array([i]));
    const index = tree.append(entry);
    const note = signCheckpoint({ origin: 'example.com/log', size: tree.size, rootHash: tree.root(), extensions: [] }, signer);
    expect(note.split('\n').slice(0, 3)).toEqual(['example.com/log', '6', Buffer.from(tree.root()).toString('base64')]);
    const cp = verifyCheckpoint(note, parseVerifierKey(signer.text));
    expect(cp.size).toBe(6);
    expect(verifyInclusion(index, cp.size, hashLeaf(entry), tree.inclusionProof(index, cp.size), cp.rootHash)).toBe(true);
    expect(() => verifyCheckpoint(note.replace('\n6\n', '\n7\n'), parseVerifierKey(signer.text))).toThrow();
    expect(() => verifyCheckpoint(note, parseVerifierKey(signer.text), 'other.origin')).toThrow(/origin/);
  });

  it('parses extension lines and refuses malformed bodies', () => {
    const root = Buffer.alloc(32, 7).toString('base64');
    expect(parseCheckpointBody(`o\n3\n${root}\next one\n`).extensions).toEqual(['ext one']);
    expect(() => parseCheckpointBody(`o\n03\n${root}\n`)).toThrow(/size/);
    expect(() => parseCheckpointBody(`o\n3\n${root.slice(0, -4)}\n`)).toThrow(/root/);
    expect(() => parseCheckpointBody('o\n3\n')).toThrow();
  });
});

describe('log entries', () => {
  it('encodes canonically (sorted keys and attachments) and decodes only canonical bytes', () => {
    const a = encodeLogEntry({
      type: 'publish',
      namespace: 'acme',
      model: 'm',
      version: '1.0.0',
      rootDigest: 'sha256:aa',
      bundleDigest: 'sha256:bb',
      signer: { kind: 'key', keyFingerprint: 'sha256:cc' },
      attachments: [
        { kind: 'scan-report', digest: 'sha256:02' },
        { kind: 'mlbom', digest: 'sha256:01' },
      ],
      files: [
        { path: 'b.bin', digest: 'sha256:04', size: 2 },
        { path: 'a.bin', digest: 'sha256:03', size: 1 },
      ],
      scan: {
        status: 'scanned',
        scanner: 'modelsec',
        maxSeverity: null,
        incompleteFiles: 0,
        verdicts: { clean: 2, findings: 0, incomplete: 0 },
        reportDigest: 'sha256:02',
      },
      at: '2026-01-01T00:00:00Z',
    });
    const text = Buffer.from(a).toString('utf8');
    expect(text.startsWith('{"at":')).toBe(true);
    expect(text.indexOf('mlbom')).toBeLessThan(text.indexOf('scan-report'));
    expect(text.indexOf('a.bin')).toBeLessThan(text.indexOf('b.bin'));
    expect(decodeLogEntry(a).type).toBe('publish');
    expect(() => decodeLogEntry(Buffer.from(' {"namespace":"x","type":"yank","v":2}'))).toThrow(/canonical/);
    expect(() => decodeLogEntry(Buffer.from('{"namespace":"x","type":"other"}'))).toThrow(/type/);
  });

  it('seals an entry: the opening matches its commitment, a changed opening or salt does not', () => {
    const entry = { type: 'namespace' as const, namespace: 'secret', public: false, at: '2026-01-01T00:00:00Z' };
    const salt = new Uint8Array(32).fill(7);
    const { sealed, entryBytes } = sealLogEntry(entry, salt);
    const leaf = encodeLogEntry(sealed);
    expect(Buffer.from(leaf).toString('utf8')).not.toContain('secret');
    const opening = { salt: Buffer.from(salt).toString('hex'), entry: Buffer.from(entryBytes).toString('utf8') };
    expect(openSealedEntry(leaf, opening)).toMatchObject(entry);
    expect(() => openSealedEntry(leaf, { ...opening, salt: '08'.repeat(32) })).toThrow(/commitment/);
    expect(() => openSealedEntry(leaf, { ...opening, entry: opening.entry.replace('secret', 'other') })).toThrow(/commitment/);
    expect(() => openSealedEntry(encodeLogEntry(entry), opening)).toThrow(/not sealed/);
  });
});
