import { ModelsecError } from '../errors/index.js';
import type { BundleJson } from './bundle.js';
import { assertSubjectIsModel, type ManifestSource, OMS_ROOT_DIGEST_ANNOTATION } from './manifest.js';
import type { InTotoStatement } from './statement.js';
import { type BundleVerifier, type VerifiedSigner, verifyStatementBundle } from './verify.js';

export interface VerifiedAttestation {
  predicateType: string;
  predicate: Record<string, unknown>;
  subject: InTotoStatement['subject'];
  signer: VerifiedSigner;
  signedAt?: string;
}

/**
 * Verifies an attestation bundle (signature and signer as for model signatures). Then:
 * - `model` (the verified signed file set): the subject must be exactly that model's manifest (manifest.ts):
 *   one subject, its digest the manifest digest, its root digest annotation the OMS root digest
 *   (ATTESTATION_SUBJECT_MISMATCH otherwise). This is what the client gate and `verify --attestation` use.
 * - `rootDigest` only (the registry at push, which has the signed root digest): exactly one subject, whose root digest
 *   annotation, or bare sha256 (attestations made before issue 15), is that digest (SIGNING_DIGEST_MISMATCH otherwise).
 * - `predicateType`: the type must match exactly (SIGNING_PREDICATE_UNSUPPORTED otherwise).
 */
export async function verifyAttestation(
  input: string | Buffer | BundleJson,
  verifier: BundleVerifier,
  expect: { model?: ManifestSource; rootDigest?: string; predicateType?: string } = {},
): Promise<VerifiedAttestation> {
  const verified = await verifyStatementBundle(input, verifier);
  const { statement } = verified;
  if (expect.predicateType !== undefined && statement.predicateType !== expect.predicateType) {
    throw new ModelsecError(
      'SIGNING_PREDICATE_UNSUPPORTED',
      `attestation predicate is '${statement.predicateType}', expected '${expect.predicateType}'`,
      {
        details: { predicateType: statement.predicateType },
      },
    );
  }
  if (expect.model !== undefined) assertSubjectIsModel(statement, expect.model);
  else if (expect.rootDigest !== undefined) {
    const want = expect.rootDigest.toLowerCase();
    const only = statement.subject.length === 1 ? statement.subject[0] : undefined;
    const root = (only?.annotations?.[OMS_ROOT_DIGEST_ANNOTATION] ?? only?.digest.sha256 ?? '').toLowerCase();
    if (root !== want) {
      throw new ModelsecError(
        'SIGNING_DIGEST_MISMATCH',
        statement.subject.length === 1
          ? 'the attestation is about a different model (subject digest differs)'
          : `the attestation has ${statement.subject.length} subjects: an attestation about a model has exactly one`,
        { details: { expected: expect.rootDigest, subject: statement.subject.map((s) => s.digest) } },
      );
    }
  }
  return {
    predicateType: statement.predicateType,
    predicate: statement.predicate,
    subject: statement.subject,
    signer: verified.signer,
    ...(verified.signedAt ? { signedAt: verified.signedAt } : {}),
  };
}
