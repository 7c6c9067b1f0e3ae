/**
 * Gathering evidence from a registry for the one gate (verifier.ts): the log comes from the client's verified
 * mirror (log-mirror.ts), every other byte from the registry's blob store by the digest the verified log entry names.
 * Nothing the registry says in API JSON is used to decide: API answers are not even read.
 */
import { readFile } from 'node:fs/promises';
import { ModelsecError } from '@modelsec/core/errors';
import { MAX_BUNDLE_BYTES } from '@modelsec/core/signing';
import { type NoteVerifier, type OpenEntry, parseVerifierKey } from '@modelsec/core/tlog';
import semver from 'semver';
import { ensureTrustStore, keyChanged, logStateFile, readLogState, writeLogState } from '../log/log-client.js';
import type { LoggedPublishEntry } from '../log/publish-entry-type.js';
import type { PolicySigner } from '../policy/policy.js';
import {
  type Evidence,
  type EvidenceBlob,
  type Expectation,
  type LocalModelEvidence,
  type LoggedLeaf,
  parsePublishEntry,
  parseYankEntry,
  type TrustAnchors,
} from './evidence.js';
import type { LocalPolicy } from './local-policy.js';
import { versionMatches } from './local-policy.js';
import { DEFAULT_MAX_CHECKPOINT_AGE_SECONDS, LogMirror, MAX_LOG_SMALL_ANSWER_BYTES } from './log-mirror.js';
import type { RegistryClient } from './registry-client.js';
import { yankedRootsOf } from './verifier.js';

/** Largest attestation or ML-BOM blob downloaded as evidence (a CycloneDX ML-BOM of a big model is a few MB). */
export const MAX_EVIDENCE_BLOB_BYTES = 64 * 1024 * 1024;
/** Most attestations of one version fetched as evidence (the registry accepts a handful per push). */
export const MAX_EVIDENCE_ATTESTATIONS = 32;
/**
 * Most bytes of attestations and ML-BOM held in memory for one gate, all together: 32 logged attestations of 64 MB
 * each (cheap to serve gzip-encoded) would otherwise make the client buffer 2 GB. Past it, what is left is not
 * fetched (the gate then reports it as not served).
 */
export const MAX_EVIDENCE_TOTAL_BYTES = 128 * 1024 * 1024;

/** How the client trusts: everything local. */
export interface ClientTrustOptions {
  configDir: string;
  /** The pinned log verifier key text (from --log-key FILE or the local policy `log.key`). */
  logKey?: string;
  witnesses?: string[];
  witnessQuorum?: number;
  /**
   * The checkpoint age bound in seconds (--max-checkpoint-age; 0 = none); default the local policy's
   * `log.maxCheckpointAgeSeconds`, else DEFAULT_MAX_CHECKPOINT_AGE_SECONDS when witnesses are trusted.
   */
  maxCheckpointAgeSeconds?: number;
  /** A checkpoint note (--log-checkpoint FILE) the log must be consistent with. */
  pinnedCheckpoint?: string;
  cliSigners?: PolicySigner[];
  localPolicy?: LocalPolicy;
  sigstoreTrustedRoot?: unknown;
  now?: Date;
}

export interface OpenedLog {
  mirror: LogMirror;
  verifier: NoteVerifier;
  /** pinned: given by the caller; known: stored by an earlier run; first-use: served now and stored (TOFU). */
  keyTrust: 'pinned' | 'known' | 'first-use';
  trust: TrustAnchors;
}

/**
 * The log key: pinned (caller), else the key stored for this registry by an earlier run (TOFU), else the served one
 * on first use (stored now). A served key that differs from a pinned or stored one is LOG_KEY_MISMATCH.
 */
