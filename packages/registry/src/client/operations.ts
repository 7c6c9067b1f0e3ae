/** push / pull / check as library operations over RegistryClient (the CLI prints their results). */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isModelsecError, ModelsecError } from '@modelsec/core/errors';
import { MLBOM_PREDICATE_TYPE, SCAN_PREDICATE_TYPE } from '@modelsec/core/evidence';
import { hashFiles } from '@modelsec/core/hashing';
import type { Severity } from '@modelsec/core/scan';
import {
  assertSubjectIsModel,
  attestationNamePattern,
  attestationPathFor,
  comparePosixPaths,
  compareResources,
  DEFAULT_SHARD_SIZE,
  DEFAULT_SIGNATURE_NAME,
  hashShards,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  listModel,
  modelMismatchError,
  parseBundle,
  parseShardName,
  type ResourceMismatch,
  readUnverifiedModelStatement,
  type SignedModel,
  type VerifiedModelBundle,
} from '@modelsec/core/signing';
import type { LoggedScan, LoggedSigner, OpenEntry } from '@modelsec/core/tlog';
import { stableJson } from '@modelsec/core/util';
import semver from 'semver';
import { assertSafeNames } from '../resource-names.js';
import { forEachConcurrent } from './concurrency.js';
import { type Expectation, type LocalModelEvidence, parsePublishEntry } from './evidence.js';
import {
  type Candidate,
  type ClientTrustOptions,
  candidatesFor,
  gatherEvidence,
  type OpenedLog,
  openVerifiedLog,
  rankCandidates,
} from './gather.js';
import { type LocalPolicy, parseExpectation, versionMatches } from './local-policy.js';
import type { ModelRef, RegistryClient } from './registry-client.js';
import {
  createDirectories,
  createStaging,
  discardStaging,
  publishStaging,
  refuseExistingOutput,
  writeNewFile,
} from './safe-write.js';
import { buildTlogProof, type TlogProofFile, tlogPathFor } from './tlog-file.js';
import { type FailedCheck, type GateReport, verifyEvidence } from './verifier.js';

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
  /**
   * Attestation bundles to attach besides the ones found beside the signature (`model.<type>.att.sig`, attached
   * unless `autoAttestations` is false). Each must be about exactly the model pushed (ATTESTATION_SUBJECT_MISMATCH).
   */
  attestationPaths?: string[];
  /** Attach the attestation files beside the signature (default true). */
  autoAttestations?: boolean;
  /**
   * Re-publish content whose root digest a yank of the namespace names (namespace admin token; the registry audits
   * it and marks the log entry `yankOverride`; clients still report the content as yanked).
   */
  overrideYank?: boolean;
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
): Promise<
  VersionInfo & {
    uploaded: number;
    deduplicated: number;
    /** What was sent: the bundle bytes and the manifest files (to confirm against the log: confirmPushInLog). */
    pushed: {
      signature: Buffer;
      files: { path: string; digest: string; size: number }[];
      /** Digests of the attestations sent (the log entry must list each). */
      attestations: string[];
    };
    /** The attestation files sent, as given or found beside the signature. */
    attestationFiles: string[];
  }
> {
  if (!ref.version || semver.valid(ref.version) !== ref.version)
    throw new ModelsecError('REGISTRY_VERSION_INVALID', `push needs an exact semantic version, got '${ref.version ?? ''}'`);
  const info = await stat(modelPath).catch(() => undefined);
  if (!info) throw new ModelsecError('FILE_NOT_FOUND', `${modelPath} does not exist`);
  if (!info.isDirectory())
    throw new ModelsecError(
      'USAGE',
      `${modelPath}: push takes a model directory (put the file in a directory and sign that); a single signed file is checked with check --offline`,
      { details: { path: modelPath } },
    );
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
  // Attestations: read and checked before anything is uploaded.
  const attestationFiles = await attestationFilesFor(options);
  const attestationBytes: Buffer[] = [];
  for (const file of attestationFiles) {
    const bytes = await readAttachment(file, 'attestation');
    assertAttestationOf(bytes, claimed, file);
    attestationBytes.push(bytes);
  }

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
  for (const bytes of attestationBytes) attestations.push(await client.uploadBytes(ref.namespace, bytes));
  const manifest = {
    files: files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })),
    bundle,
    ...(options.publicKeyPem ? { publicKey: options.publicKeyPem } : {}),
    ...(mlbom ? { mlbom } : {}),
    ...(attestations.length ? { attestations } : {}),
  };
  const version = await client.json<VersionInfo>(
    'PUT',
    `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions/${ref.version}${options.overrideYank ? '?overrideYank=true' : ''}`,
    { json: manifest },
  );
  const uploaded = files.filter((f) => !stored.has(f.digest)).length;
  return {
    ...version,
    uploaded,
    deduplicated: files.length - uploaded,
    pushed: { signature, files: manifest.files, attestations },
    attestationFiles,
  };
}

