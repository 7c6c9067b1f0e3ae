/**
 * The one client gate: a function over evidence (evidence.ts) and local trust anchors that returns every failed
 * rule. It reads nothing else — no API JSON, no network (Sigstore signers without a trusted_root.json aside) — so
 * the online `check`/`pull` and the offline `check` (issue 15) cannot disagree. Order of trust:
 *   pinned log key (+ witnesses) → checkpoint → inclusion of every entry used → the publish entry (namespace, model,
 *   version range) → trusted signers (command line > local policy > namespace policy AS LOGGED) → the bundle bytes
 *   (hash = logged bundleDigest) → the signature → everything verified equals the entry (root digest, signer, files
 *   and their sizes) → the local model or the downloads → the log's yank state, scan verdict, attestations, ML-BOM.
 */
import { createHash } from 'node:crypto';
import { type ErrorCode, isModelsecError } from '@modelsec/core/errors';
import {
  MLBOM_PREDICATE_TYPE,
  SCAN_PREDICATE_TYPE,
  scanPredicateCoverage,
  scanPredicateGateFiles,
  validateScanPredicate,
} from '@modelsec/core/evidence';
import { evaluateGate, failOnAbove, type GateFile, type Severity } from '@modelsec/core/scan';
import {
  type BundleVerifier,
  compareResources,
  parseShardName,
  type VerifiedModelBundle,
  type VerifiedSigner,
  verifyAttestation,
  verifyModelBundle,
} from '@modelsec/core/signing';
import {
  decodeLogEntry,
  hashLeaf,
  type LoggedScan,
  type LoggedSigner,
  type OpenEntry,
  openSealedEntry,
  parseVerifierKey,
  verifyInclusion,
} from '@modelsec/core/tlog';
import semver from 'semver';
import type { LoggedPublishEntry } from '../log/publish-entry-type.js';
import { DEFAULT_POLICY, effectivePolicy, type Policy, type PolicySigner } from '../policy/policy.js';
import { printable, unsafeNameReason } from '../resource-names.js';
import { checkDependencies } from '../verification/dependencies-check.js';
import { checkMlbom } from '../verification/mlbom-adapter.js';
import { clientVerifiers, verifyAgainstAny } from '../verification/signature-adapter.js';
import {
  type Evidence,
  type Expectation,
  type GateOptions,
  type LogEvidence,
  type LoggedLeaf,
  parsePublishEntry,
  parseYankEntry,
  policyOfEntry,
  type TrustAnchors,
} from './evidence.js';
import { namespacePolicyProblems, versionMatches } from './local-policy.js';
import { MAX_LOG_TIME_SKEW_MS, verifyCheckpointNote } from './log-mirror.js';

export type GateRule =
  | 'log'
  | 'entry'
  | 'trust'
  | 'signature'
  | 'files'
  | 'local-files'
  | 'yank'
  | 'scan'
  | 'attestations'
  | 'mlbom'
  | 'licenses'
  | 'dependencies';

