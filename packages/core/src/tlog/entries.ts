/**
 * Log entries: canonical JSON (sorted keys, no white space) so that the leaf bytes of an event are fixed by its
 * data. Entries are never rewritten; `v` versions the entry format.
 *
 * Format v2 (this file is the contract between the registry that writes entries and every client that reads them):
 * - `publish` binds a version to everything a gate decides on: the verified root digest and bundle digest, the signer
 *   as verified at push, the files, the attachments, and the registry's scan verdict (its summary and the digest of
 *   the full report blob). A client needs nothing from the API's JSON to decide.
 * - `yank` names the root digest it yanks (a yank binds content, not a version string).
 * - `policy` carries the policy document itself (a client may take signers from it after verifying inclusion).
 * - `sealed` replaces any entry of a private namespace in the public log: a salted commitment to the canonical bytes
 *   of the real entry. Readers with access get the opening (salt + entry) and check it against the commitment, so the
 *   log stays auditable for consistency and inclusion without revealing private names, digests or signers.
 *   The registry also seals an entry of a public namespace whose canonical bytes exceed 65,535 bytes (what a C2SP
 *   entry bundle can carry); its opening is readable to everyone who can read that namespace. So: a sealed leaf
 *   means "fetch the opening", never "private" by itself.
 * - Entries written before format v2 (`v: 1`) stay in the log as they are (append-only) and still decode; a client
 *   deciding on v2 fields (files' sizes, scan) must treat a v1 publish entry as lacking them.
 */
import { createHash } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';
import { canonicalJson } from '../util/index.js';

export const LOG_ENTRY_FORMAT_VERSION = 2;

/** Largest entry accepted from a server: entries list digests, never file contents. */
export const MAX_LOG_ENTRY_BYTES = 4 * 1_048_576;

/** The signer as the registry verified it at push (exactly one of the three kinds). */
export interface LoggedSigner {
  kind: 'key' | 'certificate' | 'sigstore';
  /**
   * Key signers: core `keyHint` of the verified public key, i.e. lowercase sha256 hex of its SPKI PEM text as
   * node:crypto exports it (the OMS bundle's `publicKey.hint`).
   */
  keyFingerprint?: string;
  /** Certificate subject (certificate signers) or Sigstore identity (SAN). */
  identity?: string;
  /** OIDC issuer (Sigstore signers). */
  issuer?: string;
}

export type LoggedScanVerdict = 'clean' | 'findings' | 'incomplete';

/** The registry's scan at push, as logged: what a client's gate reads (core evaluateGate on the summary). */
export interface LoggedScan {
  status: 'scanned' | 'not-scanned';
  /** Scanner name and version, e.g. `modelsec 0.2.0`. */
  scanner: string;
  /** Highest active severity over all files, or null. */
  maxSeverity: 'info' | 'low' | 'medium' | 'high' | 'critical' | null;
  /** Files whose verdict is incomplete. */
  incompleteFiles: number;
  /** Files per verdict. */
  verdicts: Record<LoggedScanVerdict, number>;
  /**
   * sha256 hex of the registry's full scan report blob (canonical JSON, schemas/scan-report.schema.json, files by
   * manifest path), readable to namespace readers at GET /v1/namespaces/{ns}/blobs/{digest} (the version's
   * `registry-scan` attachment). Null when not scanned.
   */
  reportDigest: string | null;
}

export interface PublishEntry {
  type: 'publish';
  namespace: string;
  model: string;
  version: string;
  /** OMS root digest verified at push (sha256 hex). */
  rootDigest: string;
  /** sha256 hex of the signature bundle blob (model.sig) exactly as stored and served. */
  bundleDigest: string;
  signer: LoggedSigner;
  /**
   * Attachments, sorted by kind then digest: the ML-BOM (validated at push), attestations whose signature, signer
   * and subject verified (with their predicate type), and `scan-report`: a report the PUSHER named in its manifest,
   * logged so it cannot change, but only the pusher's claim. The registry's verdict is `scan` below.
   */
  attachments: { kind: 'mlbom' | 'attestation' | 'scan-report'; digest: string; predicateType?: string }[];
  /** Files with their digests and sizes, sorted by path. */
  files: { path: string; digest: string; size: number }[];
  scan: LoggedScan;
  /** The root digest was yanked before and an admin allowed it again (audited). */
  yankOverride?: true;
  at: string;
}

export interface YankEntry {
  type: 'yank';
  namespace: string;
  model: string;
  version: string;
  /** The yanked content: a later push of the same root digest is refused (admin override aside). */
  rootDigest: string;
  reason: string;
  at: string;
}

export interface PolicyEntry {
  type: 'policy';
  namespace: string;
  policyVersion: number;
  /** sha256 hex of the canonical JSON of `policy`. */
  policyDigest: string;
  /** The policy document (schemas/policy.schema.json). */
  policy: Record<string, unknown>;
  at: string;
}

export interface NamespaceEntry {
  type: 'namespace';
  namespace: string;
  public: boolean;
  at: string;
}

