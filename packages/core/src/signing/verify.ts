import type { X509Certificate } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';
import { hashModelDirectory, type ModelResource, parseShardName } from '../hashing/model-hash.js';
import { type BundleJson, type ParsedBundle, parseBundle } from './bundle.js';
import { verifyPae } from './dsse.js';
import { keyHint, loadPublicKey } from './keys.js';
import { loadTrustedRoot, matchIdentity, verifySigstoreBundle } from './sigstore.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  interpretModelStatement,
  LEGACY_DIGESTS_PREDICATE,
  MODEL_SIGNATURE_PREDICATE,
  parseStatement,
  type SignedModel,
} from './statement.js';
import { parseCertificatesPem, verifyCertificateChain } from './x509.js';

/** Who must have signed, and how to check it. */
export type BundleVerifier =
  | { kind: 'key'; publicKeyPem: string }
  | {
      kind: 'certificate';
      rootCertificatesPem: string[];
      /**
       * The trusted time of signing at which the chain must be valid: a time the caller verified (the integrated time
       * of a transparency log entry it checked, a verified RFC 3161 timestamp). Default: now. Never the leaf's own
       * notBefore, which whoever made the certificate chose.
       */
      signingTime?: Date;
    }
  | {
      kind: 'sigstore';
      /** Exact certificate identity (SAN: e-mail or URI). */
      identity?: string;
      /** Alternative to `identity`: a pattern that must match the WHOLE identity (anchored). */
      identityRegexp?: string;
      /** Exact OIDC issuer. */
      issuer: string;
      /** Parsed trusted_root.json for offline verification; without it the root is fetched over TUF. */
      trustedRootJson?: unknown;
      useStaging?: boolean;
    };

/** The verified signer. */
export interface VerifiedSigner {
  kind: 'key' | 'certificate' | 'sigstore';
  /** key: lowercase hex SHA-256 of the SPKI PEM (the bundle `publicKey.hint`). */
  keyFingerprint?: string;
  /** sigstore: certificate SAN; certificate: leaf subject. */
  identity?: string;
  /** sigstore: OIDC issuer. */
  issuer?: string;
  /** certificate: subject of the trusted root the chain reached. */
  certificateRoots?: string[];
  /** certificate / sigstore: SHA-256 fingerprint of the signing certificate. */
  certificateFingerprint?: string;
}

export interface VerifiedStatement {
  statement: InTotoStatement;
  signer: VerifiedSigner;
  /** ISO time of signing when it is trusted: the Sigstore tlog integrated time, or the certificate verifier's signingTime. */
  signedAt?: string;
  /** `legacy` for model_signing v0.2 bundles (broken PAE, verified for compatibility). */
  paeForm: 'standard' | 'legacy';
  bundleMediaType: string;
}

export interface VerifiedModelBundle extends SignedModel {
  signer: VerifiedSigner;
  signedAt?: string;
  paeForm: 'standard' | 'legacy';
  bundleMediaType: string;
}

function toJson(input: string | Buffer | BundleJson): BundleJson {
  return parseBundle(input).json;
}

function certificatesOf(parsed: ParsedBundle): X509Certificate[] {
  if (parsed.material.kind === 'x509CertificateChain') return parsed.material.certificates;
  if (parsed.material.kind === 'certificate') return [parsed.material.certificate];
  throw new ModelsecError('SIGNING_BUNDLE_INVALID', 'the bundle carries a public key, not a certificate: verify it with a key', {
    details: { field: 'verificationMaterial' },
  });
}

/**
 * Verifies the signature of any DSSE in-toto bundle (model signature or attestation) with the given verifier:
 * key (hint/rawBytes must match, curve-matched hash), certificate (an RFC 5280 path to the given roots, valid at
 * the verifier's trusted signingTime or now, code-signing EKU; see x509.ts), or sigstore (full Sigstore verification, then an exact identity+issuer match).
 * Throws a ModelsecError with a distinct code for each failed check. Needs no model files.
 */
