/** push / pull / check as library operations over RegistryClient (the CLI prints their results). */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type BundleVerifier,
  comparePosixPaths,
  compareResources,
  DEFAULT_SHARD_SIZE,
  hashFiles,
  hashModelDirectory,
  hashShards,
  isModelsecError,
  listModel,
  ModelsecError,
  modelMismatchError,
  parseShardName,
  type ResourceMismatch,
  readUnverifiedModelStatement,
  type Severity,
  severityRank,
  verifyModelBundle,
} from '@modelsec/core';
import semver from 'semver';
import type { Policy } from '../policy/policy.js';
import { effectivePolicy } from '../policy/policy.js';
import { verifiersFor } from '../verification/signature-adapter.js';
import { forEachConcurrent } from './concurrency.js';
import type { ModelRef, RegistryClient } from './registry-client.js';

export interface VersionInfo {
  namespace: string;
  model: string;
  version: string;
  rootDigest: string;
  bundleDigest: string;
  signer: { kind: string; identity?: string; issuer?: string; keyFingerprint?: string };
  signedAt: string | null;
  scan: { status: string; maxSeverity: Severity | null };
  publishedAt: string;
  yanked: boolean;
  yankReason: string | null;
  publicKey?: string;
  files?: { path: string; digest: string; size: number }[];
  attachments?: { kind: string; digest: string; predicateType: string | null }[];
  logIndex?: number;
}

/** Files uploaded at once: hides per-request latency for models of many small files (one big file gains nothing). */
export const PUSH_UPLOAD_CONCURRENCY = 4;
/** Blob existence checks (HEAD) in flight at once. */
export const PUSH_HEAD_CONCURRENCY = 8;

export interface PushOptions {
  signaturePath: string;
  publicKeyPem?: string;
  bomPath?: string;
  attestationPaths?: string[];
  /**
   * `verify`: hashing local files the registry already stores (to confirm they are the signed bytes);
   * `hash`: hashing every file (shards signatures only: their digests cover byte ranges, blobs are whole files);
   * `upload`: sending the others.
   */
  onProgress?: (event: { phase: 'hash' | 'verify' | 'upload'; done: number; total: number; file?: string }) => void;
}

/** Hex sha256 of each file, on the hashing workers, reporting progress under `phase`. */
async function hashLocalFiles(
  files: readonly { path: string; size: number }[],
  phase: 'hash' | 'verify',
  onProgress: PushOptions['onProgress'],
): Promise<string[]> {
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const digests = await hashFiles(
    files.map((f) => ({ path: f.path })),
    {
      onProgress: (n) => {
        done += n;
        onProgress?.({ phase, done, total });
      },
    },
  );
  return digests.map((d) => d.toString('hex'));
}

async function readSignature(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ModelsecError('FILE_NOT_FOUND', `cannot read the signature ${file}: sign the model first (modelsec sign)`, {
      details: { path: file },
      cause: error,
    });
  }
}

/**
 * Publishes a signed model directory. Every file is read once (files serialization): the digests to upload under come from the
 * signature (what the registry verifies against), so files the registry lacks are streamed without hashing them
 * first and the registry rejects bytes that do not hash to their signed digest; files it already stores are hashed
 * locally to confirm they are the signed bytes. Local files the signature does not cover, or signed files that are
 * missing, stop the push before any upload.
 */
