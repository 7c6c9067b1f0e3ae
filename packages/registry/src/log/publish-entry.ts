/**
 * The publish log entry (format v2, core tlog/entries.ts) built from what the registry VERIFIED at push, never from
 * what the pusher claimed: the root digest and signer from the verified signature bundle, files whose blobs were
 * present with exactly these sizes and whose digests the signature covers, attestations whose signatures and
 * subjects verified, the ML-BOM that validated, and the registry's own scan (summary + digest of the stored report).
 */

import type { VerifiedModelBundle, VerifiedSigner } from '@modelsec/core/signing';
import type { LoggedSigner } from '@modelsec/core/tlog';
import type { PushManifest } from '../verification/manifest.js';
import { loggedScanOf } from '../verification/scan-adapter.js';
import type { PushVerification } from '../verification/verify-push.js';
import type { PublishEntry } from './publish-entry-type.js';

/** The signer as logged: its kind and the facets a client pins (no certificate chains, no free text). */
export function loggedSignerOf(signer: VerifiedSigner): LoggedSigner {
  return {
    kind: signer.kind,
    ...(signer.keyFingerprint ? { keyFingerprint: signer.keyFingerprint } : {}),
    ...(signer.identity ? { identity: signer.identity } : {}),
    ...(signer.issuer ? { issuer: signer.issuer } : {}),
  };
}

export function publishEntry(input: {
  namespace: string;
  model: string;
  version: string;
  at: string;
  signed: VerifiedModelBundle;
  manifest: PushManifest;
  result: Pick<PushVerification, 'attestations' | 'scan'>;
  /** Digest of the registry's scan report blob, or null when nothing was scanned. */
  registryScanDigest: string | null;
  /** The root digest was yanked before and an admin allowed it again (audited by the caller). */
  yankOverride?: boolean;
}): PublishEntry {
  const { manifest, result } = input;
  const attachments: PublishEntry['attachments'] = [
    ...(manifest.mlbom ? [{ kind: 'mlbom' as const, digest: manifest.mlbom }] : []),
    ...result.attestations.map((a) => ({ kind: 'attestation' as const, digest: a.digest, predicateType: a.predicateType })),
    // A report the pusher named: logged so it cannot change later, but it is the pusher's claim. The registry's
    // verdict is `scan` (its own scan, report digest `scan.reportDigest`).
    ...(manifest.scanReport ? [{ kind: 'scan-report' as const, digest: manifest.scanReport }] : []),
  ];
  return {
    type: 'publish',
    namespace: input.namespace,
    model: input.model,
    version: input.version,
    rootDigest: input.signed.rootDigest,
    bundleDigest: manifest.bundle,
    signer: loggedSignerOf(input.signed.signer),
    attachments,
    files: manifest.files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })),
    scan: loggedScanOf(result.scan, input.registryScanDigest),
    ...(input.yankOverride ? { yankOverride: true as const } : {}),
    at: input.at,
  };
}