export async function verifyStatementBundle(
  input: string | Buffer | BundleJson,
  verifier: BundleVerifier,
): Promise<VerifiedStatement> {
  const parsed = parseBundle(input);
  if (parsed.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new ModelsecError('SIGNING_BUNDLE_INVALID', `payloadType '${parsed.payloadType}' is not ${IN_TOTO_PAYLOAD_TYPE}`, {
      details: { field: 'dsseEnvelope.payloadType' },
    });
  }
  let signer: VerifiedSigner;
  let signedAt: string | undefined;
  let paeForm: 'standard' | 'legacy' = 'standard';
  if (verifier.kind === 'key') {
    const key = loadPublicKey(verifier.publicKeyPem);
    if (parsed.material.kind !== 'publicKey') {
      throw new ModelsecError('SIGNING_BUNDLE_INVALID', 'the bundle is not signed with a plain key (it carries certificates)', {
        details: { field: 'verificationMaterial' },
      });
    }
    const hint = keyHint(key);
    const spki = key.export({ type: 'spki', format: 'der' });
    if (parsed.material.hint && parsed.material.hint.toLowerCase() !== hint) {
      throw new ModelsecError('SIGNING_KEY_MISMATCH', 'the bundle names a different public key (hint)', {
        details: { bundleHint: parsed.material.hint, keyHint: hint },
      });
    }
    // Before v1.1 the reference put the SPKI PEM text (not DER) in rawBytes; accept either, compared by key.
    const raw = parsed.material.rawBytes;
    const rawMatches = (bytes: Buffer): boolean => {
      if (bytes.equals(spki)) return true;
      try {
        return loadPublicKey(bytes).export({ type: 'spki', format: 'der' }).equals(spki);
      } catch {
        return false;
      }
    };
    if (raw && !rawMatches(raw)) {
      throw new ModelsecError('SIGNING_KEY_MISMATCH', 'the bundle carries a different public key (rawBytes)', {
        details: { keyHint: hint },
      });
    }
    paeForm = verifyPae(parsed.payloadType, parsed.payload, parsed.signature, key);
    signer = { kind: 'key', keyFingerprint: hint };
  } else if (verifier.kind === 'certificate') {
    const certs = certificatesOf(parsed);
    const roots = verifier.rootCertificatesPem.flatMap((pem, i) => parseCertificatesPem(pem, `root certificate ${i + 1}`));
    if (roots.length === 0)
      throw new ModelsecError('USAGE', 'certificate verification needs at least one trusted root certificate');
    const leaf = certs[0]!;
    const at = verifier.signingTime ?? new Date();
    const chain = verifyCertificateChain(leaf, certs.slice(1), roots, at);
    // model_signing v0.2's broken PAE is accepted only for the legacy predicate it produced.
    const legacy = parseStatement(parsed.payload).predicateType === LEGACY_DIGESTS_PREDICATE;
    paeForm = verifyPae(parsed.payloadType, parsed.payload, parsed.signature, leaf.publicKey, { legacy });
    signer = {
      kind: 'certificate',
      identity: leaf.subject,
      certificateRoots: [chain[chain.length - 1]!.subject],
      certificateFingerprint: leaf.fingerprint256,
    };
    if (verifier.signingTime) signedAt = verifier.signingTime.toISOString();
  } else {
    if (verifier.identity === undefined && verifier.identityRegexp === undefined) {
      throw new ModelsecError('USAGE', 'sigstore verification needs --identity (exact) or --identity-regexp (anchored)');
    }
    const leaf = certificatesOf(parsed)[0]!;
    const trustedRoot = await loadTrustedRoot({
      ...(verifier.trustedRootJson !== undefined ? { trustedRootJson: verifier.trustedRootJson } : {}),
      ...(verifier.useStaging ? { useStaging: true } : {}),
    });
    const found = await verifySigstoreBundle(parsed.json, trustedRoot);
    matchIdentity(found, {
      issuer: verifier.issuer,
      ...(verifier.identity !== undefined ? { identity: verifier.identity } : {}),
      ...(verifier.identityRegexp !== undefined ? { identityRegexp: verifier.identityRegexp } : {}),
    });
    signer = {
      kind: 'sigstore',
      identity: found.subjectAlternativeName,
      issuer: found.issuer,
      certificateFingerprint: leaf.fingerprint256,
    };
    const entries =
      (parsed.json.verificationMaterial as { tlogEntries?: { integratedTime?: string | number }[] }).tlogEntries ?? [];
    const integrated = Number(entries[0]?.integratedTime ?? 0);
    signedAt = integrated > 0 ? new Date(integrated * 1000).toISOString() : new Date(leaf.validFrom).toISOString();
  }
  return {
    statement: parseStatement(parsed.payload),
    signer,
    ...(signedAt ? { signedAt } : {}),
    paeForm,
    bundleMediaType: parsed.mediaType,
  };
}