async function resolveLogKey(
  client: RegistryClient,
  options: ClientTrustOptions,
): Promise<{ verifier: NoteVerifier; keyTrust: OpenedLog['keyTrust']; remember: () => Promise<void> }> {
  const served = await client.getBytes('/v1/log/key', MAX_LOG_SMALL_ANSWER_BYTES);
  if (served.status !== 200)
    throw new ModelsecError('LOG_PROOF_INVALID', `the registry answered ${served.status} for its log key`);
  const servedKey = parseVerifierKey(Buffer.from(served.bytes).toString('utf8').trim());
  await ensureTrustStore(options.configDir);
  const file = logStateFile(options.configDir, client.baseUrl);
  const pinnedText = options.logKey ?? options.localPolicy?.log?.key;
  if (pinnedText !== undefined) {
    const pinned = parseVerifierKey(pinnedText.trim());
    if (pinned.text !== servedKey.text) throw keyChanged(client.baseUrl, pinned.text, servedKey.text, 'the pinned log key');
    return { verifier: pinned, keyTrust: 'pinned', remember: async () => undefined };
  }
  const state = await readLogState(file);
  if (state) {
    const known = parseVerifierKey(state.key);
    if (known.text !== servedKey.text) throw keyChanged(client.baseUrl, known.text, servedKey.text, file);
    return { verifier: known, keyTrust: 'known', remember: async () => undefined };
  }
  // First use: the key is stored only once a checkpoint and the log verified under it (openVerifiedLog).
  return {
    verifier: servedKey,
    keyTrust: 'first-use',
    remember: () => writeLogState(file, { registry: client.baseUrl, key: servedKey.text }),
  };
}

/** Verifies and updates the local mirror of the registry's log, opening the sealed entries of `namespaces`. */
export async function openVerifiedLog(
  client: RegistryClient,
  namespaces: readonly string[],
  options: ClientTrustOptions,
): Promise<OpenedLog> {
  const { verifier, keyTrust, remember } = await resolveLogKey(client, options);
  const witnesses = options.witnesses ?? options.localPolicy?.log?.witnesses;
  const witnessQuorum = options.witnessQuorum ?? options.localPolicy?.log?.witnessQuorum;
  const maxCheckpointAgeSeconds =
    options.maxCheckpointAgeSeconds ??
    options.localPolicy?.log?.maxCheckpointAgeSeconds ??
    (witnesses?.length ? DEFAULT_MAX_CHECKPOINT_AGE_SECONDS : 0);
  const mirror = await LogMirror.sync(client, {
    configDir: options.configDir,
    verifier,
    ...(witnesses?.length ? { witnesses } : {}),
    ...(witnessQuorum !== undefined ? { witnessQuorum } : {}),
    ...(maxCheckpointAgeSeconds ? { maxCheckpointAgeSeconds } : {}),
    ...(options.pinnedCheckpoint !== undefined ? { pinnedCheckpoint: options.pinnedCheckpoint } : {}),
    namespaces,
    ...(options.now ? { now: options.now } : {}),
  });
  await remember();
  const trust: TrustAnchors = {
    logKey: verifier.text,
    logKeyPinned: keyTrust !== 'first-use',
    ...(witnesses?.length ? { witnesses } : {}),
    ...(witnessQuorum !== undefined ? { witnessQuorum } : {}),
    ...(maxCheckpointAgeSeconds ? { maxCheckpointAgeSeconds } : {}),
    ...(options.cliSigners?.length ? { cliSigners: options.cliSigners } : {}),
    ...(options.localPolicy ? { localPolicy: options.localPolicy } : {}),
    ...(options.sigstoreTrustedRoot !== undefined ? { sigstoreTrustedRoot: options.sigstoreTrustedRoot } : {}),
  };
  return { mirror, verifier, keyTrust, trust };
}

export interface Candidate {
  index: number;
  entry: LoggedPublishEntry;
  expectation: Expectation;
  yanked: boolean;
}

/** Publish entries of the mirror matching an expectation (unparseable entries are skipped: the gate reports them). */
export async function candidatesFor(
  mirror: LogMirror,
  expectations: readonly Expectation[],
  /** Receives the indices of publish entries of the expected models that cannot be read (log format v1, malformed). */
  unreadable: number[] = [],
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const ns of [...new Set(expectations.map((e) => e.namespace))]) {
    const entries = await mirror.entriesOf(ns);
    const yankedRoots = new Set<string>();
    const yankedVersions = new Set<string>();
    for (const { index, entry } of entries)
      if (entry.type === 'yank') {
        try {
          const y = parseYankEntry(index, entry as OpenEntry);
          for (const root of yankedRootsOf(
            y,
            entries.map((m) => [m.index, m.entry as OpenEntry] as const),
          ))
            yankedRoots.add(root);
          yankedVersions.add(`${y.model}@${y.version}`);
        } catch {
          // reported by the gate when it matters
        }
      }
    for (const { index, entry } of entries) {
      if (entry.type !== 'publish') continue;
      let parsed: LoggedPublishEntry;
      try {
        parsed = parsePublishEntry(index, entry as OpenEntry);
      } catch {
        if (
          expectations.some(
            (e) => e.namespace === ns && (e.model === '*' || e.model === (entry as OpenEntry & { model?: string }).model),
          )
        )
          unreadable.push(index);
        continue;
      }
      const expectation = expectations.find(
        (e) => e.namespace === ns && (e.model === '*' || e.model === parsed.model) && versionMatches(parsed.version, e.range),
      );
      if (!expectation) continue;
      out.push({
        index,
        entry: parsed,
        expectation,
        yanked: yankedRoots.has(parsed.rootDigest) || yankedVersions.has(`${parsed.model}@${parsed.version}`),
      });
    }
  }
  return out;
}

