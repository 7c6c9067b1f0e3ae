/**
 * The evidence a client gate decides on, and the strict reading of log entries (format v2,
 * packages/core/src/tlog/entries.ts). Evidence is plain data: the online `check`/`pull` gather it from the registry
 * and the client's verified log mirror, `check --offline` (issue 15) from files; `verifyEvidence` (verifier.ts)
 * decides on it and nothing else.
 */
import { ModelsecError } from '@modelsec/core/errors';
import { SEVERITIES } from '@modelsec/core/scan';
import type { LoggedScan, LoggedSigner, OpenEntry, PolicyEntry, YankEntry } from '@modelsec/core/tlog';
import type { LoggedPublishEntry, PublishEntry } from '../log/publish-entry-type.js';
import type { Policy, PolicySigner } from '../policy/policy.js';

/** Which model the caller expects: a namespace, a model and an optional exact version or semver range. */
export interface Expectation {
  namespace: string;
  model: string;
  /** Exact version or range; absent: any version. */
  range?: string;
}

/** One log entry with what proves it is in the log: the leaf bytes, an inclusion proof, and the opening of a sealed leaf. */
export interface LoggedLeaf {
  index: number;
  leaf: Uint8Array;
  /** RFC 6962 inclusion proof of `leaf` at `index` in the evidence checkpoint. */
  proof: Uint8Array[];
  /** The opening of a sealed leaf (private namespace). */
  opening?: { salt: string; entry: string };
}

export interface LogEvidence {
  /** The signed checkpoint note every leaf is proven against. */
  checkpoint: string;
  /**
   * Leaves of the expected namespace. `publishIndex` names the version's publish entry among them; the others
   * (yanks, policies, other versions) inform the yank state, the namespace policy and signer continuity.
   */
  leaves: LoggedLeaf[];
  publishIndex: number;
  /**
   * The gatherer asserts the leaves are EVERY leaf of the namespace up to the checkpoint that it can read (a verified
   * mirror holds the whole log): only then may absence be concluded (no yank, the latest policy). Offline evidence
   * that carries only the publish entry is not complete: the yank state and the log policy are then unknown.
   */
  complete: boolean;
}

/** A blob named by a log entry, as downloaded (the verifier hashes it against the logged digest). */
export interface EvidenceBlob {
  digest: string;
  bytes: Uint8Array;
  /** Offline evidence: the file it was read from (relative to the model). Such an attestation must verify. */
  path?: string;
}

/** The local model of `check`: every file found (except the signature file), hashed as far as needed. */
export interface LocalModelEvidence {
  /** Every regular file under the model directory, POSIX paths relative to it, the signature file excluded. */
  files: { path: string; size: number; sha256?: string }[];
  /** Shard digests of the signed files when the signature uses the shards method (named path:start:end). */
  shards?: { name: string; digest: string }[];
  /** The shard size `shards` were computed with. */
  shardSize?: number;
  /** Paths the user explicitly ignored (--ignore), relative POSIX paths; a directory covers its subtree. */
  ignore: string[];
  /** The signature file's path relative to the model (never compared), when it lies inside the model. */
  signaturePath?: string;
  /** A symbolic link found in the model (accepted only when the signature allows symlinks). */
  symlink?: string;
}

/** Local trust anchors: the only sources of trust besides the pinned log key. */
export interface TrustAnchors {
  /** The log verifier key (C2SP note verifier key text) the checkpoint must be signed by (offline: policy log.key). */
  logKey?: string;
  /** Offline: the local policy's `log.required` (no verified log proof is a failure, not a warning). */
  logRequired?: boolean;
  /** The log key was pinned (a file, the local policy, or a key stored by an earlier run), not first seen now. */
  logKeyPinned: boolean;
  /** Witness verifier keys; with `witnessQuorum`, that many must have cosigned the checkpoint. */
  witnesses?: string[];
  witnessQuorum?: number;
  /** The checkpoint age bound in seconds (0 or absent: none): the witness quorum counts only cosignatures this recent. */
  maxCheckpointAgeSeconds?: number;
  /** Signers from the command line (`--public-key`, `--identity`+`--issuer`, `--certificate-root`). */
  cliSigners?: PolicySigner[];
  /** The local policy (its signers, scan, licences, attestations, ML-BOM rules). */
  localPolicy?: Policy;
  /** Sigstore trusted root (trusted_root.json, parsed) for Sigstore signers; absent: public-good over TUF. */
  sigstoreTrustedRoot?: unknown;
}

export interface Evidence {
  /** The model expected; absent offline when the local policy names no models (the log entry is accepted by content). */
  expected?: Expectation;
  /** The log proof; absent offline without model.tlog.json. */
  log?: LogEvidence;
  /** The signature bundle (model.sig) as served; absent when the registry did not serve it. */
  bundle?: Uint8Array;
  /** Attachments named by the publish entry, as downloaded (missing ones are simply absent). */
  attestations: EvidenceBlob[];
  mlbom?: EvidenceBlob;
  scanReport?: EvidenceBlob;
  /** The local model (`check`); absent for `pull`, which checks its downloads against the verified result. */
  local?: LocalModelEvidence;
}