/**
 * Verifies an OMS model signature bundle WITHOUT the model files: signature, signer, statement shape, resource
 * names and root digest. Returns what was signed (resources, root digest, serialization) and by whom.
 * Compare the result against files with `compareResources` (or use `verifyModel` for a directory on disk).
 */
export async function verifyModelBundle(
  input: string | Buffer | BundleJson,
  verifier: BundleVerifier,
): Promise<VerifiedModelBundle> {
  // The predicate type is checked before the signature, so a statement that is not a model signature at all
  // is reported as such (it fails either way: nothing unverified is returned).
  const parsed = parseBundle(input);
  const predicateType = parseStatement(parsed.payload).predicateType;
  if (predicateType !== MODEL_SIGNATURE_PREDICATE && predicateType !== LEGACY_DIGESTS_PREDICATE) {
    throw new ModelsecError('SIGNING_PREDICATE_UNSUPPORTED', `predicate type '${predicateType}' is not a model signature`, {
      details: { predicateType },
    });
  }
  const verified = await verifyStatementBundle(parsed.json, verifier);
  const model = interpretModelStatement(verified.statement);
  return {
    ...model,
    signer: verified.signer,
    ...(verified.signedAt ? { signedAt: verified.signedAt } : {}),
    paeForm: verified.paeForm,
    bundleMediaType: verified.bundleMediaType,
  };
}

export interface ResourceMismatch {
  kind: 'missing' | 'extra' | 'digest';
  name: string;
  expected?: string;
  actual?: string;
}

function pathOf(name: string, shards: boolean): string {
  return shards ? (parseShardName(name)?.path ?? name) : name;
}

/**
 * Compares signed resources with the actual ones (same method): signed but absent = missing, present but
 * unsigned = extra (dropped with `ignoreUnsigned` when the whole file is unsigned), different digest = digest.
 * Sorted by name, then kind.
 */
export function compareResources(
  signed: readonly Pick<ModelResource, 'name' | 'digest'>[],
  actual: readonly Pick<ModelResource, 'name' | 'digest'>[],
  options: { ignoreUnsigned?: boolean; shards?: boolean } = {},
): ResourceMismatch[] {
  const shards = options.shards ?? false;
  if (shards) return compareShardedResources(signed, actual, options.ignoreUnsigned ?? false);
  const want = new Map(signed.map((r) => [r.name, r.digest.toLowerCase()]));
  const have = new Map(actual.map((r) => [r.name, r.digest.toLowerCase()]));
  const signedPaths = new Set(signed.map((r) => pathOf(r.name, shards)));
  const out: ResourceMismatch[] = [];
  for (const [name, digest] of want) {
    const got = have.get(name);
    if (got === undefined) out.push({ kind: 'missing', name, expected: digest });
    else if (got !== digest) out.push({ kind: 'digest', name, expected: digest, actual: got });
  }
  for (const [name, digest] of have) {
    if (want.has(name)) continue;
    if (options.ignoreUnsigned && !signedPaths.has(pathOf(name, shards))) continue;
    out.push({ kind: 'extra', name, actual: digest });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.kind.localeCompare(b.kind)));
}

/** Shards compared per file: a file whose shards differ in any way (content or size) is one `digest` mismatch. */
function compareShardedResources(
  signed: readonly Pick<ModelResource, 'name' | 'digest'>[],
  actual: readonly Pick<ModelResource, 'name' | 'digest'>[],
  ignoreUnsigned: boolean,
): ResourceMismatch[] {
  const group = (list: readonly Pick<ModelResource, 'name' | 'digest'>[]) => {
    const byPath = new Map<string, string[]>();
    for (const r of list) {
      const p = pathOf(r.name, true);
      byPath.set(p, [...(byPath.get(p) ?? []), `${r.name}=${r.digest.toLowerCase()}`]);
    }
    for (const v of byPath.values()) v.sort();
    return byPath;
  };
  const want = group(signed);
  const have = group(actual);
  const out: ResourceMismatch[] = [];
  for (const [p, shards] of want) {
    const got = have.get(p);
    if (!got) out.push({ kind: 'missing', name: p });
    else if (got.join('\n') !== shards.join('\n'))
      out.push({ kind: 'digest', name: p, expected: shards.join(' '), actual: got.join(' ') });
  }
  if (!ignoreUnsigned) for (const p of have.keys()) if (!want.has(p)) out.push({ kind: 'extra', name: p });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.kind.localeCompare(b.kind)));
}

