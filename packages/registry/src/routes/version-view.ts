/** A version as the API answers it (the versions, push and query routes). */
import type { VersionRecord } from '../store/metadata-store.js';
import type { PushManifest } from '../verification/manifest.js';

/** Most rows one list/query answer returns. */
export const MAX_LIST_ROWS = 1000;

export function versionView(v: VersionRecord) {
  const manifest = JSON.parse(v.manifest) as PushManifest;
  return {
    namespace: v.namespace,
    model: v.model,
    version: v.version,
    rootDigest: v.rootDigest,
    bundleDigest: v.bundleDigest,
    signer: JSON.parse(v.signer) as Record<string, unknown>,
    signedAt: v.signedAt,
    scan: JSON.parse(v.scanVerdict) as Record<string, unknown>,
    publishedAt: v.publishedAt,
    publishedBy: v.publishedBy,
    yanked: v.yanked,
    yankedAt: v.yankedAt,
    yankReason: v.yankReason,
    ...(manifest.publicKey ? { publicKey: manifest.publicKey } : {}),
  };
}