/** Most attestation files one push attaches (the client gate reads at most MAX_EVIDENCE_ATTESTATIONS per version). */
export const MAX_PUSH_ATTESTATIONS = 32;
/** Largest attestation file push sends (the client gate reads at most MAX_EVIDENCE_BLOB_BYTES of one). */
export const MAX_PUSH_ATTESTATION_BYTES = 64 * 1024 * 1024;

/** The attestation files of a push: the given ones, then those beside the signature; each once, in name order. */
async function attestationFilesFor(options: PushOptions): Promise<string[]> {
  const files = (options.attestationPaths ?? []).map((f) => path.resolve(f));
  if (options.autoAttestations !== false) {
    const dir = path.dirname(options.signaturePath);
    const pattern = attestationNamePattern(path.basename(options.signaturePath));
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => pattern.test(n)).sort();
    for (const n of names) {
      const file = path.join(dir, n);
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile()) files.push(file);
    }
  }
  const unique = [...new Set(files)];
  if (unique.length > MAX_PUSH_ATTESTATIONS)
    throw new ModelsecError(
      'LIMIT_EXCEEDED',
      `more than ${MAX_PUSH_ATTESTATIONS} attestations to attach (MAX_PUSH_ATTESTATIONS)`,
      {
        details: { limit: MAX_PUSH_ATTESTATIONS, count: unique.length },
      },
    );
  for (const f of unique) {
    const info = await stat(f).catch(() => undefined);
    if (info && info.size > MAX_PUSH_ATTESTATION_BYTES)
      throw new ModelsecError(
        'LIMIT_EXCEEDED',
        `${f} is larger than ${MAX_PUSH_ATTESTATION_BYTES} bytes (MAX_PUSH_ATTESTATION_BYTES)`,
        {
          details: { path: f, limit: MAX_PUSH_ATTESTATION_BYTES },
        },
      );
  }
  return unique;
}

/**
 * Refuses an attestation that is not about exactly the file set the pushed signature signs (one subject: its
 * manifest digest, with its root digest beside it): an attestation of another model, of an older signature of this
 * one, or listing several subjects would be sent as evidence the gate then refuses, or worse, read as this model's.
 * Its signature is verified by the registry and by every gate against their own trust; here only what it is about.
 */
function assertAttestationOf(bytes: Buffer, model: SignedModel, file: string): void {
  let statement: InTotoStatement;
  try {
    const { payloadType, payload } = parseBundle(bytes);
    if (payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new Error(`payload type ${payloadType} is not in-toto`);
    statement = JSON.parse(payload.toString('utf8')) as InTotoStatement;
    if (!Array.isArray(statement?.subject)) throw new Error('no subject list');
  } catch (cause) {
    throw new ModelsecError('ATTESTATION_SUBJECT_MISMATCH', `${file} is not an attestation bundle (DSSE in-toto statement)`, {
      cause,
      details: { path: file },
    });
  }
  try {
    assertSubjectIsModel(statement, model);
  } catch (error) {
    if (!isModelsecError(error)) throw error;
    throw new ModelsecError(
      'ATTESTATION_SUBJECT_MISMATCH',
      `${file}: ${error.message}; re-run the attestation (scan --attest, bom --attest) after signing, or remove the file`,
      { cause: error, details: { path: file, ...error.details } },
    );
  }
}

async function readAttachment(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ModelsecError('FILE_NOT_FOUND', `cannot read the ${what} ${file}`, { details: { path: file }, cause: error });
  }
}

/** Downloads in flight at once during pull. */
export const PULL_DOWNLOAD_CONCURRENCY = 4;

/** What check and pull trust and accept. */
export interface ClientGateOptions extends ClientTrustOptions {
  /** Accept a yanked version (it is still reported). */
  allowYanked?: boolean;
}