export interface VerifyModelOptions {
  /** Extra paths to ignore (relative to the model); those the signer recorded are ignored too. */
  ignorePaths?: readonly string[];
  ignoreGitPaths?: boolean;
  ignoreUnsignedFiles?: boolean;
  /** Where the signature lives (ignored when hashing); default `<model>/model.sig`. */
  signaturePath?: string;
  allowSymlinks?: boolean;
  /** verify --changed-since: digests of a verified earlier signature for unchanged files (reuse.ts). */
  reuse?: import('../hashing/model-hash.js').ReuseDigests;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

const MISMATCH_CODE = {
  missing: 'SIGNING_FILE_MISSING',
  extra: 'SIGNING_FILE_EXTRA',
  digest: 'SIGNING_DIGEST_MISMATCH',
} as const;

/**
 * The error for a model that does not match its signature: SIGNING_FILE_MISSING / SIGNING_FILE_EXTRA /
 * SIGNING_DIGEST_MISMATCH by the first mismatch, every mismatch in `details.mismatches`.
 */
export function modelMismatchError(mismatches: readonly ResourceMismatch[]): ModelsecError {
  const first = mismatches[0] as ResourceMismatch;
  const describe = (m: ResourceMismatch) =>
    m.kind === 'missing'
      ? `${m.name} is signed but missing`
      : m.kind === 'extra'
        ? `${m.name} is not signed`
        : `${m.name} differs from the signed digest`;
  return new ModelsecError(
    MISMATCH_CODE[first.kind],
    `model does not match its signature: ${mismatches.slice(0, 5).map(describe).join('; ')}${mismatches.length > 5 ? ` (+${mismatches.length - 5} more)` : ''}`,
    { details: { mismatches: [...mismatches] } },
  );
}

/**
 * Verifies a model on disk against its signature bundle: the bundle (as `verifyModelBundle`), then the files,
 * hashed the way the signer did. Throws SIGNING_FILE_MISSING / SIGNING_FILE_EXTRA / SIGNING_DIGEST_MISMATCH
 * (by the first mismatch, all of them in `details.mismatches`).
 */
export async function verifyModel(
  modelPath: string,
  input: string | Buffer | BundleJson,
  verifier: BundleVerifier,
  options: VerifyModelOptions = {},
): Promise<VerifiedModelBundle> {
  const signed = await verifyModelBundle(toJson(input), verifier);
  const actual = await hashModelDirectory(modelPath, {
    method: signed.method,
    ...(signed.shardSize !== undefined ? { shardSize: signed.shardSize } : {}),
    ignorePaths: [...signed.ignorePaths, ...(options.ignorePaths ?? [])],
    // Only what the signer recorded (plus the caller's own ignores): no git-path default (consistent with check).
    ignoreGitPaths: options.ignoreGitPaths ?? false,
    allowSymlinks: options.allowSymlinks ?? signed.allowSymlinks,
    ...(options.signaturePath ? { signaturePath: options.signaturePath } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.reuse ? { reuse: options.reuse } : {}),
  });
  let resources = actual.resources;
  // A single-file model: the reference names its resource '.', the spec its base name. Accept both.
  if (resources.length > 0 && resources.every((r) => pathOf(r.name, signed.method === 'shards') === '.')) {
    const base = actual.subjectName;
    const signedUsesBase = signed.resources.some((r) => pathOf(r.name, signed.method === 'shards') === base);
    if (signedUsesBase) resources = resources.map((r) => ({ ...r, name: base + r.name.slice(1) }));
  }
  const mismatches = compareResources(signed.resources, resources, {
    ignoreUnsigned: options.ignoreUnsignedFiles ?? false,
    shards: signed.method === 'shards',
  });
  if (mismatches.length > 0) throw modelMismatchError(mismatches);
  return signed;
}