export async function pushModel(
  client: RegistryClient,
  modelPath: string,
  ref: ModelRef,
  options: PushOptions,
): Promise<VersionInfo & { uploaded: number; deduplicated: number }> {
  if (!ref.version || semver.valid(ref.version) !== ref.version)
    throw new ModelsecError('REGISTRY_VERSION_INVALID', `push needs an exact semantic version, got '${ref.version ?? ''}'`);
  const info = await stat(modelPath).catch(() => undefined);
  if (!info) throw new ModelsecError('FILE_NOT_FOUND', `${modelPath} does not exist`);
  if (!info.isDirectory()) throw new ModelsecError('USAGE', `${modelPath}: push takes a model directory`);
  const signature = await readSignature(options.signaturePath);
  const claimed = readUnverifiedModelStatement(signature);
  const shards = claimed.method === 'shards';
  const listed = await listModel(modelPath, {
    signaturePath: options.signaturePath,
    ignorePaths: claimed.ignorePaths,
    allowSymlinks: claimed.allowSymlinks,
  });
  // Signed paths (a shards signature names byte ranges `path:start:end`; an empty file has none).
  const signedPaths = new Set(claimed.resources.map((r) => (shards ? (parseShardName(r.name)?.path ?? r.name) : r.name)));
  const mismatches: ResourceMismatch[] = [];
  for (const p of signedPaths) if (!listed.files.some((f) => f.name === p)) mismatches.push({ kind: 'missing', name: p });
  for (const f of listed.files)
    if (!signedPaths.has(f.name) && !(shards && f.size === 0)) mismatches.push({ kind: 'extra', name: f.name });
  if (mismatches.length > 0) throw modelMismatchError(mismatches);

  // Blobs are whole files named by their sha256: a files signature lists them; for a shards signature hash the
  // files here (the registry checks every shard against the signature).
  let digestOf: Map<string, string>;
  if (!shards) digestOf = new Map(claimed.resources.map((r) => [r.name, r.digest.toLowerCase()]));
  else {
    const whole = await hashLocalFiles(listed.files, 'hash', options.onProgress);
    digestOf = new Map(listed.files.map((f, i) => [f.name, whole[i] as string]));
  }
  const files = listed.files
    .map((f) => ({ path: f.name, absolute: f.path, digest: digestOf.get(f.name) as string, size: f.size }))
    .sort((a, b) => comparePosixPaths(a.path, b.path));

  // Files the registry already stores: confirm the local bytes are the signed ones (nothing is sent).
  const stored = new Set<string>();
  const digests = [...new Set(files.map((f) => f.digest))];
  await forEachConcurrent(digests, PUSH_HEAD_CONCURRENCY, async (digest) => {
    if (await client.hasBlob(ref.namespace, digest)) stored.add(digest);
  });
  // (Hashed just above for a shards signature: nothing left to confirm.)
  const toVerify = shards ? [] : files.filter((f) => stored.has(f.digest));
  if (toVerify.length > 0) {
    const actual = await hashLocalFiles(
      toVerify.map((f) => ({ path: f.absolute, size: f.size })),
      'verify',
      options.onProgress,
    );
    const changed = toVerify.flatMap((f, i): ResourceMismatch[] =>
      actual[i] === f.digest ? [] : [{ kind: 'digest', name: f.path, expected: f.digest, actual: actual[i] as string }],
    );
    if (changed.length > 0) throw modelMismatchError(changed);
  }

  // One upload per missing blob (files with the same bytes share it), several at once.
  const byDigest = new Map<string, (typeof files)[number]>();
  for (const f of files) if (!stored.has(f.digest) && !byDigest.has(f.digest)) byDigest.set(f.digest, f);
  const toUpload = [...byDigest.values()];
  const total = toUpload.reduce((n, f) => n + f.size, 0);
  let done = 0;
  await forEachConcurrent(toUpload, PUSH_UPLOAD_CONCURRENCY, async (f) => {
    try {
      await client.uploadBlobFile(ref.namespace, f.absolute, f.digest, f.size, (n) => {
        done += n;
        options.onProgress?.({ phase: 'upload', done, total, file: f.path });
      });
    } catch (error) {
      // The registry hashes what it receives: bytes that are not the signed ones are refused, named here by file.
      if (isModelsecError(error) && error.code === 'DIGEST_MISMATCH')
        throw modelMismatchError([{ kind: 'digest', name: f.path, expected: f.digest }]);
      throw error;
    }
  });
  const bundle = await client.uploadBytes(ref.namespace, signature);
  const mlbom = options.bomPath
    ? await client.uploadBytes(ref.namespace, await readAttachment(options.bomPath, 'ML-BOM'))
    : undefined;
  const attestations: string[] = [];
  for (const a of options.attestationPaths ?? [])
    attestations.push(await client.uploadBytes(ref.namespace, await readAttachment(a, 'attestation')));
  const manifest = {
    files: files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })),
    bundle,
    ...(options.publicKeyPem ? { publicKey: options.publicKeyPem } : {}),
    ...(mlbom ? { mlbom } : {}),
    ...(attestations.length ? { attestations } : {}),
  };
  const version = await client.json<VersionInfo>(
    'PUT',
    `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions/${ref.version}`,
    { json: manifest },
  );
  const uploaded = files.filter((f) => !stored.has(f.digest)).length;
  return { ...version, uploaded, deduplicated: files.length - uploaded };
}

async function readAttachment(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ModelsecError('FILE_NOT_FOUND', `cannot read the ${what} ${file}`, { details: { path: file }, cause: error });
  }
}

/** The version a ref names: exact, or the highest non-yanked one matching a range. */
export async function resolveVersion(client: RegistryClient, ref: ModelRef): Promise<VersionInfo> {
  if (ref.version && semver.valid(ref.version) === ref.version) {
    return client.json<VersionInfo>('GET', `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions/${ref.version}`);
  }
  const range = ref.version ?? '*';
  if (semver.validRange(range) === null)
    throw new ModelsecError('REGISTRY_VERSION_INVALID', `'${range}' is neither a version nor a semver range`);
  const { versions } = await client.json<{ versions: VersionInfo[] }>(
    'GET',
    `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions`,
  );
  const candidates = versions.filter((v) => !v.yanked && semver.satisfies(v.version, range));
  const best = semver.maxSatisfying(
    candidates.map((v) => v.version),
    range,
  );
  if (!best) throw new ModelsecError('NOT_FOUND', `no published version of ${ref.namespace}/${ref.model} matches '${range}'`);
  return client.json<VersionInfo>('GET', `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions/${best}`);
}

