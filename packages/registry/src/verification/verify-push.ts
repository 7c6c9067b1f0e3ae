/**
 * Verification of a pushed version by the registry itself, never trusting the client: every file's blob and
 * size, the OMS signature over exactly those files against the namespace policy's signers, each attestation's
 * signature and subject, the ML-BOM, and the registry's own scan. Every failed rule is collected.
 */

import { detectBomFormat } from '@modelsec/core/bom';
import { evaluateGate, failOnAbove } from '@modelsec/core/scan';
import { type VerifiedModelBundle, verifyAttestation } from '@modelsec/core/signing';
import { effectivePolicy, type Policy } from '../policy/policy.js';
import type { BlobStore } from '../store/blob-store.js';
import { checkDependencies } from './dependencies-check.js';
import type { PushManifest } from './manifest.js';
import { checkMlbom } from './mlbom-adapter.js';
import type { RegistryScanner } from './scan-adapter.js';
import { checkModelSignature, type SigstoreTrust, verifiersFor, verifyAgainstAny } from './signature-adapter.js';
import type { FailedRule, ScanVerdict, StagedFile } from './types.js';

/** Largest signature / attestation bundle read into memory (a DSSE bundle is a few KB; certificates add a few more). */
export const MAX_PUSH_BUNDLE_BYTES = 4 * 1024 * 1024;
/** Largest ML-BOM read into memory for validation. */
export const MAX_PUSH_MLBOM_BYTES = 32 * 1024 * 1024;

export interface PushVerification {
  failed: FailedRule[];
  signed?: VerifiedModelBundle;
  scan: ScanVerdict;
  attestations: { digest: string; predicateType: string }[];
  licenses: string[];
  /** The ML-BOM's format, read from its bytes (the attachment's media type says it). */
  mlbomFormat?: 'json' | 'xml';
  /** Bytes the signature check read to hash shards (each distinct blob once); 0 for a files signature. */
  hashedBytes: number;
}