export interface CheckOptions extends ClientGateOptions {
  /** The models this check may accept (`--name`, or the local policy's `models`). */
  expectations?: Expectation[];
  /** The local signature file: never compared, and how the model is hashed when it uses shards. */
  signaturePath?: string;
  /** Paths (relative to the model, POSIX) the user explicitly ignores. */
  ignore?: string[];
  onProgress?: (done: number, total: number) => void;
}

export interface ClientReport extends GateReport {
  /** How the log key was trusted on this run. */
  keyTrust: OpenedLog['keyTrust'];
}

/** Largest /v1/log/lookup answer read (an index and a flag). */
const MAX_LOOKUP_ANSWER_BYTES = 4096;

/**
 * Why no version was found, when the registry is withholding it: the registry's own lookup (untrusted, used only to
 * explain) names a sealed leaf of the verified log for an exact expected version, and gave this reader no opening of
 * it. A sealed entry can be verified only through its opening, so the version cannot pass; it is refused as
 * LOG_OPENING_WITHHELD (a registry that withholds can make a version fail, never pass).
 */
async function withheldOpening(
  client: RegistryClient,
  mirror: OpenedLog['mirror'],
  expectations: readonly Expectation[],
): Promise<FailedCheck | undefined> {
  for (const e of expectations) {
    if (e.model === '*' || e.range === undefined || semver.valid(e.range) !== e.range) continue;
    const q = new URLSearchParams({ namespace: e.namespace, model: e.model, version: e.range });
    let index: unknown;
    try {
      const r = await client.getBytes(`/v1/log/lookup?${q}`, MAX_LOOKUP_ANSWER_BYTES);
      if (r.status !== 200) continue;
      index = (JSON.parse(Buffer.from(r.bytes).toString('utf8')) as { index?: unknown }).index;
    } catch (error) {
      if (isModelsecError(error) && error.code === 'UNAUTHENTICATED') throw error;
      continue;
    }
    if (typeof index === 'number' && (await mirror.isUnopenedSealed(index)))
      return {
        rule: 'entry',
        code: 'LOG_OPENING_WITHHELD',
        message: `the registry says ${e.namespace}/${e.model}@${e.range} is log entry ${index}, a sealed entry of the verified log, but gave this token no opening of it: a sealed entry is verified only through its opening, so the version cannot be verified (use a token that reads ${e.namespace}; if it does, the registry is withholding the entry)`,
      };
  }
  return undefined;
}

/** Why older entries of the model did not count (they lack what the gate decides on). */
function notReadable(indices: readonly number[]): string {
  if (indices.length === 0) return '';
  return `; ${indices.length} publish entr${indices.length === 1 ? 'y' : 'ies'} of it (log index ${indices.slice(0, 5).join(', ')}) cannot be verified: written before log format v2 (no file sizes, no scan verdict) or malformed; re-publish to gate on them`;
}

function expectationsOf(options: { expectations?: Expectation[]; localPolicy?: LocalPolicy }): Expectation[] {
  if (options.expectations?.length) return options.expectations;
  const fromPolicy = (options.localPolicy?.models ?? []).map((m) => parseExpectation(m, 'local policy models'));
  if (fromPolicy.length) return fromPolicy;
  throw new ModelsecError(
    'CLIENT_MODEL_UNSPECIFIED',
    'check needs the model it expects: --name NS/NAME[@RANGE], or a local policy (--policy) listing "models": a model of another namespace must never satisfy the gate',
  );
}

/** Lists every file of a local model (git paths and attestation files included), noting a symbolic link. */
export async function listLocal(root: string, signaturePath: string) {
  const base = { signaturePath, ignoreGitPaths: false, keepAttestationFiles: true } as const;
  try {
    return { listed: await listModel(root, { ...base, allowSymlinks: false }), symlink: undefined };
  } catch (error) {
    if (!isModelsecError(error) || error.code !== 'SIGNING_SYMLINK_REFUSED') throw error;
    return { listed: await listModel(root, { ...base, allowSymlinks: true }), symlink: String(error.details?.path ?? '') };
  }
}