async function fetchText(client: RegistryClient, ns: string, digest: string): Promise<string> {
  const response = await client.downloadBlob(ns, digest);
  return response.text();
}

/** Verifies a version's bundle locally (never trusting the server's verdict) with the given verifiers. */
async function verifyBundleLocally(bundleText: string, verifiers: BundleVerifier[]) {
  const errors: string[] = [];
  for (const v of verifiers) {
    try {
      return { verified: await verifyModelBundle(bundleText, v), errors };
    } catch (error) {
      errors.push(isModelsecError(error) ? `${error.code}: ${error.message}` : String(error));
    }
  }
  return { verified: undefined, errors };
}

/** Pull writes a new directory, never into (or over) an existing path. */
async function refuseExistingOutput(outDir: string): Promise<void> {
  if (await stat(outDir).catch(() => undefined))
    throw new ModelsecError('FILE_WRITE_FAILED', `${outDir} exists already; pull writes a new directory`, {
      details: { path: outDir },
    });
}

export async function pullModel(
  client: RegistryClient,
  ref: ModelRef,
  outDir: string,
  options: { publicKeyPem?: string; policy?: Policy; trustedRootJson?: unknown } = {},
): Promise<VersionInfo> {
  const version = await resolveVersion(client, ref);
  const bundleText = await fetchText(client, ref.namespace, version.bundleDigest);
  // Without a local policy, the namespace policy's signers (when it names any) decide, as at push.
  let policy = options.policy;
  if (!policy)
    policy = (await client.json<{ policy: Policy | null }>('GET', `/v1/namespaces/${ref.namespace}/policy`)).policy ?? undefined;
  const verifiers = verifiersFor(effectivePolicy(policy).signers, options.publicKeyPem ?? version.publicKey, options);
  const { verified, errors } = await verifyBundleLocally(bundleText, verifiers);
  if (!verified)
    throw new ModelsecError(
      'SIGNATURE_INVALID',
      `the signature of ${ref.namespace}/${ref.model}@${version.version} does not verify: ${errors.join('; ') || 'no verifier'}`,
    );
  const files = version.files ?? [];
  const shards = verified.method === 'shards';
  // Per file, the listed digests must be the signed ones before anything is downloaded; a shards signature covers
  // byte ranges, checked on the downloaded bytes below.
  const mismatches = shards
    ? []
    : compareResources(
        verified.resources,
        files.map((f) => ({ name: f.path, digest: f.digest })),
      );
  if (mismatches.length)
    throw new ModelsecError('MODEL_MISMATCH', 'the registry lists files the signature does not cover', {
      details: { mismatches },
    });
  await refuseExistingOutput(outDir);
  const staging = path.join(
    path.dirname(path.resolve(outDir)),
    `.${path.basename(outDir)}.modelsec-${randomBytes(6).toString('hex')}`,
  );
  await mkdir(staging, { recursive: true });
  try {
    for (const f of files) {
      const target = path.join(staging, f.path);
      if (!target.startsWith(staging + path.sep)) throw new ModelsecError('REGISTRY_PATH_INVALID', `unsafe path ${f.path}`);
      await mkdir(path.dirname(target), { recursive: true });
      const response = await client.downloadBlob(ref.namespace, f.digest);
      // Hashed as it is written: one pass over the bytes.
      const hash = createHash('sha256');
      await pipeline(
        Readable.fromWeb(response.body as never),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(target),
      );
      const actual = hash.digest('hex');
      if (actual !== f.digest)
        throw new ModelsecError('DIGEST_MISMATCH', `${f.path}: downloaded bytes hash to ${actual}, expected ${f.digest}`, {
          details: { path: f.path, expected: f.digest, actual },
        });
    }
    if (shards) {
      const shardMismatches = compareResources(
        verified.resources,
        await hashShards(
          files.map((f) => ({ name: f.path, path: path.join(staging, f.path), size: f.size })),
          verified.shardSize ?? DEFAULT_SHARD_SIZE,
        ),
        { shards: true },
      );
      if (shardMismatches.length)
        throw new ModelsecError('MODEL_MISMATCH', 'the downloaded files do not match the shards the signature covers', {
          details: { mismatches: shardMismatches },
        });
    }
    await writeFile(path.join(staging, 'model.sig'), bundleText);
    await refuseExistingOutput(outDir); // again: something may have appeared while downloading
    await rename(staging, outDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return version;
}

/**
 * How to hash a local model so its root digest matches the published one: the way its own signature says (files,
 * or shards of the signed size), when it has one; else per file, the registry's default. Read unverified: it only
 * picks the hashing; the published version's signature is what gets verified.
 */
async function hashingOfLocalSignature(
  modelPath: string,
  signaturePath: string | undefined,
): Promise<{ signaturePath?: string; method?: 'files' | 'shards'; shardSize?: number }> {
  const file = signaturePath ?? path.join(modelPath, 'model.sig');
  const base = signaturePath ? { signaturePath } : {};
  const text = await readFile(file).catch(() => undefined);
  if (text === undefined) return base;
  try {
    const claimed = readUnverifiedModelStatement(text);
    return claimed.method === 'shards'
      ? { ...base, method: 'shards', ...(claimed.shardSize !== undefined ? { shardSize: claimed.shardSize } : {}) }
      : base;
  } catch {
    return base;
  }
}

export interface CheckResult {
  ok: boolean;
  rootDigest: string;
  version?: VersionInfo;
  reasons: string[];
}

/** The CI gate: is this exact local model a published version, signed by whom the policy trusts, scanned clean? */
export async function checkModel(
  client: RegistryClient,
  modelPath: string,
  options: {
    ref?: ModelRef;
    localPolicy?: Policy;
    publicKeyPem?: string;
    signaturePath?: string;
    /** Sigstore trusted_root.json (parsed) for Sigstore signers; default: public-good over TUF. */
    trustedRootJson?: unknown;
  } = {},
): Promise<CheckResult> {
  const digest = await hashModelDirectory(modelPath, await hashingOfLocalSignature(modelPath, options.signaturePath));
  const q = new URLSearchParams({ rootDigest: digest.rootDigest, includeYanked: 'true' });
  if (options.ref) {
    q.set('namespace', options.ref.namespace);
    q.set('model', options.ref.model);
  }
  const { versions } = await client.json<{ versions: VersionInfo[] }>('GET', `/v1/versions?${q}`);
  const range = options.ref?.version;
  const matching = versions.filter((v) => !range || semver.satisfies(v.version, range));
  const reasons: string[] = [];
  const candidate = matching.find((v) => !v.yanked) ?? matching[0];
  if (!candidate) {
    return {
      ok: false,
      rootDigest: digest.rootDigest,
      reasons: [
        `no published version${options.ref ? ` of ${options.ref.namespace}/${options.ref.model}${range ? `@${range}` : ''}` : ''} has this model's digest ${digest.rootDigest}`,
      ],
    };
  }
  if (candidate.yanked)
    reasons.push(`${candidate.namespace}/${candidate.model}@${candidate.version} was yanked: ${candidate.yankReason ?? ''}`);
  let policy = options.localPolicy;
  if (!policy) {
    const p = await client.json<{ policy: Policy | null }>('GET', `/v1/namespaces/${candidate.namespace}/policy`);
    policy = p.policy ?? undefined;
  }
  const effective = effectivePolicy(policy);
  const full = await client.json<VersionInfo>(
    'GET',
    `/v1/namespaces/${candidate.namespace}/models/${candidate.model}/versions/${candidate.version}`,
  );
  const bundleText = await fetchText(client, candidate.namespace, full.bundleDigest);
  const verifiers = verifiersFor(effective.signers, options.publicKeyPem ?? full.publicKey, options);
  const { verified, errors } = await verifyBundleLocally(bundleText, verifiers);
  if (!verified)
    reasons.push(
      `the signature does not verify against the ${options.localPolicy ? 'local' : 'namespace'} policy: ${errors.join('; ') || 'no verifier'}`,
    );
  else {
    const mismatches = compareResources(verified.resources, digest.resources, { shards: verified.method === 'shards' });
    for (const m of mismatches)
      reasons.push(
        `${m.name}: ${m.kind === 'digest' ? 'content differs from the signed digest' : m.kind === 'missing' ? 'signed but missing locally' : 'not covered by the signature'}`,
      );
  }
  const scan = full.scan;
  if (scan.status !== 'scanned' && effective.scan.required)
    reasons.push('the registry did not scan this version and the policy requires a scan');
  if (scan.maxSeverity && severityRank(scan.maxSeverity) > severityRank(effective.scan.maxSeverity))
    reasons.push(`scan findings at ${scan.maxSeverity}, above ${effective.scan.maxSeverity}`);
  if (effective.mlbomRequired && !(full.attachments ?? []).some((a) => a.kind === 'mlbom'))
    reasons.push('the policy requires an ML-BOM and this version has none');
  const types = new Set((full.attachments ?? []).filter((a) => a.kind === 'attestation').map((a) => a.predicateType));
  for (const t of effective.requiredAttestations)
    if (!types.has(t)) reasons.push(`a verified attestation of type ${t} is required`);
  return { ok: reasons.length === 0, rootDigest: digest.rootDigest, version: full, reasons };
}
