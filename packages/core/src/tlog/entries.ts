/**
 * Log entries: canonical JSON (sorted keys, no white space) so that the leaf bytes of an event are fixed by its
 * data. Entries are never rewritten; `v` versions the entry format.
 */
import { ModelsecError } from '../errors/index.js';
import { canonicalJson } from '../util/index.js';

export const LOG_ENTRY_FORMAT_VERSION = 1;

/** Largest entry accepted from a server: entries list digests, never file contents. */
export const MAX_LOG_ENTRY_BYTES = 1_048_576;

export interface PublishEntry {
  type: 'publish';
  namespace: string;
  model: string;
  version: string;
  rootDigest: string;
  bundleDigest: string;
  signer: { kind: string; identity?: string; issuer?: string; keyFingerprint?: string };
  attachments: { kind: string; digest: string; predicateType?: string }[];
  files?: { path: string; digest: string }[];
  at: string;
}
export interface YankEntry {
  type: 'yank';
  namespace: string;
  model: string;
  version: string;
  reason: string;
  at: string;
}
export interface PolicyEntry {
  type: 'policy';
  namespace: string;
  policyVersion: number;
  policyDigest: string;
  at: string;
}
export interface NamespaceEntry {
  type: 'namespace';
  namespace: string;
  public: boolean;
  at: string;
}
export type LogEntry = PublishEntry | YankEntry | PolicyEntry | NamespaceEntry;

export const LOG_ENTRY_TYPES = ['publish', 'yank', 'policy', 'namespace'] as const;

/** The exact leaf bytes of an entry. Attachments and files are sorted so equal content gives equal bytes. */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const normalized: Record<string, unknown> = { ...entry, v: LOG_ENTRY_FORMAT_VERSION };
  if (entry.type === 'publish') {
    normalized.attachments = [...entry.attachments].sort((a, b) =>
      `${a.kind}\u0000${a.digest}` < `${b.kind}\u0000${b.digest}` ? -1 : 1,
    );
    if (entry.files) normalized.files = [...entry.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return new Uint8Array(Buffer.from(canonicalJson(normalized), 'utf8'));
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
  if (typeof rec.namespace !== 'string') throw bad('entry has no namespace');
  if (canonicalJson(value) !== Buffer.from(bytes).toString('utf8')) throw bad('entry is not canonical JSON');
  return value as LogEntry & { v: number };
}

function bad(message: string, cause?: unknown): ModelsecError {
  return new ModelsecError('LOG_INCONSISTENT', `log entry: ${message}`, cause ? { cause } : undefined);
}
