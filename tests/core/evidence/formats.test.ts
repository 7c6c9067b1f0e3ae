/**
 * The evidence formats of issue 15 as pure functions: the manifest digest an attestation's one subject names, the
 * subject rule, the scan predicate's coverage of the signed files, and the strict reading of model.tlog.json.
 */
import {
  assertSubjectIsModel,
  computeRootDigest,
  type ManifestSource,
  manifestDigest,
  manifestSubject,
  OMS_ROOT_DIGEST_ANNOTATION,
  type ScanPredicate,
  scanPredicateCoverage,
  validateScanPredicate,
} from '@modelsec/core';
import { buildTlogProof, MAX_INCLUSION_PROOF_HASHES, parseTlogProof, TLOG_PROOF_MEDIA_TYPE } from '@modelsec/registry';
import { describe, expect, it } from 'vitest';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function model(resources: { name: string; digest: string }[], extra: Partial<ManifestSource> = {}): ManifestSource {
  const list = resources.map((r) => ({ ...r, algorithm: 'sha256' }));
  return {
    subjectName: 'm',
    rootDigest: computeRootDigest(list),
    method: 'files',
    hashType: 'sha256',
    allowSymlinks: false,
    ignorePaths: ['.git'],
    resources: list,
    ...extra,
  };
}

describe('the manifest digest (the one subject of an attestation)', () => {
  it('binds the names: the same bytes under other names share the root digest, never the manifest digest', () => {
    const one = model([
      { name: 'config.json', digest: A },
      { name: 'weights.bin', digest: B },
    ]);
    const renamed = model([
      { name: 'config.json', digest: A },
      { name: 'weights.pt', digest: B },
    ]);
    expect(renamed.rootDigest).toBe(one.rootDigest);
    expect(manifestDigest(renamed)).not.toBe(manifestDigest(one));
    // ...and the serialization: the same resources with another ignore list or symlink rule are another file set.
    expect(manifestDigest({ ...one, ignorePaths: [] })).not.toBe(manifestDigest(one));
    expect(manifestDigest({ ...one, allowSymlinks: true })).not.toBe(manifestDigest(one));
    // Deterministic: the ignore list's order does not matter (the signer records a set).
    expect(manifestDigest({ ...one, ignorePaths: ['b', 'a'] })).toBe(manifestDigest({ ...one, ignorePaths: ['a', 'b'] }));
  });

  it('accepts exactly one subject: the manifest digest with the root digest beside it', () => {
    const m = model([{ name: 'w', digest: A }]);
    const other = model([{ name: 'w', digest: B }]);
    expect(() => assertSubjectIsModel({ subject: [manifestSubject(m)] }, m)).not.toThrow();
    const refused = (subject: Parameters<typeof assertSubjectIsModel>[0]['subject']) => {
      try {
        assertSubjectIsModel({ subject }, m);
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(refused([manifestSubject(m), manifestSubject(other)])).toBe('ATTESTATION_SUBJECT_MISMATCH');
    expect(refused([manifestSubject(other)])).toBe('ATTESTATION_SUBJECT_MISMATCH');
    expect(refused([{ name: 'm', digest: { sha256: m.rootDigest } }])).toBe('ATTESTATION_SUBJECT_MISMATCH');
    const { annotations: _a, ...bare } = manifestSubject(m);
    expect(refused([bare])).toBe('ATTESTATION_SUBJECT_MISMATCH');
    expect(refused([{ ...bare, annotations: { [OMS_ROOT_DIGEST_ANNOTATION]: other.rootDigest } }])).toBe(
      'ATTESTATION_SUBJECT_MISMATCH',
    );
  });
});

describe('the scan predicate', () => {
  const m = model([
    { name: 'config.json', digest: A },
    { name: 'weights.bin', digest: B },
  ]);
  const predicate = (files: ScanPredicate['files']): ScanPredicate => ({
    scanner: { name: 'modelsec', version: '0.1.0' },
    ruleSet: { digest: { sha256: A }, rules: 1 },
    config: { digest: null, strict: false },
    files,
    summary: { files: files.length, maxSeverity: null, verdicts: { clean: files.length, findings: 0, incomplete: 0 } },
  });
  const file = (path: string, sha256: string | null) =>
    ({ path, sha256, verdict: 'clean', maxSeverity: null, findings: [] }) as ScanPredicate['files'][number];

  it('must give a verdict on exactly the signed files, scanned with the signed bytes', () => {
    expect(scanPredicateCoverage(predicate([file('config.json', A), file('weights.bin', B)]), m)).toEqual([]);
    expect(scanPredicateCoverage(predicate([file('config.json', A)]), m)).toEqual([
      { path: 'weights.bin', reason: 'is signed but has no scan verdict' },
    ]);
    expect(
      scanPredicateCoverage(predicate([file('config.json', A), file('weights.bin', A), file('x.py', null)]), m).map(
        (p) => p.reason,
      ),
    ).toEqual(['was scanned with other bytes than the signed ones', 'is not a signed file']);
  });

  it('validates against schemas/scan-attestation.schema.json (ATTESTATION_PREDICATE_INVALID otherwise)', () => {
    const valid = predicate([file('config.json', A)]);
    expect(validateScanPredicate(valid)).toEqual(valid);
    expect(() => validateScanPredicate({ ...predicate([]), files: [{ path: 'x', verdict: 'fine' }] })).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_PREDICATE_INVALID' }),
    );
  });
});

describe('model.tlog.json', () => {
  const proof = buildTlogProof({
    logKeyName: 'modelsec-registry',
    origin: 'modelsec-registry',
    checkpoint: 'modelsec-registry\n2\nAAAA\n',
    index: 1,
    leaf: new Uint8Array([1, 2, 3]),
    proof: [new Uint8Array(32).fill(7)],
  });

  it('round-trips into log evidence that is never "complete" (one entry says nothing about later yanks)', () => {
    const read = parseTlogProof(Buffer.from(JSON.stringify(proof)));
    expect(read).toMatchObject({ publishIndex: 1, complete: false, logKeyName: 'modelsec-registry' });
    expect(read.leaves[0]?.leaf).toEqual(new Uint8Array([1, 2, 3]));
    expect(read.leaves[0]?.proof[0]).toEqual(new Uint8Array(32).fill(7));
  });

  it('is read strictly: another media type, a short hash, an over-long proof are LOG_PROOF_INVALID', () => {
    const bad = (doc: unknown) => () => parseTlogProof(Buffer.from(JSON.stringify(doc)));
    const code = { code: 'LOG_PROOF_INVALID' };
    expect(bad({ ...proof, mediaType: 'application/json' })).toThrow(expect.objectContaining(code));
    expect(bad({ ...proof, entry: { ...proof.entry, inclusionProof: ['AAAA'] } })).toThrow(expect.objectContaining(code));
    const long = Array.from({ length: MAX_INCLUSION_PROOF_HASHES + 1 }, () => Buffer.alloc(32).toString('base64'));
    expect(bad({ ...proof, entry: { ...proof.entry, inclusionProof: long } })).toThrow(expect.objectContaining(code));
    expect(bad({ ...proof, entry: { ...proof.entry, index: -1 } })).toThrow(expect.objectContaining(code));
    expect(proof.mediaType).toBe(TLOG_PROOF_MEDIA_TYPE);
  });
});
