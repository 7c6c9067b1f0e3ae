/**
 * The one client gate as a pure function (packages/registry/src/client/verifier.ts): evidence built by hand, no
 * registry, no network — what `check --offline` (issue 15) will feed it from files. Each rule is exercised from the
 * same honest evidence with one piece changed.
 */
import { createHash } from 'node:crypto';
import { generateNoteSigner, type LoggedScan } from '@modelsec/core';
import { type Evidence, type LogEvidence, type TrustAnchors, verifyEvidence } from '@modelsec/registry';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLEAN_SCAN, MaliciousRegistry, type SignedFixture, signedFixture } from '../../helpers/malicious-registry.js';

let model: SignedFixture;
beforeAll(async () => {
  model = await signedFixture();
});

/** Evidence for acme/tiny@1.0.0 from an in-memory log (the harness's log builder, never listening). */
function build(setup: (log: MaliciousRegistry) => void = () => undefined, publish: Partial<{ scan: LoggedScan }> = {}) {
  const log = new MaliciousRegistry();
  setup(log);
  const index = log.publish(model, { version: '1.0.0', ...publish });
  const evidence: Evidence & { log: LogEvidence } = {
    expected: { namespace: 'acme', model: 'tiny' },
    log: {
      checkpoint: log.checkpoint(),
      leaves: log.leaves.map((leaf, i) => ({ index: i, leaf, proof: log.tree.inclusionProof(i, log.leaves.length) })),
      publishIndex: index,
      complete: true,
    },
    bundle: model.bundleBytes,
    attestations: [],
    local: {
      files: model.files.map((f) => ({ path: f.path, size: f.size, sha256: f.digest })),
      ignore: [],
      signaturePath: 'model.sig',
    },
  };
  const trust: TrustAnchors = { logKey: log.logKey, logKeyPinned: true, cliSigners: [{ publicKey: model.publicKeyPem }] };
  return { log, evidence, trust };
}

const now = { now: new Date() };
const codes = (r: { failed: { code: string }[] }) => r.failed.map((f) => f.code).sort();