/** Best first: not yanked, then the highest version, then the latest entry. */
export function rankCandidates(list: readonly Candidate[]): Candidate[] {
  return [...list].sort(
    (a, b) =>
      Number(a.yanked) - Number(b.yanked) ||
      semver.rcompare(a.entry.version, b.entry.version) ||
      a.entry.model.localeCompare(b.entry.model) ||
      b.index - a.index,
  );
}

async function blob(client: RegistryClient, namespace: string, digest: string, limit: number): Promise<Uint8Array | undefined> {
  try {
    const r = await client.getBytes(`/v1/namespaces/${namespace}/blobs/${digest}`, limit);
    // An unknown or under-scoped token is the caller's problem to fix, not evidence the registry withheld.
    if (r.status === 401) throw new ModelsecError('UNAUTHENTICATED', `the registry does not accept the token (${namespace})`);
    if (r.status === 403) throw new ModelsecError('FORBIDDEN', `the token may not read '${namespace}'`);
    return r.status === 200 ? r.bytes : undefined;
  } catch (error) {
    if (error instanceof ModelsecError && error.code === 'LIMIT_EXCEEDED') return undefined;
    throw error;
  }
}

/** The evidence of one logged version: the namespace's verified leaves, the bundle and attachments by digest. */
export async function gatherEvidence(
  client: RegistryClient,
  mirror: LogMirror,
  candidate: Candidate,
  local?: LocalModelEvidence,
): Promise<Evidence> {
  const ns = candidate.entry.namespace;
  const leaves: LoggedLeaf[] = (await mirror.entriesOf(ns)).map((m) => ({
    index: m.index,
    leaf: m.leaf,
    proof: mirror.inclusionProof(m.index),
    ...(m.opening ? { opening: m.opening } : {}),
  }));
  const bundle = await blob(client, ns, candidate.entry.bundleDigest, MAX_BUNDLE_BYTES);
  let budget = MAX_EVIDENCE_TOTAL_BYTES;
  const fetchBlob = async (digest: string) => {
    if (budget <= 0) return undefined;
    const bytes = await blob(client, ns, digest, Math.min(MAX_EVIDENCE_BLOB_BYTES, budget));
    budget -= bytes?.length ?? 0;
    return bytes;
  };
  // The ML-BOM first: a policy's licence and dependency rules read it, and attestations must not crowd it out.
  const bom = candidate.entry.attachments.find((x) => x.kind === 'mlbom');
  const bomBytes = bom ? await fetchBlob(bom.digest) : undefined;
  const attestations: EvidenceBlob[] = [];
  for (const a of candidate.entry.attachments.filter((x) => x.kind === 'attestation').slice(0, MAX_EVIDENCE_ATTESTATIONS)) {
    const bytes = await fetchBlob(a.digest);
    if (bytes) attestations.push({ digest: a.digest, bytes });
  }
  return {
    expected: candidate.expectation,
    log: { checkpoint: mirror.checkpoint, leaves, publishIndex: candidate.index, complete: true },
    ...(bundle ? { bundle } : {}),
    attestations,
    ...(bom && bomBytes ? { mlbom: { digest: bom.digest, bytes: bomBytes } } : {}),
    ...(local ? { local } : {}),
  };
}

/** Reads a file the user named as a trust input (USAGE-style FILE_NOT_FOUND naming the flag). */
export async function readTrustFile(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ModelsecError('FILE_NOT_FOUND', `${flag} ${file}: cannot read it`, { cause, details: { file, flag } });
  }
}
