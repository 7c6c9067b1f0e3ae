/** Which verifiers a namespace policy allows, and the OMS bundle check against the pushed files. */
import { type ErrorCode, isModelsecError } from '@modelsec/core/errors';
import {
  type BundleVerifier,
  compareResources,
  DEFAULT_SHARD_SIZE,
  hashShards,
  parseShardName,
  type ResourceMismatch,
  type VerifiedModelBundle,
  verifyModelBundle,
} from '@modelsec/core/signing';
import type { PolicySigner } from '../policy/policy.js';
import type { FailedRule, StagedFile } from './types.js';

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

/**
 * The verifiers a CLIENT tries: exactly the trusted signers it was given (command line, local policy, or the
 * namespace policy as logged), never a key the registry hands back. A certificate signer is checked at
 * `signingTime`, a time the client verified (the log entry's integrated time).
 */
export function clientVerifiers(
  signers: readonly PolicySigner[],
  options: SigstoreTrust & { signingTime?: Date } = {},
): BundleVerifier[] {
  return signers.map((s): BundleVerifier => {
    if ('publicKey' in s) return { kind: 'key', publicKeyPem: s.publicKey };
    if ('certificateRoots' in s)
      return {
        kind: 'certificate',
        rootCertificatesPem: s.certificateRoots,
        ...(options.signingTime ? { signingTime: options.signingTime } : {}),
      };
    return {
      kind: 'sigstore',
      identity: s.identity,
      issuer: s.issuer,
      ...(options.trustedRootJson !== undefined ? { trustedRootJson: options.trustedRootJson } : {}),
    };
  });
}

/** Tries each verifier; the first that verifies wins. All failures are returned when none does. */
export async function verifyAgainstAny<T>(
  verifiers: readonly BundleVerifier[],
  verify: (v: BundleVerifier) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; failures: { code: ErrorCode; message: string }[] }> {
  const failures: { code: ErrorCode; message: string }[] = [];
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

/** Verifies the bundle and that it signs exactly `files` (path → sha256), per file or per shard. */
export async function checkModelSignature(
  bundleText: string,
  verifiers: readonly BundleVerifier[],
  files: readonly { path: string; digest: string }[],
  /** The stored blobs of `files` (needed for shards signatures, whose digests cover byte ranges). */
  staged?: readonly StagedFile[],
): Promise<{ verified?: VerifiedModelBundle; failed: FailedRule[]; hashedBytes?: number }> {
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
  let hashedBytes = 0;
  let actual: { name: string; digest: string }[] = files.map((f) => ({ name: f.path, digest: f.digest }));
  if (verified.method === 'shards') {
    // The signature covers byte ranges: hash the stored blobs in the signer's shard size (a full read of the
    // version at push; files-serialised signatures compare digests the blob store has already verified).
    const complete = staged !== undefined && staged.length === files.length && staged.every((f) => f.localPath !== '');
    if (!complete) {
      return {
        verified,
        failed: [
          {
            rule: 'signature',
            code: 'REGISTRY_CHECK_UNAVAILABLE',
            message: 'a shards signature needs every blob stored locally to hash its byte ranges',
          },
        ],
      };
    }
    // The signed byte ranges of each file must be exactly the ranges its size makes in the signed shard size, checked
    // before a byte is read: a signature with a tiny shard_size (1 byte) naming a few ranges would otherwise make the
    // registry hash every stored byte as its own shard (one digest and one object per byte of the version).
    const layout = shardLayoutMismatches(verified.resources, staged, verified.shardSize ?? DEFAULT_SHARD_SIZE);
    if (layout.length > 0) {
      return {
        verified,
        hashedBytes: 0,
        failed: [
          {
            rule: 'signature',
            code: 'MODEL_MISMATCH',
            message: `the pushed files differ from what the signature covers (${layout.length} file(s) signed in other byte ranges than their size makes)`,
            details: { mismatches: layout.slice(0, MAX_REPORTED_LAYOUT_MISMATCHES) },
          },
        ],
      };
    }
    const hashed = await hashDistinctShards(staged, verified.shardSize ?? DEFAULT_SHARD_SIZE);
    actual = hashed.resources;
    hashedBytes = hashed.bytes;
  }
  const mismatches = compareResources(verified.resources, actual, { shards: verified.method === 'shards' });
  if (mismatches.length > 0) {
    return {
      verified,
      hashedBytes,
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
  return { verified, failed: [], hashedBytes };
}

/** Most files a layout refusal lists. */
const MAX_REPORTED_LAYOUT_MISMATCHES = 100;

/**
 * Files whose signed ranges are not exactly `[k*shardSize, min((k+1)*shardSize, size))` for their size (an empty
 * file has none): counted from the signature and the declared sizes alone, without reading a byte.
 */
export function shardLayoutMismatches(
  signed: readonly { name: string }[],
  staged: readonly StagedFile[],
  shardSize: number,
): ResourceMismatch[] {
  const sizes = new Map(staged.map((f) => [f.path, f.size]));
  const counted = new Map<string, number>();
  const bad = new Set<string>();
  for (const r of signed) {
    const range = parseShardName(r.name);
    if (!range) continue; // not a shard name: compareResources reports it
    const size = sizes.get(range.path);
    if (size === undefined) continue; // a signed file not pushed: compareResources reports it
    const aligned = range.start % shardSize === 0 && range.end === Math.min(range.start + shardSize, size) && range.start < size;
    if (!aligned) bad.add(range.path);
    counted.set(range.path, (counted.get(range.path) ?? 0) + 1);
  }
  for (const [p, size] of sizes) if ((counted.get(p) ?? 0) !== Math.ceil(size / shardSize)) bad.add(p);
  // A file the signature names no range of is unsigned ('extra'); one named in other ranges differs ('digest').
  return [...bad].sort().map((name) => ({ kind: counted.has(name) ? ('digest' as const) : ('extra' as const), name }));
}

/**
 * The shard digests of `staged` named per path, hashing each distinct blob once (a manifest may list one blob
 * under many paths: hashing per path would multiply the work by the number of paths). `bytes` is what was read.
 */
export async function hashDistinctShards(
  staged: readonly StagedFile[],
  shardSize: number,
): Promise<{ resources: { name: string; digest: string }[]; bytes: number }> {
  const distinct = new Map<string, StagedFile>();
  for (const f of staged) if (!distinct.has(f.digest)) distinct.set(f.digest, f);
  const blobs = [...distinct.values()];
  // Named by digest (hex, no ':'), so each shard's name is `<digest>:<start>:<end>`.
  const hashed = await hashShards(
    blobs.map((f) => ({ name: f.digest, path: f.localPath, size: f.size })),
    shardSize,
  );
  const shardsOf = new Map<string, { range: string; digest: string }[]>();
  for (const h of hashed) {
    const split = h.name.indexOf(':');
    const blob = h.name.slice(0, split);
    shardsOf.set(blob, [...(shardsOf.get(blob) ?? []), { range: h.name.slice(split), digest: h.digest }]);
  }
  const resources = staged.flatMap((f) =>
    (shardsOf.get(f.digest) ?? []).map((s) => ({ name: `${f.path}${s.range}`, digest: s.digest })),
  );
  return { resources, bytes: blobs.reduce((n, f) => n + f.size, 0) };
}
