import { ModelsecError } from '../errors/index.js';
import type { BundleJson } from './bundle.js';
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
 * Verifies an attestation bundle (signature and signer as for model signatures) and, when `rootDigest` is
 * given, that its subject is that model digest (SIGNING_DIGEST_MISMATCH otherwise). With `predicateType`,
 * the type must match exactly (SIGNING_PREDICATE_UNSUPPORTED otherwise).
 */
export async function verifyAttestation(
  input: string | Buffer | BundleJson,
  verifier: BundleVerifier,
  expect: { rootDigest?: string; predicateType?: string } = {},
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
  if (expect.rootDigest !== undefined) {
    const digests = statement.subject.map((s) => (s.digest.sha256 ?? '').toLowerCase());
    if (!digests.includes(expect.rootDigest.toLowerCase())) {
      throw new ModelsecError('SIGNING_DIGEST_MISMATCH', 'the attestation is about a different model (subject digest differs)', {
        details: { expected: expect.rootDigest, subject: digests },
      });
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
