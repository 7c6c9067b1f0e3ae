/**
 * "Verified in your browser": a version's publish entry, its inclusion proof and the signed checkpoint, checked here
 * against the log key the auditor pinned, plus the consistency of the new checkpoint with the last one this browser
 * verified. Nothing the API's JSON says is trusted: the entry's own bytes are compared with what the page shows.
 *
 * The pinned key and the last checkpoint live in localStorage (per browser profile, like an SSH known_hosts).
 */
import { equalBytes, hashLeaf, sha256, verifyConsistency, verifyInclusion } from './merkle.js';
import { type Checkpoint, fromBase64, fromHex, type LogKey, parseLogKey, toHex, verifyCheckpoint } from './note.js';

export const PINNED_KEY_STORAGE = 'modelsec.logKey';
export const LAST_CHECKPOINT_STORAGE = 'modelsec.lastCheckpoint';
/** Domain of sealed-entry commitments (core tlog/entries.ts SEAL_DOMAIN). */
export const SEAL_DOMAIN = 'modelsec-log-seal/v1\n';
/** Largest log entry read (core MAX_LOG_ENTRY_BYTES: entries list digests, never file contents). */
export const MAX_LOG_ENTRY_BYTES = 4 * 1_048_576;

export interface LogApi {
  text(path: string): Promise<string>;
  bytes(path: string): Promise<Uint8Array>;
  json<T>(path: string): Promise<T>;
}