describe('verifyEvidence (pure, offline-ready)', () => {
  it('honest evidence passes, reporting the verified signer and the log it was proven against', async () => {
    const { evidence, trust } = build();
    const r = await verifyEvidence(evidence, trust, now);
    expect(r).toMatchObject({ ok: true, failed: [], signerSource: 'command-line', version: { version: '1.0.0', logIndex: 0 } });
    expect(r.signer?.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a checkpoint by another log key, or an inclusion proof that does not verify, stops everything', async () => {
    const { evidence, trust } = build();
    expect(
      codes(await verifyEvidence(evidence, { ...trust, logKey: generateNoteSigner('modelsec-registry').text }, now)),
    ).toEqual(['LOG_PROOF_INVALID']);
    const bad = structuredClone(evidence);
    (bad.log.leaves[0] as { proof: Uint8Array[] }).proof = [new Uint8Array(32)];
    expect(codes(await verifyEvidence(bad, trust, now))).toEqual(['LOG_PROOF_INVALID']);
  });

  it('another namespace or a version outside the range never satisfies the expectation', async () => {
    const { evidence, trust } = build();
    expect(codes(await verifyEvidence({ ...evidence, expected: { namespace: 'other', model: 'tiny' } }, trust, now))).toEqual([
      'EVIDENCE_LOG_MISMATCH',
    ]);
    expect(
      codes(await verifyEvidence({ ...evidence, expected: { namespace: 'acme', model: 'tiny', range: '^2' } }, trust, now)),
    ).toEqual(['EVIDENCE_LOG_MISMATCH']);
  });

  it('without the whole log (offline evidence), the yank state and the logged policy are unknown: said, and never trusted for signers', async () => {
    const { evidence, trust } = build((log) => log.policy('acme', { signers: [{ publicKey: model.publicKeyPem }] }));
    const partial: Evidence = { ...evidence, log: { ...evidence.log, complete: false } };
    const r = await verifyEvidence(partial, trust, now);
    expect(r.ok).toBe(true);
    expect(r.policySource).toBe('default');
    expect(r.warnings.join('\n')).toMatch(/yank state is unknown/);
    const noCli = await verifyEvidence(partial, { ...trust, cliSigners: [] }, now);
    expect(codes(noCli)).toEqual(['CLIENT_NO_TRUSTED_SIGNER']);
    // With the whole log, the logged policy's signers are used (the log key is pinned).
    expect(await verifyEvidence(evidence, { ...trust, cliSigners: [] }, now)).toMatchObject({
      ok: true,
      signerSource: 'log-policy',
    });
    expect(codes(await verifyEvidence(evidence, { ...trust, cliSigners: [], logKeyPinned: false }, now))).toEqual([
      'CLIENT_NO_TRUSTED_SIGNER',
    ]);
  });

  it('each evidence piece changed fails its own rule', async () => {
    const { evidence, trust } = build();
    expect(codes(await verifyEvidence({ ...evidence, bundle: Buffer.from('{}') }, trust, now))).toEqual([
      'EVIDENCE_BUNDLE_MISMATCH',
    ]);
    const { bundle: _b, ...noBundle } = evidence;
    expect(codes(await verifyEvidence(noBundle, trust, now))).toEqual(['EVIDENCE_MISSING']);
    const tampered = structuredClone(evidence);
    (tampered.local?.files[0] as { sha256: string }).sha256 = createHash('sha256').update('x').digest('hex');
    expect(codes(await verifyEvidence(tampered, trust, now))).toEqual(['SIGNING_DIGEST_MISMATCH']);
    const extra = structuredClone(evidence);
    extra.local?.files.push({ path: '.gitattributes', size: 3 });
    expect(codes(await verifyEvidence(extra, trust, now))).toEqual([]);
    // (.gitattributes is recorded as ignored by the signer and is plain data to git; .github/ is recorded too, but a
    // workflow is code no one signed: only --ignore accepts it.)
    extra.local?.files.push({ path: '.github/workflows/ci.yml', size: 3 });
    expect(codes(await verifyEvidence(extra, trust, now))).toEqual(['SIGNING_FILE_EXTRA']);
    extra.local?.files.push({ path: 'notes.txt', size: 3 });
    expect(codes(await verifyEvidence(extra, trust, now))).toEqual(['SIGNING_FILE_EXTRA', 'SIGNING_FILE_EXTRA']);
    expect(
      codes(
        await verifyEvidence(
          { ...extra, local: { ...(extra.local as NonNullable<Evidence['local']>), ignore: ['notes.txt', '.github'] } },
          trust,
          now,
        ),
      ),
    ).toEqual([]);
  });

  it('the logged scan decides with the core gate, the yank by content, both from the log', async () => {
    const critical = build(undefined, {
      scan: { ...CLEAN_SCAN, maxSeverity: 'critical', verdicts: { clean: 0, findings: 2, incomplete: 0 } },
    });
    expect(codes(await verifyEvidence(critical.evidence, critical.trust, now))).toEqual(['SCAN_FINDINGS']);
    const { log, evidence, trust } = build();
    log.yank({ version: '0.9.0', rootDigest: model.rootDigest });
    const withYank: Evidence = {
      ...evidence,
      log: {
        ...evidence.log,
        checkpoint: log.checkpoint(),
        leaves: log.leaves.map((leaf, i) => ({ index: i, leaf, proof: log.tree.inclusionProof(i, log.leaves.length) })),
      },
    };
    expect(codes(await verifyEvidence(withYank, trust, now))).toEqual(['VERSION_YANKED']);
    expect(await verifyEvidence(withYank, trust, { ...now, allowYanked: true })).toMatchObject({
      ok: true,
      yanked: { logIndex: 1 },
    });
  });
});
