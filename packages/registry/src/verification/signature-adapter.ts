/** Which verifiers a namespace policy allows, and the OMS bundle check against the pushed files. */
import {
  type BundleVerifier,
  compareResources,
  isModelsecError,
  type VerifiedModelBundle,
  verifyModelBundle,
} from '@modelsec/core';
import type { PolicySigner } from '../policy/policy.js';
import type { FailedRule } from './types.js';

/** Where Sigstore trust comes from: a trusted_root.json (offline, or a private Sigstore), else public-good over TUF. */
export interface SigstoreTrust {
  trustedRootJson?: unknown;
}

/**
 * The verifiers to try, in order. Policy signers map one to one; a policy without signers accepts any valid
 * signature, which for key-signed bundles means the public key sent with the push.
 */
export function verifiersFor(
  signers: readonly PolicySigner[],
  pushedPublicKey: string | undefined,
  sigstore: SigstoreTrust = {},
): BundleVerifier[] {
  if (signers.length === 0) return pushedPublicKey ? [{ kind: 'key', publicKeyPem: pushedPublicKey }] : [];
  return signers.map((s): BundleVerifier => {
    if ('publicKey' in s) return { kind: 'key', publicKeyPem: s.publicKey };
    if ('certificateRoots' in s) return { kind: 'certificate', rootCertificatesPem: s.certificateRoots };
    return {
      kind: 'sigstore',
      identity: s.identity,
      issuer: s.issuer,
      ...(sigstore.trustedRootJson !== undefined ? { trustedRootJson: sigstore.trustedRootJson } : {}),
    };
  });
}

/** Tries each verifier; the first that verifies wins. All failures are returned when none does. */
export async function verifyAgainstAny<T>(
  verifiers: readonly BundleVerifier[],
  verify: (v: BundleVerifier) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; failures: { code: string; message: string }[] }> {
  const failures: { code: string; message: string }[] = [];
  for (const verifier of verifiers) {
    try {
      return { ok: true, value: await verify(verifier) };
    } catch (error) {
      failures.push(
        isModelsecError(error)
          ? { code: error.code, message: error.message }
          : { code: 'SIGNATURE_INVALID', message: String(error) },
      );
    }
  }
  return { ok: false, failures };
}

/** Verifies the bundle and that it signs exactly `files` (path → sha256). */
export async function checkModelSignature(
  bundleText: string,
  verifiers: readonly BundleVerifier[],
  files: readonly { path: string; digest: string }[],
): Promise<{ verified?: VerifiedModelBundle; failed: FailedRule[] }> {
  if (verifiers.length === 0) {
    return {
      failed: [
        {
          rule: 'signature',
          code: 'SIGNATURE_INVALID',
          message: 'no verifier: the namespace policy lists no signers and the push carried no public key',
        },
      ],
    };
  }
  const result = await verifyAgainstAny(verifiers, (v) => verifyModelBundle(bundleText, v));
  if (!result.ok) {
    return {
      failed: [
        {
          rule: 'signature',
          code: result.failures[0]?.code ?? 'SIGNATURE_INVALID',
          message: 'the signature does not verify against any signer the policy allows',
          details: { attempts: result.failures },
        },
      ],
    };
  }
  const verified = result.value;
  if (verified.method !== 'files') {
    return {
      verified,
      failed: [
        {
          rule: 'signature',
          code: 'REGISTRY_UNSUPPORTED_SIGNATURE',
          message: `the signature uses '${verified.method}' serialization; the registry verifies per-file signatures only`,
        },
      ],
    };
  }
  const mismatches = compareResources(
    verified.resources,
    files.map((f) => ({ name: f.path, digest: f.digest })),
  );
  if (mismatches.length > 0) {
    return {
      verified,
      failed: [
        {
          rule: 'signature',
          code: 'MODEL_MISMATCH',
          message: `the pushed files differ from what the signature covers (${mismatches.length} difference(s))`,
          details: { mismatches },
        },
      ],
    };
  }
  return { verified, failed: [] };
}