export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Step {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProofReport {
  ok: boolean;
  steps: Step[];
  checkpoint?: Checkpoint;
  index?: number;
  /** The open entry as the log holds it (after opening a sealed leaf). */
  entry?: Record<string, unknown>;
}

/** What the page shows of the version, to hold against the logged entry. */
export interface ShownVersion {
  namespace: string;
  model: string;
  version: string;
  rootDigest: string;
  bundleDigest: string;
  files: { path: string; digest: string; size: number }[];
}

interface StoredCheckpoint {
  key: string;
  size: number;
  root: string;
}

export async function pinnedKey(store: KeyStore): Promise<LogKey | undefined> {
  const text = store.getItem(PINNED_KEY_STORAGE);
  return text ? parseLogKey(text) : undefined;
}

export async function pinKey(store: KeyStore, text: string): Promise<LogKey> {
  const key = await parseLogKey(text);
  if (store.getItem(PINNED_KEY_STORAGE) !== key.text) store.removeItem(LAST_CHECKPOINT_STORAGE);
  store.setItem(PINNED_KEY_STORAGE, key.text);
  return key;
}

export function forgetKey(store: KeyStore): void {
  store.removeItem(PINNED_KEY_STORAGE);
  store.removeItem(LAST_CHECKPOINT_STORAGE);
}

function lastSeen(store: KeyStore, key: LogKey): StoredCheckpoint | undefined {
  try {
    const parsed = JSON.parse(store.getItem(LAST_CHECKPOINT_STORAGE) ?? 'null') as StoredCheckpoint | null;
    return parsed && parsed.key === key.text && Number.isSafeInteger(parsed.size) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Checks the signed checkpoint and its consistency with the last one this browser saw (then remembers it). */
export async function verifyLatestCheckpoint(
  api: LogApi,
  store: KeyStore,
  key: LogKey,
  steps: Step[],
): Promise<Checkpoint | undefined> {
  let checkpoint: Checkpoint;
  try {
    checkpoint = await verifyCheckpoint(await api.text('/v1/log/checkpoint'), key);
    steps.push({
      name: 'checkpoint signature',
      ok: true,
      detail: `size ${checkpoint.size}, root ${checkpoint.rootText}, signed by ${key.name}`,
    });
  } catch (error) {
    steps.push({ name: 'checkpoint signature', ok: false, detail: message(error) });
    return undefined;
  }
  const previous = lastSeen(store, key);
  if (!previous) {
    steps.push({
      name: 'consistency with the last checkpoint seen',
      ok: true,
      detail: 'first checkpoint this browser verifies for this key',
    });
  } else {
    const previousRoot = fromBase64(previous.root);
    let ok: boolean;
    let detail: string;
    if (checkpoint.size < previous.size) {
      ok = false;
      detail = `the log shrank: ${checkpoint.size} entries now, ${previous.size} seen before`;
    } else if (checkpoint.size === previous.size) {
      ok = equalBytes(previousRoot, checkpoint.rootHash);
      detail = ok
        ? `same tree as before (size ${previous.size})`
        : `FORK: another root for size ${previous.size} than the one seen before`;
    } else {
      try {
        const proof = await api.json<{ hashes: string[] }>(
          `/v1/log/proofs/consistency?from=${previous.size}&to=${checkpoint.size}`,
        );
        ok = await verifyConsistency(
          previous.size,
          checkpoint.size,
          previousRoot,
          checkpoint.rootHash,
          proof.hashes.map(fromBase64),
        );
        detail = ok
          ? `size ${previous.size} → ${checkpoint.size}: the earlier tree is a prefix of this one`
          : `FORK: the consistency proof ${previous.size} → ${checkpoint.size} does not verify (history rewritten)`;
      } catch (error) {
        ok = false;
        detail = `no consistency proof ${previous.size} → ${checkpoint.size}: ${message(error)}`;
      }
    }
    steps.push({ name: 'consistency with the last checkpoint seen', ok, detail });
    if (!ok) return undefined;
  }
  store.setItem(
    LAST_CHECKPOINT_STORAGE,
    JSON.stringify({ key: key.text, size: checkpoint.size, root: checkpoint.rootText } satisfies StoredCheckpoint),
  );
  return checkpoint;
}

function sameFiles(a: ShownVersion['files'], b: unknown): boolean {
  if (!Array.isArray(b) || a.length !== b.length) return false;
  const sorted = [...a].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return sorted.every((f, i) => {
    const g = b[i] as { path?: unknown; digest?: unknown; size?: unknown };
    return g.path === f.path && g.digest === f.digest && g.size === f.size;
  });
}

/** The whole check for one version. `ok` only when every step passed. */
export async function verifyVersionInLog(api: LogApi, store: KeyStore, key: LogKey, shown: ShownVersion): Promise<ProofReport> {
  const steps: Step[] = [];
  const checkpoint = await verifyLatestCheckpoint(api, store, key, steps);
  if (!checkpoint) return { ok: false, steps };
  const report: ProofReport = { ok: false, steps, checkpoint };
  let index: number;
  try {
    const q = new URLSearchParams({ namespace: shown.namespace, model: shown.model, version: shown.version });
    index = (await api.json<{ index: number }>(`/v1/log/lookup?${q.toString()}`)).index;
    if (!Number.isSafeInteger(index) || index < 0) throw new Error('the lookup answered no index');
    if (index >= checkpoint.size) throw new Error(`entry ${index} is past the checkpoint (size ${checkpoint.size})`);
    report.index = index;
  } catch (error) {
    steps.push({ name: 'log entry', ok: false, detail: message(error) });
    return report;
  }
  let leaf: Uint8Array;
  try {
    leaf = await api.bytes(`/v1/log/entries/${index}`);
    if (leaf.length > MAX_LOG_ENTRY_BYTES) throw new Error(`entry larger than ${MAX_LOG_ENTRY_BYTES} bytes`);
    const proof = await api.json<{ hashes: string[] }>(`/v1/log/proofs/inclusion?index=${index}&size=${checkpoint.size}`);
    const ok = await verifyInclusion(
      index,
      checkpoint.size,
      await hashLeaf(leaf),
      proof.hashes.map(fromBase64),
      checkpoint.rootHash,
    );
    steps.push({
      name: 'inclusion proof',
      ok,
      detail: ok
        ? `entry ${index} is in the signed tree of size ${checkpoint.size}`
        : `entry ${index} and its proof do not lead to the signed root: the entry or the proof was altered`,
    });
    if (!ok) return report;
  } catch (error) {
    steps.push({ name: 'inclusion proof', ok: false, detail: message(error) });
    return report;
  }
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(leaf)) as Record<string, unknown>;
    if (entry.type === 'sealed') {
      const opening = await api.json<{ salt: string; entry: string }>(`/v1/log/openings/${index}`);
      const bytes = new TextEncoder().encode(opening.entry);
      const commitment = toHex(await sha256(new TextEncoder().encode(SEAL_DOMAIN), fromHex(opening.salt), bytes));
      if (commitment !== entry.commitment) throw new Error('the opening of the sealed entry does not match its commitment');
      entry = JSON.parse(opening.entry) as Record<string, unknown>;
      steps.push({ name: 'sealed entry opened', ok: true, detail: 'salt and entry hash to the logged commitment' });
    }
    report.entry = entry;
  } catch (error) {
    steps.push({ name: 'entry contents', ok: false, detail: message(error) });
    return report;
  }
  const mismatches: string[] = [];
  if (entry.type !== 'publish') mismatches.push(`type ${String(entry.type)}`);
  for (const field of ['namespace', 'model', 'version', 'rootDigest', 'bundleDigest'] as const)
    if (entry[field] !== shown[field]) mismatches.push(field);
  if (!sameFiles(shown.files, entry.files)) mismatches.push('files');
  steps.push({
    name: 'entry matches this page',
    ok: mismatches.length === 0,
    detail:
      mismatches.length === 0
        ? 'name, root digest, signature bundle digest and every file (path, size, sha256) are the logged ones'
        : `the log says otherwise about: ${mismatches.join(', ')}`,
  });
  report.ok = steps.every((s) => s.ok);
  return report;
}