export interface FailedCheck {
  rule: GateRule;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface GateReport {
  ok: boolean;
  /** Every failed rule, in evaluation order. */
  failed: FailedCheck[];
  /** Things a human must see even when the gate passes (signer change, yank accepted, unknowns offline). */
  warnings: string[];
  /** The logged version the evidence is about (from the verified log entry). */
  version?: {
    namespace: string;
    model: string;
    version: string;
    rootDigest: string;
    bundleDigest: string;
    publishedAt: string;
    logIndex: number;
  };
  /** The signer as VERIFIED here (never the registry's claim). */
  signer?: VerifiedSigner;
  signerSource?: 'command-line' | 'local-policy' | 'log-policy';
  policySource: 'local' | 'log' | 'default';
  yanked?: { reason: string; logIndex: number };
  scan?: LoggedScan;
  /** The verified checkpoint: origin, size, root, witnesses that cosigned, and the note itself. */
  log?: { origin: string; size: number; rootHash: string; cosignedBy: string[]; checkpoint: string };
  /** What the signature covers (pull writes exactly this). */
  verified?: VerifiedModelBundle;
  /** The logged files (path, digest, size), equal to what the signature covers. */
  files?: { path: string; digest: string; size: number }[];
  /** Digests of the attestations that verified (signature, trusted signer, subject = the signed file set). */
  verifiedAttestations?: { digest: string; predicateType: string; path?: string }[];
  /** The verdicts of the verified scan attestations (offline evidence: the signed scan predicate). */
  attestedScan?: {
    files: number;
    maxSeverity: Severity | null;
    verdicts: { clean: number; findings: number; incomplete: number };
  }[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function failure(rule: GateRule, error: unknown, fallback: ErrorCode = 'SIGNATURE_INVALID'): FailedCheck {
  if (isModelsecError(error))
    return { rule, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  return { rule, code: fallback, message: error instanceof Error ? error.message : String(error) };
}

function describeSigner(s: LoggedSigner | VerifiedSigner): string {
  const who = s.identity ?? s.keyFingerprint ?? '?';
  return printable(`${s.kind} ${who}${s.issuer ? ` (${s.issuer})` : ''}`);
}

/**
 * Paths a signature's ignore list may leave out that check honours without --ignore: files git reads as plain data
 * (attributes, ignore patterns), which no loader runs. Every other ignored path needs the user's --ignore.
 */
const SIGNER_IGNORED_INERT: ReadonlySet<string> = new Set(['.gitattributes', '.gitignore']);
/** Same kind, no field that both name differs, and at least one identifying field (key or identity) that both name. */
function sameSigner(a: LoggedSigner, b: LoggedSigner): boolean {
  if (a.kind !== b.kind) return false;
  let identified = false;
  for (const k of ['keyFingerprint', 'identity', 'issuer'] as const) {
    if (a[k] === undefined || b[k] === undefined) continue;
    if (a[k] !== b[k]) return false;
    if (k !== 'issuer') identified = true;
  }
  return identified;
}

/** Decodes the leaves, verifying each inclusion and opening; undefined when one fails (then `failed` says why). */
function readLeaves(
  leaves: readonly LoggedLeaf[],
  size: number,
  root: Uint8Array,
  failed: FailedCheck[],
): Map<number, OpenEntry> | undefined {
  const out = new Map<number, OpenEntry>();
  for (const l of leaves) {
    if (
      !Number.isSafeInteger(l.index) ||
      l.index < 0 ||
      l.index >= size ||
      !verifyInclusion(l.index, size, hashLeaf(l.leaf), l.proof, root)
    ) {
      failed.push({
        rule: 'log',
        code: 'LOG_PROOF_INVALID',
        message: `log entry ${l.index} is not included in the signed checkpoint of size ${size}`,
        details: { index: l.index },
      });
      return undefined;
    }
    try {
      const decoded = decodeLogEntry(l.leaf);
      if (decoded.type === 'sealed') {
        if (!l.opening) continue;
        out.set(l.index, openSealedEntry(l.leaf, l.opening));
      } else out.set(l.index, decoded);
    } catch (error) {
      failed.push(failure('log', error, 'LOG_INCONSISTENT'));
      return undefined;
    }
  }
  return out;
}

/** Every resource of a shards signature, grouped by path, must tile the file exactly: [0, size) in shard-size steps. */
function shardExtentProblems(
  verified: VerifiedModelBundle,
  files: readonly { path: string; size: number }[],
): { path: string; reason: string }[] {
  const byPath = new Map<string, { start: number; end: number }[]>();
  for (const r of verified.resources) {
    const s = parseShardName(r.name);
    if (!s) return [{ path: r.name, reason: 'is not a shard name' }];
    byPath.set(s.path, [...(byPath.get(s.path) ?? []), { start: s.start, end: s.end }]);
  }
  const shardSize = verified.shardSize ?? 0;
  const problems: { path: string; reason: string }[] = [];
  for (const f of files) {
    const shards = (byPath.get(f.path) ?? []).sort((a, b) => a.start - b.start);
    let at = 0;
    for (const [i, s] of shards.entries()) {
      const last = i === shards.length - 1;
      if (s.start !== at || s.end <= s.start || s.end - s.start > shardSize || (!last && s.end - s.start !== shardSize)) {
        problems.push({ path: f.path, reason: `shard ${s.start}:${s.end} does not continue the file at ${at}` });
        break;
      }
      at = s.end;
    }
    if (at !== f.size)
      problems.push({ path: f.path, reason: `the signed shards cover ${at} bytes, the logged size is ${f.size}` });
  }
  return problems;
}

/** The root digests a yank entry yanks: the one it names, and those its model@version was published with. */
export function yankedRootsOf(
  yank: { model: string; version: string; rootDigest?: string },
  entries: Iterable<readonly [number, OpenEntry]>,
): Set<string> {
  const roots = new Set<string>(yank.rootDigest !== undefined ? [yank.rootDigest] : []);
  for (const [, e] of entries) {
    const p = e as OpenEntry & { model?: unknown; version?: unknown; rootDigest?: unknown };
    if (p.type === 'publish' && p.model === yank.model && p.version === yank.version && typeof p.rootDigest === 'string')
      roots.add(p.rootDigest);
  }
  return roots;
}

/** The logged scan verdict as files for the core gate (one per reason the summary can fail for). */
function scanGateFiles(scan: LoggedScan): GateFile[] {
  const incomplete = Math.max(scan.incompleteFiles, scan.verdicts.incomplete);
  const files: GateFile[] = [];
  if (incomplete > 0)
    files.push({ path: `${incomplete} incomplete file(s)`, verdict: 'incomplete', maxSeverity: null, rules: [] });
  if (scan.maxSeverity !== null)
    files.push({
      path: `highest finding (${scan.verdicts.findings} file(s))`,
      verdict: 'findings',
      maxSeverity: scan.maxSeverity,
      rules: [],
    });
  return files;
}

function isUnder(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Attestation files kept beside model.sig (`NAME.<slug>.att.sig`) at the model root. */
const ATTESTATION_FILE = /^[^/]+\.[A-Za-z0-9._-]+\.att\.sig$/;

interface CheckedLog {
  log: NonNullable<GateReport['log']>;
  version: NonNullable<GateReport['version']>;
  publish: LoggedPublishEntry;
  /** The readable entries of the publish entry's namespace, by index. */
  ofNamespace: [number, OpenEntry][];
}

/**
 * The log: pinned key, witnesses, inclusion of every entry used, then the publish entry (the expected namespace,
 * model and version; its time; no twin). Returns what it verified, or the partial report fields when the gate cannot
 * go on (then `failed` says why).
 */
function checkLog(
  evidenceLog: LogEvidence,
  expected: Expectation | undefined,
  logKey: string,
  trust: TrustAnchors,
  options: GateOptions,
  failed: FailedCheck[],
): { ok: true; value: CheckedLog } | { ok: false; partial: Partial<GateReport> } {
  let checkpoint: ReturnType<typeof verifyCheckpointNote>;
  try {
    checkpoint = verifyCheckpointNote(evidenceLog.checkpoint, parseVerifierKey(logKey), {
      ...(trust.witnesses ? { witnesses: trust.witnesses } : {}),
      ...(trust.witnessQuorum !== undefined ? { witnessQuorum: trust.witnessQuorum } : {}),
      ...(trust.maxCheckpointAgeSeconds ? { maxAgeSeconds: trust.maxCheckpointAgeSeconds } : {}),
      now: options.now,
    });
  } catch (error) {
    failed.push(failure('log', error, 'LOG_PROOF_INVALID'));
    return { ok: false, partial: {} };
  }
  const cp = checkpoint.checkpoint;
  const log = {
    origin: cp.origin,
    size: cp.size,
    rootHash: Buffer.from(cp.rootHash).toString('base64'),
    cosignedBy: checkpoint.cosignedBy,
    checkpoint: evidenceLog.checkpoint,
  };
  const entries = readLeaves(evidenceLog.leaves, cp.size, cp.rootHash, failed);
  if (!entries) return { ok: false, partial: { log } };
  // ── the publish entry: the expected namespace, model and version ──────────
  const publishEntry = entries.get(evidenceLog.publishIndex);
  if (!publishEntry) {
    failed.push({
      rule: 'entry',
      code: 'EVIDENCE_NOT_LOGGED',
      message: `the evidence has no readable log entry at index ${evidenceLog.publishIndex}`,
    });
    return { ok: false, partial: { log } };
  }
  let publish: LoggedPublishEntry;
  try {
    publish = parsePublishEntry(evidenceLog.publishIndex, publishEntry);
  } catch (error) {
    failed.push(failure('entry', error, 'EVIDENCE_LOG_MISMATCH'));
    return { ok: false, partial: { log } };
  }
  const version = {
    namespace: publish.namespace,
    model: publish.model,
    version: publish.version,
    rootDigest: publish.rootDigest,
    bundleDigest: publish.bundleDigest,
    publishedAt: publish.at,
    logIndex: evidenceLog.publishIndex,
  };
  const ofNamespace = [...entries].filter(([, e]) => e.namespace === publish.namespace).sort(([a], [b]) => a - b);
  if (
    expected &&
    (publish.namespace !== expected.namespace ||
      (expected.model !== '*' && publish.model !== expected.model) ||
      !versionMatches(publish.version, expected.range))
  ) {
    failed.push({
      rule: 'entry',
      code: 'EVIDENCE_LOG_MISMATCH',
      message: `the log entry is ${publish.namespace}/${publish.model}@${publish.version}, not the expected ${expected.namespace}/${expected.model}${expected.range ? `@${expected.range}` : ''}: another namespace, model or version cannot satisfy this gate`,
      details: { expected, logged: { namespace: publish.namespace, model: publish.model, version: publish.version } },
    });
    return { ok: false, partial: { log, version } };
  }

  // The entry's time is the trusted signing time (certificates): never before an earlier entry of the namespace by
  // more than the skew, never in the future (the mirror checks the open entries of the whole log the same way).
  const publishedAt = Date.parse(publish.at);
  const earlierAt = Math.max(
    Number.NEGATIVE_INFINITY,
    ...ofNamespace
      .filter(([i]) => i < evidenceLog.publishIndex)
      .map(([, e]) => Date.parse(String((e as { at?: unknown }).at)))
      .filter(Number.isFinite),
  );
  if (publishedAt < earlierAt - MAX_LOG_TIME_SKEW_MS || publishedAt > options.now.getTime() + MAX_LOG_TIME_SKEW_MS)
    failed.push({
      rule: 'entry',
      code: 'LOG_INCONSISTENT',
      message: `the publish entry is dated ${publish.at}, ${publishedAt > options.now.getTime() ? 'in the future' : 'before an earlier entry of the namespace'}: its time cannot be trusted as the signing time`,
    });
  const twins = ofNamespace.filter(
    ([i, e]) =>
      i !== evidenceLog.publishIndex && e.type === 'publish' && e.model === publish.model && e.version === publish.version,
  );
  if (twins.length > 0)
    failed.push({
      rule: 'entry',
      code: 'LOG_INCONSISTENT',
      message: `the log holds ${twins.length + 1} publish entries for ${publish.namespace}/${publish.model}@${publish.version} (indices ${[evidenceLog.publishIndex, ...twins.map(([i]) => i)].sort((a, b) => a - b).join(', ')}): a version is immutable, the registry equivocates`,
    });

  return { ok: true, value: { log, version, publish, ofNamespace } };
}

/** The gate. See the module comment; every failed rule is returned, never thrown. */
export async function verifyEvidence(evidence: Evidence, trust: TrustAnchors, options: GateOptions): Promise<GateReport> {
  const failed: FailedCheck[] = [];
  const warnings: string[] = [];
  const report = (extra: Partial<GateReport> = {}): GateReport => ({
    ok: failed.length === 0,
    failed,
    warnings,
    policySource: 'default',
    ...extra,
  });
  const { expected } = evidence;

  // ── the log (absent offline without model.tlog.json; then nothing is concluded from it) ─────────────
  let log: GateReport['log'];
  let version: GateReport['version'];
  let publish: LoggedPublishEntry | undefined;
  let ofNamespace: [number, OpenEntry][] = [];
  const logComplete = evidence.log?.complete === true;
  if (evidence.log && trust.logKey !== undefined) {
    const checked = checkLog(evidence.log, expected, trust.logKey, trust, options, failed);
    if (!checked.ok) return report(checked.partial);
    ({ log, version, publish, ofNamespace } = checked.value);
  } else if (trust.logRequired)
    failed.push({
      rule: 'log',
      code: evidence.log ? 'LOG_PROOF_INVALID' : 'EVIDENCE_NOT_LOGGED',
      message: evidence.log
        ? 'the policy requires the log (log.required) and no log key is pinned to verify the log proof with (log.key)'
        : 'the policy requires the log (log.required) and there is no log proof (model.tlog.json, written by push and pull)',
    });
  else if (evidence.log)
    warnings.push('the log proof is not verified: no log key is pinned (policy log.key); nothing in it is used');
  else
    warnings.push(
      'no transparency log proof (model.tlog.json): the publication, the yank state and the logged scan are not checked',
    );
  if (!expected && publish)
    warnings.push(
      `no expected model (policy "models"): the log entry of ${publish.namespace}/${publish.model}@${publish.version} is accepted by its content`,
    );

  // ── policy and trusted signers ─────────────────────────────────────────────
  let logPolicy: Policy | undefined;
  let logPolicyIndex: number | undefined;
  if (logComplete)
    for (const [i, e] of ofNamespace)
      if (e.type === 'policy') {
        const doc = policyOfEntry(e);
        const problems = doc === undefined ? 'it carries no policy document (log format v1)' : namespacePolicyProblems(doc);
        if (problems) {
          failed.push({
            rule: 'trust',
            code: 'EVIDENCE_LOG_MISMATCH',
            message: `the namespace policy logged at ${i} is not usable: ${problems}`,
            details: { index: i },
          });
          logPolicy = undefined;
        } else logPolicy = doc;
        logPolicyIndex = i;
      }
  const policySource: GateReport['policySource'] = trust.localPolicy ? 'local' : logPolicy ? 'log' : 'default';
  if (!trust.localPolicy && evidence.log && !logComplete)
    warnings.push('the namespace policy is unknown without the whole log: the default policy applies (give --policy)');
  const policy = effectivePolicy(trust.localPolicy ?? logPolicy ?? DEFAULT_POLICY);
  let signers: PolicySigner[] = [];
  let signerSource: GateReport['signerSource'];
  if (trust.cliSigners?.length) {
    signers = trust.cliSigners;
    signerSource = 'command-line';
  } else if (trust.localPolicy?.signers?.length) {
    signers = trust.localPolicy.signers;
    signerSource = 'local-policy';
  } else if (logPolicy?.signers?.length) {
    if (trust.logKeyPinned) {
      signers = logPolicy.signers;
      signerSource = 'log-policy';
    } else
      failed.push({
        rule: 'trust',
        code: 'CLIENT_NO_TRUSTED_SIGNER',
        message: `the namespace policy logged at ${logPolicyIndex} names signers, but the log key was first seen just now: a registry could have served its own log. Pin the log key (--log-key FILE, obtained out of band) or the signer (--public-key, --identity with --issuer, --certificate-root, or a local policy)`,
      });
  } else
    failed.push({
      rule: 'trust',
      code: 'CLIENT_NO_TRUSTED_SIGNER',
      message: `no trusted signer${publish ? ` for ${publish.namespace}` : ''}: pin one with --public-key FILE, --identity ID --issuer URL, --certificate-root PEM, or a local policy's signers (the registry's own answer is never used; the namespace policy in the log names none${logComplete ? '' : ' or is unknown offline'})`,
    });

  // ── bundle bytes, signature, and everything verified equals the entry ─────
  let verified: VerifiedModelBundle | undefined;
  // The trusted time of signing for certificate signers: the verified log entry's time; without a log, now.
  const signingTime = publish ? new Date(publish.at) : undefined;
  const bundleDigest = evidence.bundle ? sha256(evidence.bundle) : undefined;
  if (!evidence.bundle) {
    failed.push({
      rule: 'signature',
      code: 'EVIDENCE_MISSING',
      message: publish
        ? `the registry did not serve the signature bundle ${publish.bundleDigest} of ${publish.namespace}/${publish.model}@${publish.version}`
        : 'there is no model signature (model.sig)',
    });
  } else if (publish && bundleDigest !== publish.bundleDigest) {
    failed.push({
      rule: 'signature',
      code: 'EVIDENCE_BUNDLE_MISMATCH',
      message: `the signature bundle served hashes to ${bundleDigest}, the log entry of ${publish.namespace}/${publish.model}@${publish.version} binds ${publish.bundleDigest}`,
      details: { expected: publish.bundleDigest, actual: bundleDigest },
    });
  } else if (signers.length > 0) {
    const verifiers: BundleVerifier[] = clientVerifiers(signers, {
      ...(signingTime ? { signingTime } : {}),
      ...(trust.sigstoreTrustedRoot !== undefined ? { trustedRootJson: trust.sigstoreTrustedRoot } : {}),
    });
    const bundle = Buffer.from(evidence.bundle);
    const result = await verifyAgainstAny(verifiers, (v) => verifyModelBundle(bundle, v));
    if (!result.ok)
      failed.push({
        rule: 'signature',
        code: result.failures[0]?.code ?? 'SIGNATURE_INVALID',
        message: `the signature does not verify against the trusted signer(s) (${signerSource}): ${result.failures.map((f) => `${f.code}: ${f.message}`).join('; ')}`,
        details: { attempts: result.failures },
      });
    else verified = result.value;
  }
  const fileProblems: { path: string; reason: string }[] = [];
  for (const f of publish?.files ?? []) {
    const reason = unsafeNameReason(f.path);
    if (reason) fileProblems.push({ path: f.path, reason });
  }
  if (fileProblems.length)
    failed.push({
      rule: 'files',
      code: 'PULL_NAME_UNSAFE',
      message: `the log entry lists unsafe file names: ${fileProblems.map((p) => `${JSON.stringify(p.path)} ${p.reason}`).join('; ')}`,
      details: { problems: fileProblems },
    });
  if (verified && publish) {
    if (verified.rootDigest !== publish.rootDigest)
      failed.push({
        rule: 'signature',
        code: 'EVIDENCE_LOG_MISMATCH',
        message: `the signature covers root digest ${verified.rootDigest}, the log entry binds ${publish.rootDigest}`,
        details: { verified: verified.rootDigest, logged: publish.rootDigest },
      });
    const logged = publish.signer;
    const mine: LoggedSigner = {
      kind: verified.signer.kind,
      ...(verified.signer.keyFingerprint ? { keyFingerprint: verified.signer.keyFingerprint } : {}),
      ...(verified.signer.identity ? { identity: verified.signer.identity } : {}),
      ...(verified.signer.issuer ? { issuer: verified.signer.issuer } : {}),
    };
    if (!sameSigner(mine, logged))
      failed.push({
        rule: 'signature',
        code: 'EVIDENCE_LOG_MISMATCH',
        message: `the signature verifies as ${describeSigner(mine)}, the log entry names ${describeSigner(logged)}`,
        details: { verified: mine, logged },
      });
    // Files: the signed set is exactly the logged set (no mix-and-match), and a shards signature tiles each file to
    // exactly its logged size (bytes past the signed extent are never accepted).
    const loggedPaths = new Set(publish.files.map((f) => f.path));
    const mismatches: { path: string; reason: string }[] = [];
    if (verified.method === 'files') {
      const signed = new Map(verified.resources.map((r) => [r.name, r.digest]));
      for (const f of publish.files) {
        const d = signed.get(f.path);
        if (d === undefined) mismatches.push({ path: f.path, reason: 'is logged but not signed' });
        else if (d !== f.digest) mismatches.push({ path: f.path, reason: `is logged as ${f.digest}, signed as ${d}` });
      }
      for (const name of signed.keys())
        if (!loggedPaths.has(name)) mismatches.push({ path: name, reason: 'is signed but not logged' });
    } else {
      const signedPaths = new Set(verified.resources.map((r) => parseShardName(r.name)?.path ?? r.name));
      for (const p of signedPaths) if (!loggedPaths.has(p)) mismatches.push({ path: p, reason: 'is signed but not logged' });
      mismatches.push(...shardExtentProblems(verified, publish.files));
    }
    if (mismatches.length)
      failed.push({
        rule: 'files',
        code: 'EVIDENCE_LOG_MISMATCH',
        message: `the files of the log entry differ from what the signature covers: ${mismatches
          .slice(0, 5)
          .map((m) => `${m.path} ${m.reason}`)
          .join('; ')}`,
        details: { mismatches },
      });
  }

  // ── attestations: signature, trusted signer, subject = exactly the signed file set (manifest digest) ──
  // Online, the blobs are the logged attachments (bytes = logged digest); offline, the attestation files beside
  // model.sig, each of which must verify (a stray one is a failure, as an unverified attestation file is online).
  const verifiedAttestations: { digest: string; predicateType: string; path?: string }[] = [];
  const verifiedPredicates: { predicateType: string; predicate: Record<string, unknown>; path?: string }[] = [];
  const attestationAttempts: { digest: string; code: ErrorCode; message: string }[] = [];
  const loggedAttestations = (publish?.attachments ?? []).filter((a) => a.kind === 'attestation');
  const blobs: { digest: string; bytes: Uint8Array; path?: string }[] = [];
  for (const a of loggedAttestations) {
    const blob = evidence.attestations.find((b) => b.digest === a.digest);
    if (!blob) {
      if (!evidence.attestations.some((b) => b.path !== undefined))
        attestationAttempts.push({ digest: a.digest, code: 'EVIDENCE_MISSING', message: 'not served' });
      continue;
    }
    if (sha256(blob.bytes) !== a.digest) {
      attestationAttempts.push({
        digest: a.digest,
        code: 'EVIDENCE_LOG_MISMATCH',
        message: 'bytes differ from the logged digest',
      });
      continue;
    }
    blobs.push(blob);
  }
  for (const blob of evidence.attestations)
    if (blob.path !== undefined && !blobs.includes(blob)) blobs.push({ ...blob, digest: sha256(blob.bytes) });
  for (const blob of blobs) {
    const reject = (code: ErrorCode, message: string) => {
      attestationAttempts.push({ digest: blob.digest, code, message });
      if (blob.path !== undefined)
        failed.push({
          rule: 'attestations',
          code,
          message: `${blob.path}: ${message}`,
          details: { path: blob.path, digest: blob.digest },
        });
    };
    if (signers.length === 0) continue;
    if (!verified) {
      reject('SIGNATURE_INVALID', 'cannot be checked: the model signature did not verify');
      continue;
    }
    const model = verified;
    const result = await verifyAgainstAny(
      clientVerifiers(signers, {
        ...(signingTime ? { signingTime } : {}),
        ...(trust.sigstoreTrustedRoot !== undefined ? { trustedRootJson: trust.sigstoreTrustedRoot } : {}),
      }),
      (v) => verifyAttestation(Buffer.from(blob.bytes), v, { model }),
    );
    if (!result.ok) {
      // A subject mismatch is reported as such even when another trusted signer fails on the signature first.
      const subject = result.failures.find((f) => f.code === 'ATTESTATION_SUBJECT_MISMATCH');
      const first = subject ?? result.failures[0];
      reject(
        first?.code ?? 'SIGNATURE_INVALID',
        subject
          ? subject.message
          : `not signed by a trusted signer (${signerSource}): ${result.failures.map((f) => `${f.code}: ${f.message}`).join('; ')}`,
      );
      continue;
    }
    verifiedAttestations.push({
      digest: blob.digest,
      predicateType: result.value.predicateType,
      ...(blob.path !== undefined ? { path: blob.path } : {}),
    });
    verifiedPredicates.push({
      predicateType: result.value.predicateType,
      predicate: result.value.predicate,
      ...(blob.path !== undefined ? { path: blob.path } : {}),
    });
  }
  for (const type of policy.requiredAttestations)
    if (!verifiedAttestations.some((a) => a.predicateType === type))
      failed.push({
        rule: 'attestations',
        code: 'ATTESTATION_REQUIRED',
        message: `a verified attestation of type ${type} is required (signed by a trusted signer, about exactly this model): ${
          blobs.length === 0 && loggedAttestations.length === 0
            ? 'the version has none'
            : `none of ${Math.max(blobs.length, loggedAttestations.length)} verifies`
        }`,
        details: { predicateType: type, attempts: attestationAttempts },
      });

  // ── the local model (check): exactly the signed files, nothing unsigned it was not told to ignore ─────────
  if (evidence.local && verified) {
    const local = evidence.local;
    // Only what the user tells check to ignore (--ignore) is ignored. What the signer left out of the signature is
    // vouched for by no one: `.git/` (its config runs commands: core.fsmonitor, hooks), `.github/` workflows, or any
    // other path the signer ignored, present and unsigned, fail the gate unless --ignore names them. The two files
    // git reads as plain data at the root, .gitattributes and .gitignore, are honoured when the signer left them out.
    const covered = [...verified.ignorePaths.filter((p) => SIGNER_IGNORED_INERT.has(p)), ...local.ignore];
    // A shards signature has no shard for an empty file (the reference emits none): the logged empty files, whose
    // extent the gate proved to be zero bytes, are the model's too.
    const signedPaths = new Set([
      ...verified.resources.map((r) => (verified.method === 'shards' ? (parseShardName(r.name)?.path ?? r.name) : r.name)),
      ...(verified.method === 'shards' && publish ? publish.files.filter((f) => f.size === 0).map((f) => f.path) : []),
    ]);
    // Attestation files: verified ones belong to the model's evidence; offline, a failed one is reported above.
    const attestationDigests = new Set([
      ...verifiedAttestations.map((a) => a.digest),
      ...evidence.attestations.filter((b) => b.path !== undefined).map((b) => sha256(b.bytes)),
    ]);
    const problems: { path: string; code: ErrorCode; reason: string }[] = [];
    const localByPath = new Map(local.files.map((f) => [f.path, f]));
    if (local.symlink !== undefined && !verified.allowSymlinks)
      problems.push({
        path: local.symlink,
        code: 'SIGNING_SYMLINK_REFUSED',
        reason: 'is a symbolic link and the signature does not allow symlinks',
      });
    for (const f of local.files) {
      if (signedPaths.has(f.path) || f.path === local.signaturePath || isUnder(f.path, covered)) continue;
      if (ATTESTATION_FILE.test(f.path) && f.sha256 !== undefined && attestationDigests.has(f.sha256)) continue;
      problems.push({
        path: f.path,
        code: 'SIGNING_FILE_EXTRA',
        reason: ATTESTATION_FILE.test(f.path)
          ? 'is an attestation file that is not a verified attestation of this version'
          : isUnder(f.path, verified.ignorePaths)
            ? 'is not signed: the signer left it out of the signature, so no one vouches for its content (--ignore PATH if you trust it)'
            : 'is not signed and not covered by --ignore',
      });
    }
    for (const p of signedPaths)
      if (!localByPath.has(p)) problems.push({ path: p, code: 'SIGNING_FILE_MISSING', reason: 'is signed but missing' });
    if (verified.method === 'files') {
      for (const r of verified.resources) {
        const f = localByPath.get(r.name);
        if (f && f.sha256 !== r.digest)
          problems.push({ path: r.name, code: 'SIGNING_DIGEST_MISMATCH', reason: 'differs from the signed digest' });
      }
    } else {
      const have = new Map((local.shards ?? []).map((s) => [s.name, s.digest]));
      if (local.shardSize !== verified.shardSize)
        problems.push({
          path: '.',
          code: 'SIGNING_DIGEST_MISMATCH',
          reason: 'the local model was not hashed in the signed shard size',
        });
      else
        for (const r of verified.resources) {
          const p = parseShardName(r.name)?.path ?? r.name;
          if (localByPath.has(p) && have.get(r.name) !== r.digest)
            problems.push({ path: p, code: 'SIGNING_DIGEST_MISMATCH', reason: `shard ${r.name} differs from the signed digest` });
        }
      // Every local file of a signed path, shard by shard: a byte appended or cut changes the shard list.
      if (local.shardSize === verified.shardSize)
        for (const m of compareResources(verified.resources, local.shards ?? [], { shards: true, ignoreUnsigned: true }))
          if (m.kind === 'digest' && localByPath.has(m.name))
            problems.push({ path: m.name, code: 'SIGNING_DIGEST_MISMATCH', reason: 'differs from the signed shards' });
      for (const f of publish?.files ?? []) {
        const l = localByPath.get(f.path);
        if (l && l.size !== f.size)
          problems.push({ path: f.path, code: 'SIGNING_DIGEST_MISMATCH', reason: `is ${l.size} bytes, signed ${f.size}` });
      }
    }
    const seen = new Set<string>();
    for (const p of problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      const key = `${p.code}\u0000${p.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      failed.push({ rule: 'local-files', code: p.code, message: `${p.path} ${p.reason}`, details: { path: p.path } });
    }
  }

  // ── yank state, from the log (a yank binds the content: any version with the yanked root digest) ────────
  let yanked: GateReport['yanked'];
  for (const [i, e] of publish ? ofNamespace : []) {
    if (e.type !== 'yank') continue;
    const y = parseYankEntry(i, e);
    // The yanked content: the root digest the yank names, and that of the version it names as published (a yank
    // entry without a root digest still yanks the bytes of its version, whatever version they are published as).
    const roots = yankedRootsOf(y, ofNamespace);
    const sameContent = publish !== undefined && roots.has(publish.rootDigest);
    const sameVersion = y.model === publish?.model && y.version === publish?.version;
    if (sameContent || sameVersion) yanked = { reason: printable(String(y.reason ?? '')), logIndex: i };
  }
  if (yanked) {
    const what = `${publish?.namespace}/${publish?.model}@${publish?.version} is yanked in the log (entry ${yanked.logIndex}): ${yanked.reason}`;
    if (options.allowYanked) warnings.push(`${what} (accepted: --allow-yanked)`);
    else
      failed.push({
        rule: 'yank',
        code: 'VERSION_YANKED',
        message: `${what}; pass --allow-yanked to accept it`,
        details: yanked,
      });
  } else if (publish && !logComplete) warnings.push('the yank state is unknown without the whole log');

  // ── scan: every verified scan attestation, and the registry's verdict as logged, through the core gate ──────
  const gateOptions = { failOn: failOnAbove(policy.scan.maxSeverity), allowIncomplete: policy.scan.allowIncomplete };
  const attestedScan: NonNullable<GateReport['attestedScan']> = [];
  for (const a of verifiedPredicates.filter((p) => p.predicateType === SCAN_PREDICATE_TYPE)) {
    const where = a.path ?? 'the scan attestation';
    let predicate: ReturnType<typeof validateScanPredicate>;
    try {
      predicate = validateScanPredicate(a.predicate);
    } catch (error) {
      failed.push(failure('scan', error, 'ATTESTATION_PREDICATE_INVALID'));
      continue;
    }
    attestedScan.push(predicate.summary);
    const coverage = verified ? scanPredicateCoverage(predicate, verified) : [];
    if (coverage.length)
      failed.push({
        rule: 'scan',
        code: 'ATTESTATION_SUBJECT_MISMATCH',
        message: `${where} does not give a verdict on exactly the signed files: ${coverage
          .slice(0, 5)
          .map((c) => `${c.path} ${c.reason}`)
          .join('; ')}`,
        details: { problems: coverage },
      });
    for (const f of evaluateGate(scanPredicateGateFiles(predicate), gateOptions).failures)
      failed.push(
        f.reason === 'incomplete'
          ? {
              rule: 'scan',
              code: 'SCAN_INCOMPLETE',
              message: `${where}: ${f.path} is incomplete (not fully inspected${f.rules.length ? `: ${f.rules.join(', ')}` : ''}) and the policy does not allow incomplete files`,
              details: { path: f.path },
            }
          : {
              rule: 'scan',
              code: 'SCAN_FINDINGS',
              message: `${where}: ${f.path} has findings at ${f.maxSeverity} (${f.rules.join(', ')}), above the policy's ${policy.scan.maxSeverity}`,
              details: { path: f.path },
            },
      );
  }
  const attested = attestedScan.length > 0;
  const scan = publish?.scan;
  if (!publish) {
    if (!attested) {
      if (policy.scan.required)
        failed.push({
          rule: 'scan',
          code: 'EVIDENCE_MISSING',
          message:
            'the policy requires the scan and there is no verified scan attestation (model.scan.att.sig) nor a logged scan verdict',
        });
      else warnings.push('no scan verdict: the policy does not require one');
    }
  } else if (!scan) {
    if (attested) {
      // the verified scan attestation is the verdict
    } else if (policy.scan.required)
      failed.push({
        rule: 'scan',
        code: 'EVIDENCE_MISSING',
        message: 'the log entry carries no scan verdict (a registry before log format v2?) and the policy requires the scan',
      });
    else warnings.push('no scan verdict is logged for this version; the policy does not require one');
  } else if (scan.status !== 'scanned') {
    if (attested) {
      // the verified scan attestation is the verdict
    } else if (policy.scan.required)
      failed.push({
        rule: 'scan',
        code: 'SCAN_NOT_RUN',
        message: 'the registry logged this version as not scanned and the policy requires the scan',
      });
    else warnings.push('the registry did not scan this version; the policy does not require it');
  } else {
    if (scan.maxSeverity === null && scan.verdicts.findings > 0)
      failed.push({
        rule: 'scan',
        code: 'EVIDENCE_LOG_MISMATCH',
        message: `the logged scan counts ${scan.verdicts.findings} file(s) with findings but no severity`,
      });
    const gate = evaluateGate(scanGateFiles(scan), gateOptions);
    for (const f of gate.failures)
      failed.push(
        f.reason === 'incomplete'
          ? {
              rule: 'scan',
              code: 'SCAN_INCOMPLETE',
              message: `the logged scan has ${Math.max(scan.incompleteFiles, scan.verdicts.incomplete)} incomplete file(s) and the policy does not allow incomplete files`,
            }
          : {
              rule: 'scan',
              code: 'SCAN_FINDINGS',
              message: `the logged scan has findings at ${f.maxSeverity}, above the policy's ${policy.scan.maxSeverity}`,
            },
      );
    if (evidence.scanReport && sha256(evidence.scanReport.bytes) !== scan.reportDigest)
      failed.push({
        rule: 'scan',
        code: 'EVIDENCE_LOG_MISMATCH',
        message: 'the scan report served differs from the logged report digest',
      });
  }

  // ── ML-BOM and licences: the logged ML-BOM (its bytes the logged ones) and every verified ML-BOM attestation ──
  if (policy.mlbomRequired || policy.allowedLicenses || policy.dependencies) {
    const sources: { where?: string; text: string }[] = [];
    let why = 'there is no verified ML-BOM attestation (model.bom.att.sig)';
    if (publish) {
      const loggedBom = publish.attachments.find((x) => x.kind === 'mlbom');
      const blob = loggedBom && evidence.mlbom?.digest === loggedBom.digest ? evidence.mlbom : undefined;
      const bomBytesOk = blob !== undefined && sha256(blob.bytes) === loggedBom?.digest;
      if (blob && bomBytesOk) sources.push({ text: Buffer.from(blob.bytes).toString('utf8') });
      else
        why = !loggedBom
          ? 'the version has no ML-BOM'
          : !blob
            ? 'the registry did not serve the logged ML-BOM'
            : 'the ML-BOM served differs from the logged digest';
    }
    for (const x of verifiedPredicates.filter((p) => p.predicateType === MLBOM_PREDICATE_TYPE))
      sources.push({ where: x.path ?? 'the ML-BOM attestation', text: JSON.stringify(x.predicate) });
    if (sources.length === 0) {
      if (policy.mlbomRequired)
        failed.push({ rule: 'mlbom', code: 'MLBOM_REQUIRED', message: `the policy requires an ML-BOM: ${why}` });
      if (policy.allowedLicenses)
        failed.push({ rule: 'licenses', code: 'LICENSE_DENIED', message: `licences cannot be checked: ${why}` });
      if (policy.dependencies)
        failed.push({ rule: 'dependencies', code: 'POLICY_DENIED', message: `dependencies cannot be checked: ${why}` });
    }
    for (const source of sources) {
      const { failed: bomFailed } = checkMlbom(source.text, policy.allowedLicenses);
      for (const f of bomFailed)
        failed.push({
          rule: f.rule === 'licenses' ? 'licenses' : 'mlbom',
          code: f.rule === 'licenses' ? 'LICENSE_DENIED' : f.code,
          message: source.where ? `${source.where}: ${f.message}` : f.message,
          ...(f.details ? { details: f.details } : {}),
        });
      if (policy.dependencies)
        for (const f of checkDependencies(source.text, policy.dependencies))
          failed.push({
            rule: 'dependencies',
            code: f.code,
            message: source.where ? `${source.where}: ${f.message}` : f.message,
            ...(f.details ? { details: f.details } : {}),
          });
    }
  }

  // ── continuity: signer changes and re-published content, loudly ──────────────────────────────────────
  const publishIndex = evidence.log?.publishIndex ?? -1;
  const earlier = (publish ? ofNamespace : [])
    .filter(([i, e]) => i < publishIndex && e.type === 'publish' && e.model === publish?.model)
    .map(([i, e]) => {
      try {
        return { i, p: parsePublishEntry(i, e) };
      } catch {
        return undefined;
      }
    })
    .filter((x): x is { i: number; p: LoggedPublishEntry } => x !== undefined);
  const lower = earlier.filter(({ p }) => semver.valid(p.version) && publish && semver.lt(p.version, publish.version));
  const previous = lower.sort((a, b) => semver.rcompare(a.p.version, b.p.version))[0];
  if (previous && publish && !sameSigner(previous.p.signer, publish.signer))
    warnings.push(
      `!!! SIGNER CHANGED: ${publish.model}@${publish.version} is signed by ${describeSigner(publish.signer)}, the previous version ${previous.p.version} by ${describeSigner(previous.p.signer)} !!!`,
    );
  const same = earlier.find(({ p }) => p.rootDigest === publish?.rootDigest && p.version !== publish?.version);
  if (same && publish)
    warnings.push(
      `${publish.model}@${publish.version} has the same signed content as ${same.p.model}@${same.p.version} (logged at ${same.i}): versions are not signed, only content`,
    );

  return report({
    ...(version ? { version } : {}),
    ...(verified ? { signer: verified.signer, verified } : {}),
    ...(signerSource && verified ? { signerSource } : {}),
    policySource,
    ...(yanked ? { yanked } : {}),
    ...(scan ? { scan } : {}),
    ...(log ? { log } : {}),
    ...(publish ? { files: publish.files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })) } : {}),
    verifiedAttestations,
    ...(attestedScan.length ? { attestedScan } : {}),
  });
}