async function readBlobText(blobs: BlobStore, digest: string, limit: number): Promise<string | undefined> {
  const size = await blobs.size(digest);
  if (size === undefined || size > limit) return undefined;
  const parts: Buffer[] = [];
  for await (const chunk of await blobs.get(digest)) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export async function verifyPush(input: {
  manifest: PushManifest;
  policy: Policy | undefined;
  blobs: BlobStore;
  scanner: RegistryScanner | undefined;
  sigstore?: SigstoreTrust;
}): Promise<PushVerification> {
  const { manifest, blobs } = input;
  const policy = effectivePolicy(input.policy);
  const failed: FailedRule[] = [];
  const notScanned: ScanVerdict = { status: 'not-scanned', maxSeverity: null, findings: 0, incomplete: 0, files: [] };

  // 1. Files: every blob present with the declared size, re-verified (once per distinct blob) before it is hashed
  // by shards or scanned: a blob that changed on disk is quarantined and refused.
  const staged: StagedFile[] = [];
  const corrupt = new Set<string>();
  for (const digest of new Set(manifest.files.map((f) => f.digest))) {
    try {
      await blobs.verify?.(digest);
    } catch (error) {
      if ((error as { code?: string }).code === 'REGISTRY_BLOB_CORRUPT') corrupt.add(digest);
      else if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
    }
  }
  for (const file of manifest.files) {
    if (corrupt.has(file.digest)) {
      failed.push({
        rule: 'files',
        code: 'REGISTRY_BLOB_CORRUPT',
        message: `${file.path}: the stored blob ${file.digest} changed on disk and was quarantined: upload it again`,
        details: { path: file.path },
      });
      continue;
    }
    const size = await blobs.size(file.digest);
    if (size === undefined)
      failed.push({
        rule: 'files',
        code: 'REGISTRY_BLOB_MISSING',
        message: `${file.path}: blob ${file.digest} was not uploaded`,
        details: { path: file.path },
      });
    else if (size !== file.size)
      failed.push({
        rule: 'files',
        code: 'DIGEST_MISMATCH',
        message: `${file.path}: declared ${file.size} bytes, the blob has ${size}`,
        details: { path: file.path },
      });
    else staged.push({ ...file, localPath: blobs.localPath?.(file.digest) ?? '' });
  }

  // 2. The OMS signature over exactly these files.
  const verifiers = verifiersFor(policy.signers, manifest.publicKey, input.sigstore);
  const bundleText = await readBlobText(blobs, manifest.bundle, MAX_PUSH_BUNDLE_BYTES);
  let signed: VerifiedModelBundle | undefined;
  let hashedBytes = 0;
  if (bundleText === undefined) {
    failed.push({
      rule: 'signature',
      code: 'REGISTRY_BLOB_MISSING',
      message: `the signature bundle ${manifest.bundle} was not uploaded (or exceeds ${MAX_PUSH_BUNDLE_BYTES} bytes)`,
    });
  } else {
    const sig = await checkModelSignature(bundleText, verifiers, manifest.files, staged);
    signed = sig.verified;
    hashedBytes = sig.hashedBytes ?? 0;
    failed.push(...sig.failed);
  }

  // 3. Attestations: signature (same signers) and subject = the model's root digest.
  const attestations: { digest: string; predicateType: string }[] = [];
  for (const digest of manifest.attestations ?? []) {
    const text = await readBlobText(blobs, digest, MAX_PUSH_BUNDLE_BYTES);
    if (text === undefined) {
      failed.push({ rule: 'attestations', code: 'REGISTRY_BLOB_MISSING', message: `attestation ${digest} was not uploaded` });
      continue;
    }
    const result = await verifyAgainstAny(verifiers, (v) =>
      verifyAttestation(text, v, signed ? { rootDigest: signed.rootDigest } : {}),
    );
    if (result.ok && signed) attestations.push({ digest, predicateType: result.value.predicateType });
    else if (!result.ok) {
      failed.push({
        rule: 'attestations',
        code: result.failures[0]?.code ?? 'SIGNATURE_INVALID',
        message: `attestation ${digest} does not verify`,
        details: { attempts: result.failures },
      });
    }
  }
  const haveTypes = new Set(attestations.map((a) => a.predicateType));
  for (const type of policy.requiredAttestations) {
    if (!haveTypes.has(type))
      failed.push({
        rule: 'attestations',
        code: 'POLICY_DENIED',
        message: `a verified attestation of type ${type} is required`,
        details: { predicateType: type },
      });
  }

  // 4. ML-BOM and licenses.
  let licenses: string[] = [];
  let mlbomFormat: 'json' | 'xml' | undefined;
  if (manifest.mlbom !== undefined) {
    const text = await readBlobText(blobs, manifest.mlbom, MAX_PUSH_MLBOM_BYTES);
    if (text === undefined)
      failed.push({
        rule: 'mlbom',
        code: 'REGISTRY_BLOB_MISSING',
        message: `the ML-BOM ${manifest.mlbom} was not uploaded (or exceeds ${MAX_PUSH_MLBOM_BYTES} bytes)`,
      });
    else {
      mlbomFormat = detectBomFormat(text);
      const bom = checkMlbom(text, policy.allowedLicenses);
      licenses = bom.licenses;
      failed.push(...bom.failed);
      if (policy.dependencies) failed.push(...checkDependencies(text, policy.dependencies));
    }
  } else {
    if (policy.mlbomRequired)
      failed.push({ rule: 'mlbom', code: 'POLICY_DENIED', message: 'the namespace policy requires an ML-BOM' });
    if (policy.dependencies) failed.push(...checkDependencies(undefined, policy.dependencies));
    if (policy.allowedLicenses)
      failed.push({
        rule: 'licenses',
        code: 'POLICY_DENIED',
        message: 'the policy restricts licenses: an ML-BOM declaring them is required',
      });
  }

  // 5. The registry's own scan (fail closed when it is required and cannot run).
  let scan = notScanned;
  if (input.scanner && staged.length === manifest.files.length) {
    try {
      scan = await input.scanner.scan(staged);
    } catch (error) {
      failed.push({
        rule: 'scan',
        code: 'REGISTRY_CHECK_UNAVAILABLE',
        message: `the scan failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  } else if (!input.scanner && policy.scan.required) {
    failed.push({
      rule: 'scan',
      code: 'REGISTRY_CHECK_UNAVAILABLE',
      message: 'the policy requires the registry scan and no scanner is available in this build (refused: fail closed)',
    });
  }
  // The one core gate decides (the CLI's `scan` uses the same function).
  const gate = evaluateGate(scan.files, {
    failOn: failOnAbove(policy.scan.maxSeverity),
    allowIncomplete: policy.scan.allowIncomplete,
  });
  const bySeverity = gate.failures.filter((f) => f.reason === 'severity');
  const incomplete = gate.failures.filter((f) => f.reason === 'incomplete');
  if (bySeverity.length > 0) {
    failed.push({
      rule: 'scan',
      code: 'SCAN_FINDINGS',
      message: `scan findings at ${scan.maxSeverity}, above the allowed ${policy.scan.maxSeverity}`,
      details: { files: bySeverity },
    });
  }
  if (incomplete.length > 0) {
    failed.push({
      rule: 'scan',
      code: 'SCAN_INCOMPLETE',
      message: `${incomplete.length} file(s) could not be fully inspected (${incomplete
        .slice(0, 5)
        .map((f) => f.path)
        .join(', ')}${incomplete.length > 5 ? ', ...' : ''}); the policy does not set scan.allowIncomplete`,
      details: { files: incomplete },
    });
  }

  return {
    failed,
    ...(signed ? { signed } : {}),
    scan,
    attestations,
    licenses,
    ...(mlbomFormat ? { mlbomFormat } : {}),
    hashedBytes,
  };
}