export interface GateOptions {
  /** Accept a yanked version (the report still says it is yanked). */
  allowYanked?: boolean;
  /** Time for witness timestamps and certificate validity when no log time applies. */
  now: Date;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** Namespace and model names as the registry accepts them (lowercase, no escapes: they are printed). */
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
/** Entry times as the registry writes them (toISOString): one form, so every reader takes the same instant. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function bad(index: number, message: string): ModelsecError {
  return new ModelsecError('EVIDENCE_LOG_MISMATCH', `log entry ${index}: ${message}`, { details: { index } });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): v is string {
  return typeof v === 'string';
}

function count(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseSigner(index: number, v: unknown): LoggedSigner {
  if (!isRecord(v) || !['key', 'certificate', 'sigstore'].includes(v.kind as string)) throw bad(index, 'signer has no kind');
  for (const k of ['keyFingerprint', 'identity', 'issuer'] as const)
    if (v[k] !== undefined && !str(v[k])) throw bad(index, `signer.${k} is not a string`);
  return v as unknown as LoggedSigner;
}

/** The logged scan verdict, or undefined when the entry has none (a registry that predates log format v2). */
function parseScan(index: number, v: unknown): LoggedScan | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) throw bad(index, 'scan is not an object');
  if (v.status !== 'scanned' && v.status !== 'not-scanned') throw bad(index, 'scan.status is neither scanned nor not-scanned');
  if (v.maxSeverity !== null && !(SEVERITIES as readonly unknown[]).includes(v.maxSeverity))
    throw bad(index, 'scan.maxSeverity is not a severity');
  if (!count(v.incompleteFiles)) throw bad(index, 'scan.incompleteFiles is not a count');
  const verdicts = v.verdicts;
  if (!isRecord(verdicts) || !count(verdicts.clean) || !count(verdicts.findings) || !count(verdicts.incomplete))
    throw bad(index, 'scan.verdicts is not {clean, findings, incomplete} counts');
  if (v.reportDigest !== null && !(str(v.reportDigest) && HEX64.test(v.reportDigest)))
    throw bad(index, 'scan.reportDigest is not a sha256');
  if (!str(v.scanner)) throw bad(index, 'scan.scanner is not a string');
  return v as unknown as LoggedScan;
}

/**
 * A publish entry with every field the gate reads checked for type and shape (hostile input: a registry could log
 * anything under its key). `scan` may be absent (old registries); everything else is required.
 */
export function parsePublishEntry(index: number, entry: OpenEntry): LoggedPublishEntry {
  if (entry.type !== 'publish') throw bad(index, `is a ${entry.type} entry, not a publish entry`);
  const e = entry as unknown as Record<string, unknown>;
  for (const k of ['namespace', 'model', 'version', 'at'] as const) if (!str(e[k])) throw bad(index, `${k} is not a string`);
  for (const k of ['namespace', 'model'] as const) if (!NAME.test(e[k] as string)) throw bad(index, `${k} is not a name`);
  for (const k of ['rootDigest', 'bundleDigest'] as const)
    if (!str(e[k]) || !HEX64.test(e[k] as string)) throw bad(index, `${k} is not a sha256`);
  if (!ISO_TIME.test(e.at as string) || Number.isNaN(Date.parse(e.at as string))) throw bad(index, 'at is not an ISO 8601 time');
  if (!Array.isArray(e.files)) throw bad(index, 'files is not a list (a registry that predates log format v2?)');
  for (const f of e.files as unknown[])
    if (!isRecord(f) || !str(f.path) || !str(f.digest) || !HEX64.test(f.digest) || !count(f.size))
      throw bad(index, 'a file is not {path, digest, size}');
  if (!Array.isArray(e.attachments)) throw bad(index, 'attachments is not a list');
  for (const a of e.attachments as unknown[])
    if (
      !isRecord(a) ||
      !str(a.kind) ||
      !str(a.digest) ||
      !HEX64.test(a.digest) ||
      (a.predicateType !== undefined && !str(a.predicateType))
    )
      throw bad(index, 'an attachment is not {kind, digest, predicateType?}');
  const scan = parseScan(index, e.scan);
  return {
    ...(entry as PublishEntry),
    signer: parseSigner(index, e.signer),
    ...(scan ? { scan } : {}),
  };
}

export function parseYankEntry(index: number, entry: OpenEntry): YankEntry & { rootDigest?: string } {
  const e = entry as unknown as Record<string, unknown>;
  for (const k of ['namespace', 'model', 'version'] as const) if (!str(e[k])) throw bad(index, `yank ${k} is not a string`);
  if (e.rootDigest !== undefined && !(str(e.rootDigest) && HEX64.test(e.rootDigest)))
    throw bad(index, 'yank rootDigest is not a sha256');
  return entry as YankEntry;
}

/** A policy entry's document, or undefined when the entry does not carry one (log format v1 logged only a digest). */
export function policyOfEntry(entry: OpenEntry): Policy | undefined {
  const p = (entry as PolicyEntry).policy;
  return isRecord(p) ? (p as Policy) : undefined;
}