export function toPosixRelative(root: string, p: string): string | undefined {
  const rel = path.relative(root, path.resolve(root, p));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/**
 * The CI gate: is this exact local model a version of an expected model, published in the verified log, signed by a
 * locally trusted signer, not yanked, scanned clean, with the attestations and ML-BOM the policy requires? Returns
 * every failed rule (verifier.ts); throws only when the question cannot be asked (usage, network, log trust).
 */
export async function checkModel(client: RegistryClient, modelPath: string, options: CheckOptions): Promise<ClientReport> {
  const expectations = expectationsOf(options);
  const root = path.resolve(modelPath);
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new ModelsecError('FILE_NOT_FOUND', `${modelPath} does not exist`, { details: { path: modelPath } });
  if (!info.isDirectory())
    throw new ModelsecError(
      'USAGE',
      `${modelPath}: check against a registry takes a model directory (the registry publishes directories); a single signed file is checked with --offline`,
      { details: { path: modelPath } },
    );
  const signaturePath = path.resolve(options.signaturePath ?? path.join(root, DEFAULT_SIGNATURE_NAME));
  const { listed, symlink } = await listLocal(root, signaturePath);
  const local = new Map(listed.files.map((f) => [f.name, f]));

  const opened = await openVerifiedLog(client, [...new Set(expectations.map((e) => e.namespace))].sort(), options);
  const unreadable: number[] = [];
  const candidates = await candidatesFor(opened.mirror, expectations, unreadable);
  // Candidates whose logged files are all here with their logged sizes; hash those paths once to pick the one.
  const plausible = candidates.filter((c) => c.entry.files.every((f) => local.get(f.path)?.size === f.size));
  const toHash = new Set<string>();
  for (const c of plausible) for (const f of c.entry.files) toHash.add(f.path);
  for (const name of local.keys()) if (!name.includes('/') && name.endsWith('.att.sig')) toHash.add(name);
  const sha = new Map<string, string>();
  const hashLocal = async (paths: readonly string[]) => {
    const list = paths.filter((p) => local.has(p) && !sha.has(p)).sort();
    const total = list.reduce((n, p) => n + (local.get(p)?.size ?? 0), 0);
    let done = 0;
    const digests = await hashFiles(
      list.map((p) => ({ path: (local.get(p) as { path: string }).path })),
      {
        onProgress: (n) => {
          done += n;
          options.onProgress?.(done, total);
        },
      },
    );
    for (const [i, p] of list.entries()) sha.set(p, (digests[i] as Buffer).toString('hex'));
  };
  await hashLocal([...toHash]);
  const matching = plausible.filter((c) => c.entry.files.every((f) => sha.get(f.path) === f.digest));
  // No exact match: compare with the closest version (most files equal by path and size) so the gate names what differs.
  const closeness = (c: Candidate) => c.entry.files.filter((f) => local.get(f.path)?.size === f.size).length;
  const pool = matching.length ? matching : plausible.length ? plausible : candidates;
  const best = Math.max(0, ...pool.map(closeness));
  const chosen = rankCandidates(pool.filter((c) => closeness(c) === best))[0];
  if (chosen) await hashLocal(chosen.entry.files.map((f) => f.path));
  const what = expectations.map((e) => `${e.namespace}/${e.model}${e.range ? `@${e.range}` : ''}`).join(', ');
  if (!chosen) {
    const withheld = await withheldOpening(client, opened.mirror, expectations);
    return {
      ok: false,
      failed: [
        withheld ?? {
          rule: 'entry',
          code: 'EVIDENCE_NOT_LOGGED',
          message: `no published version of ${what} is in the verified transparency log (checkpoint size ${opened.mirror.size})${notReadable(unreadable)}`,
        },
      ],
      warnings: [],
      policySource: opened.trust.localPolicy ? 'local' : 'default',
      keyTrust: opened.keyTrust,
    };
  }
  const localEvidence: LocalModelEvidence = {
    files: listed.files.map((f) => ({
      path: f.name,
      size: f.size,
      ...(sha.has(f.name) ? { sha256: sha.get(f.name) as string } : {}),
    })),
    ignore: (options.ignore ?? []).map((p) => toPosixRelative(root, p)).filter((p): p is string => p !== undefined),
    ...(toPosixRelative(root, signaturePath) ? { signaturePath: toPosixRelative(root, signaturePath) as string } : {}),
    ...(symlink ? { symlink } : {}),
  };
  const evidence = await gatherEvidence(client, opened.mirror, chosen, localEvidence);
  // A shards signature: hash the local files in the shard size it names (read unverified: only how to hash; the
  // gate compares with the verified resources).
  if (evidence.bundle) {
    let claimed: ReturnType<typeof readUnverifiedModelStatement> | undefined;
    try {
      claimed = readUnverifiedModelStatement(Buffer.from(evidence.bundle));
    } catch {
      claimed = undefined;
    }
    if (claimed?.method === 'shards') {
      const shardSize = claimed.shardSize ?? DEFAULT_SHARD_SIZE;
      const signed = chosen.entry.files.filter((f) => local.has(f.path));
      // The shard size is read before anything verified: hash in it only when the shards it gives are no more than
      // the statement lists (a 1-byte or 0-byte shard size would make the client hold a digest per byte, or never
      // end). Otherwise no local shard is computed and the gate finds every signed shard differing.
      const sizeOf = (p: string) => (local.get(p) as { size: number }).size;
      const shardCount = signed.reduce((n, f) => n + Math.ceil(sizeOf(f.path) / shardSize), 0);
      localEvidence.shards =
        Number.isSafeInteger(shardSize) && shardSize > 0 && shardCount <= claimed.resources.length
          ? await hashShards(
              signed.map((f) => ({ name: f.path, path: (local.get(f.path) as { path: string }).path, size: sizeOf(f.path) })),
              shardSize,
            )
          : [];
      localEvidence.shardSize = shardSize;
    }
  }
  const report = await verifyEvidence(evidence, opened.trust, {
    now: options.now ?? new Date(),
    ...(options.allowYanked ? { allowYanked: true } : {}),
  });
  throwIfUntrusted(report);
  if (!matching.length && report.ok)
    // Cannot happen (the gate compared every digest); fail closed should the two ever disagree.
    report.failed.push({
      rule: 'local-files',
      code: 'SIGNING_DIGEST_MISMATCH',
      message: 'the local files are not the logged ones',
    });
  report.ok = report.failed.length === 0;
  return { ...report, keyTrust: opened.keyTrust };
}

export interface PullReport extends ClientReport {
  output: string;
}

/**
 * No trusted signer at all is not a verdict but a setup error (exit 2): the user must pin one. Thrown as
 * CLIENT_NO_TRUSTED_SIGNER with the gate's explanation.
 */
export function throwIfUntrusted(report: GateReport): void {
  const untrusted = report.failed.find((f) => f.code === 'CLIENT_NO_TRUSTED_SIGNER');
  if (untrusted) throw new ModelsecError('CLIENT_NO_TRUSTED_SIGNER', untrusted.message, { details: { failed: report.failed } });
}

/** The refusal of pull: the first failed rule's code, every failed rule in the details. */
function refused(report: GateReport, what: string): ModelsecError {
  const first = report.failed[0] as FailedCheck;
  return new ModelsecError(
    first.code,
    `${what} did not verify: ${report.failed.map((f) => `[${f.rule}] ${f.message}`).join('; ')}`,
    { details: { failed: report.failed, warnings: report.warnings } },
  );
}

/**
 * Pulls NS/NAME@VERSION|RANGE into a new directory: the version is chosen from the verified log (never the API's
 * version list: the highest non-yanked version in range), the gate runs on its evidence, and only then are exactly
 * the signed files written, each a new file inside a fresh staging directory, each of exactly its signed size and
 * digest, before one rename into `outDir`.
 */
export async function pullModel(
  client: RegistryClient,
  ref: ModelRef,
  outDir: string,
  options: ClientGateOptions & { onProgress?: (done: number, total: number, file?: string) => void },
): Promise<PullReport> {
  const expectation: Expectation = { namespace: ref.namespace, model: ref.model, ...(ref.version ? { range: ref.version } : {}) };
  if (ref.version !== undefined) versionMatches('0.0.0', ref.version); // validates the range early
  await refuseExistingOutput(outDir);
  const opened = await openVerifiedLog(client, [ref.namespace], options);
  const unreadable: number[] = [];
  // Without a range, pull takes a release, never a pre-release (as semver's `*`): a pre-release is pulled only when
  // asked for by its version or a range that names one.
  const all = await candidatesFor(opened.mirror, [expectation], unreadable);
  const inRange = all.filter((c) => ref.version !== undefined || semver.prerelease(c.entry.version) === null);
  const chosen = rankCandidates(inRange)[0];
  const newestPre = inRange.length < all.length ? rankCandidates(all)[0]?.entry.version : undefined;
  const onlyPre = newestPre ? ` (only pre-releases: name one, e.g. @${newestPre})` : '';
  const what = `${ref.namespace}/${ref.model}${ref.version ? `@${ref.version}` : ''}`;
  const withheld = chosen ? undefined : await withheldOpening(client, opened.mirror, [expectation]);
  if (withheld) throw new ModelsecError('LOG_OPENING_WITHHELD', withheld.message, { details: { failed: [withheld] } });
  if (!chosen)
    throw new ModelsecError(
      'EVIDENCE_NOT_LOGGED',
      `no published version of ${what} is in the verified transparency log (checkpoint size ${opened.mirror.size})${onlyPre}${notReadable(unreadable)}`,
    );
  const evidence = await gatherEvidence(client, opened.mirror, chosen);
  const report = await verifyEvidence(evidence, opened.trust, {
    now: options.now ?? new Date(),
    ...(options.allowYanked ? { allowYanked: true } : {}),
  });
  throwIfUntrusted(report);
  if (!report.ok) throw refused(report, `${ref.namespace}/${ref.model}@${chosen.entry.version}`);
  const verified = report.verified as VerifiedModelBundle;
  const files = report.files ?? [];
  assertSafeNames([...files.map((f) => f.path), DEFAULT_SIGNATURE_NAME]);

  const staging = await createStaging(outDir);
  try {
    await createDirectories(
      staging,
      files.map((f) => f.path),
    );
    const total = files.reduce((n, f) => n + f.size, 0);
    let done = 0;
    await forEachConcurrent(files, PULL_DOWNLOAD_CONCURRENCY, async (f) => {
      // Bounded in time and refused past the signed size (writeNewFile stops one byte past it).
      const body = client.downloadBlobBounded(ref.namespace, f.digest, f.size);
      async function* counted() {
        for await (const chunk of body) {
          done += chunk.length;
          options.onProgress?.(done, total, f.path);
          yield chunk;
        }
      }
      try {
        await writeNewFile(staging, f.path, counted(), { size: f.size, digest: f.digest });
      } finally {
        await body.return(undefined).catch(() => undefined);
      }
    });
    if (verified.method === 'shards') {
      const shardMismatches = compareResources(
        verified.resources,
        await hashShards(
          files.map((f) => ({ name: f.path, path: path.join(staging, ...f.path.split('/')), size: f.size })),
          verified.shardSize ?? DEFAULT_SHARD_SIZE,
        ),
        { shards: true },
      );
      if (shardMismatches.length)
        throw new ModelsecError('MODEL_MISMATCH', 'the downloaded files do not match the shards the signature covers', {
          details: { mismatches: shardMismatches },
        });
    }
    const bundle = evidence.bundle as Uint8Array;
    await writeNewFile(staging, DEFAULT_SIGNATURE_NAME, [bundle], {
      size: bundle.length,
      digest: createHash('sha256').update(bundle).digest('hex'),
    });
    // The evidence travels with the model: the verified attestations and the log proof, for `check --offline`.
    for (const [name, bytes] of evidenceFiles(report, evidence.attestations))
      await writeNewFile(staging, name, [bytes], {
        size: bytes.length,
        digest: createHash('sha256').update(bytes).digest('hex'),
      });
    const proof = Buffer.from(`${stableJson(await tlogProofOf(opened, ref.namespace, chosen.index))}\n`);
    await writeNewFile(staging, tlogPathFor(DEFAULT_SIGNATURE_NAME), [proof], {
      size: proof.length,
      digest: createHash('sha256').update(proof).digest('hex'),
    });
    await publishStaging(staging, outDir);
  } catch (error) {
    await discardStaging(staging);
    throw error;
  }
  return { ...report, keyTrust: opened.keyTrust, output: path.resolve(outDir) };
}

/** The log proof of the entry at `index` in the verified mirror (model.tlog.json). */
export async function tlogProofOf(opened: OpenedLog, namespace: string, index: number): Promise<TlogProofFile> {
  const ns = (await opened.mirror.entriesOf(namespace)).find((m) => m.index === index);
  if (!ns) throw new ModelsecError('INTERNAL', `log entry ${index} is not in the verified mirror`);
  return buildTlogProof({
    logKeyName: opened.verifier.name,
    origin: opened.mirror.origin,
    checkpoint: opened.mirror.checkpoint,
    index,
    leaf: ns.leaf,
    proof: opened.mirror.inclusionProof(index),
    ...(ns.opening ? { opening: ns.opening } : {}),
  });
}

/** File names for the verified attestations pull writes beside model.sig (scan and ML-BOM by name, others by type). */
function evidenceFiles(report: GateReport, blobs: readonly { digest: string; bytes: Uint8Array }[]): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const used = new Set<string>();
  for (const a of report.verifiedAttestations ?? []) {
    const bytes = blobs.find((b) => b.digest === a.digest)?.bytes;
    if (!bytes) continue;
    const slug = a.predicateType === SCAN_PREDICATE_TYPE ? 'scan' : a.predicateType === MLBOM_PREDICATE_TYPE ? 'bom' : undefined;
    const base = slug
      ? `model.${slug}.att.sig`
      : (attestationPathFor(DEFAULT_SIGNATURE_NAME, a.predicateType).split('/').pop() as string);
    let name = base;
    for (let i = 2; used.has(name); i++) name = base.replace(/\.att\.sig$/, `-${i}.att.sig`);
    used.add(name);
    out.push([name, bytes]);
  }
  return out;
}