/** The public stand-in for an entry of a private namespace. */
export interface SealedEntry {
  type: 'sealed';
  /** sha256 hex of SEAL_DOMAIN || salt || canonical bytes of the real entry (see sealCommitment). */
  commitment: string;
}

export type OpenEntry = PublishEntry | YankEntry | PolicyEntry | NamespaceEntry;
export type LogEntry = OpenEntry | SealedEntry;

export const LOG_ENTRY_TYPES = ['publish', 'yank', 'policy', 'namespace', 'sealed'] as const;

/** What an authorised reader gets for a sealed entry. */
export interface SealOpening {
  /** Index of the sealed leaf. */
  index: number;
  /** 32 random bytes, hex. */
  salt: string;
  /** The real entry's canonical bytes as a string (decodeLogEntry accepts it). */
  entry: string;
}

/** Domain separation for commitments (never confused with any other sha256 in the system). */
export const SEAL_DOMAIN = 'modelsec-log-seal/v1\n';
/** Salt length in bytes: 256 bits, so a commitment to a guessable entry cannot be brute-forced. */
export const SEAL_SALT_BYTES = 32;

function sortedCopy(entry: OpenEntry): Record<string, unknown> {
  const normalized: Record<string, unknown> = { ...entry, v: LOG_ENTRY_FORMAT_VERSION };
  if (entry.type === 'publish') {
    normalized.attachments = [...entry.attachments].sort((a, b) =>
      `${a.kind}\u0000${a.digest}` < `${b.kind}\u0000${b.digest}`
        ? -1
        : `${a.kind}\u0000${a.digest}` > `${b.kind}\u0000${b.digest}`
          ? 1
          : 0,
    );
    normalized.files = [...entry.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return normalized;
}

/** The exact leaf bytes of an entry. Attachments and files are sorted so equal content gives equal bytes. */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const normalized = entry.type === 'sealed' ? { ...entry, v: LOG_ENTRY_FORMAT_VERSION } : sortedCopy(entry);
  return new Uint8Array(Buffer.from(canonicalJson(normalized), 'utf8'));
}

/** The commitment of a sealed entry to the real entry's bytes. */
export function sealCommitment(salt: Uint8Array, entryBytes: Uint8Array): string {
  if (salt.length !== SEAL_SALT_BYTES) throw bad(`seal salt must be ${SEAL_SALT_BYTES} bytes`);
  return createHash('sha256').update(SEAL_DOMAIN).update(salt).update(entryBytes).digest('hex');
}

/** Seals an entry: the public leaf and the opening kept for authorised readers. */
export function sealLogEntry(entry: OpenEntry, salt: Uint8Array): { sealed: SealedEntry; entryBytes: Uint8Array } {
  const entryBytes = encodeLogEntry(entry);
  return { sealed: { type: 'sealed', commitment: sealCommitment(salt, entryBytes) }, entryBytes };
}

/**
 * Opens a sealed leaf: the opening must hash to the leaf's commitment and hold a canonical open entry. Returns the
 * real entry; throws LOG_INCONSISTENT otherwise.
 */
export function openSealedEntry(leaf: Uint8Array, opening: Pick<SealOpening, 'salt' | 'entry'>): OpenEntry & { v: number } {
  const sealed = decodeLogEntry(leaf);
  if (sealed.type !== 'sealed') throw bad('the leaf is not sealed');
  if (!/^[0-9a-f]{64}$/.test(opening.salt)) throw bad('the opening salt is not 32 bytes of hex');
  const entryBytes = new Uint8Array(Buffer.from(opening.entry, 'utf8'));
  if (sealCommitment(Buffer.from(opening.salt, 'hex'), entryBytes) !== sealed.commitment)
    throw bad('the opening does not match the commitment');
  const inner = decodeLogEntry(entryBytes);
  if (inner.type === 'sealed') throw bad('a sealed entry cannot seal another');
  return inner;
}

/** Parses leaf bytes back into an entry; refuses anything that is not the canonical encoding of a known entry. */
export function decodeLogEntry(bytes: Uint8Array): LogEntry & { v: number } {
  if (bytes.length > MAX_LOG_ENTRY_BYTES) throw bad(`entry larger than ${MAX_LOG_ENTRY_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw bad('entry is not JSON', cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('entry is not an object');
  const rec = value as Record<string, unknown>;
  if (!LOG_ENTRY_TYPES.includes(rec.type as (typeof LOG_ENTRY_TYPES)[number]))
    throw bad(`unknown entry type ${JSON.stringify(rec.type)}`);
  if (rec.type === 'sealed') {
    if (typeof rec.commitment !== 'string' || !/^[0-9a-f]{64}$/.test(rec.commitment)) throw bad('sealed entry has no commitment');
  } else if (typeof rec.namespace !== 'string') throw bad('entry has no namespace');
  if (typeof rec.v !== 'number') throw bad('entry has no format version');
  if (canonicalJson(value) !== Buffer.from(bytes).toString('utf8')) throw bad('entry is not canonical JSON');
  return value as LogEntry & { v: number };
}

function bad(message: string, cause?: unknown): ModelsecError {
  return new ModelsecError('LOG_INCONSISTENT', `log entry: ${message}`, cause ? { cause } : undefined);
}