/** What push confirms in the verified log after the registry accepted a version. */
export interface PushLogConfirmation {
  logIndex: number;
  signer: LoggedSigner;
  scan?: LoggedScan;
  keyTrust: OpenedLog['keyTrust'];
  checkpointSize: number;
  origin: string;
  /** The verified checkpoint note. */
  checkpoint: string;
  /** The log proof of the entry, to keep beside the signature (model.tlog.json). */
  proof: TlogProofFile;
}

/**
 * After a push: the version's publish entry must be in the verified log and bind exactly what was pushed (root
 * digest of the local signature, sha256 of the bundle bytes sent, the files sent with their sizes).
 */
export async function confirmPushInLog(
  client: RegistryClient,
  ref: { namespace: string; model: string; version: string },
  pushed: { signature: Uint8Array; files: { path: string; digest: string; size: number }[]; attestations?: string[] },
  options: ClientTrustOptions,
): Promise<PushLogConfirmation> {
  const opened = await openVerifiedLog(client, [ref.namespace], options);
  const entries = (await opened.mirror.entriesOf(ref.namespace)).filter(
    (e) => e.entry.type === 'publish' && e.entry.model === ref.model && e.entry.version === ref.version,
  );
  const what = `${ref.namespace}/${ref.model}@${ref.version}`;
  if (entries.length !== 1)
    throw new ModelsecError(
      entries.length === 0 ? 'EVIDENCE_NOT_LOGGED' : 'LOG_INCONSISTENT',
      entries.length === 0
        ? `the registry accepted ${what} but its verified log (size ${opened.mirror.size}) has no publish entry for it`
        : `the log holds ${entries.length} publish entries for ${what}`,
    );
  const { index, entry } = entries[0] as (typeof entries)[number];
  const logged = parsePublishEntry(index, entry as OpenEntry);
  const claimed = readUnverifiedModelStatement(Buffer.from(pushed.signature));
  const problems: string[] = [];
  if (logged.rootDigest !== claimed.rootDigest) problems.push(`root digest ${logged.rootDigest}, signed ${claimed.rootDigest}`);
  const bundleDigest = createHash('sha256').update(pushed.signature).digest('hex');
  if (logged.bundleDigest !== bundleDigest) problems.push(`bundle ${logged.bundleDigest}, pushed ${bundleDigest}`);
  const key = (f: { path: string; digest: string; size: number }) => `${f.path}\u0000${f.digest}\u0000${f.size}`;
  const sent = new Set(pushed.files.map(key));
  const got = new Set(logged.files.map(key));
  if (sent.size !== got.size || [...sent].some((k) => !got.has(k))) problems.push('the logged files are not the pushed ones');
  const loggedAttestations = new Set(logged.attachments.filter((a) => a.kind === 'attestation').map((a) => a.digest));
  for (const d of pushed.attestations ?? [])
    if (!loggedAttestations.has(d)) problems.push(`the pushed attestation ${d} is not among the logged attachments`);
  if (problems.length)
    throw new ModelsecError(
      'EVIDENCE_LOG_MISMATCH',
      `the log entry ${index} of ${what} does not bind what was pushed: ${problems.join('; ')}`,
      {
        details: { index, problems },
      },
    );
  return {
    logIndex: index,
    signer: logged.signer,
    ...(logged.scan ? { scan: logged.scan } : {}),
    keyTrust: opened.keyTrust,
    checkpointSize: opened.mirror.size,
    origin: opened.mirror.origin,
    checkpoint: opened.mirror.checkpoint,
    proof: await tlogProofOf(opened, ref.namespace, index),
  };
}
