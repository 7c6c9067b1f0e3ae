/**
 * The client's verified copy of a registry's transparency log, kept under the CLI config dir and keyed by the log's
 * origin and key. Each sync:
 * 1. verifies the served checkpoint with the pinned log key (and, when asked, a quorum of witness cosignatures);
 * 2. proves it consistent with the checkpoint stored by the last sync and with a checkpoint pinned by the caller
 *    (`--log-checkpoint`): a log that shrank, forked or was rewritten fails with LOG_INCONSISTENT;
 * 3. fetches only the new leaves (C2SP tlog-tiles entry bundles, one entry at a time where a bundle is not served)
 *    and checks that ALL stored leaves plus the new ones hash to the signed root: every entry the client later
 *    reads is proven to be in the signed log, and the absence of an entry (no yank, no newer policy) can be relied on;
 * 4. opens the sealed leaves of the namespaces it is asked about, with the openings the token may read, each checked
 *    against its commitment and required to belong to the namespace asked for.
 * Nothing is written until everything verified. A mirror directory is locked while it is updated.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import {
  type Checkpoint,
  type CosignerVerifier,
  decodeLogEntry,
  equalBytes,
  hashLeaf,
  type LogEntry,
  MAX_LOG_ENTRY_BYTES,
  MerkleTree,
  type NoteVerifier,
  type OpenEntry,
  openSealedEntry,
  parseCosignerVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyWitnessQuorum,
} from '@modelsec/core/tlog';
import { ensurePrivateDir, ensureTrustStore } from '../log/log-client.js';
import { tileIndexPath } from '../log/tiles.js';

/** Entries per C2SP entry bundle (tlog-tiles: 256). */
export const MIRROR_BUNDLE_WIDTH = 256;
/** Largest entry bundle read: 256 entries of at most 65535 bytes each, with their 2-byte lengths. */
export const MAX_ENTRY_BUNDLE_BYTES = MIRROR_BUNDLE_WIDTH * (2 + 0xffff);
/** Largest checkpoint or proof answer read (a checkpoint with 100 signature lines is a few KB). */
export const MAX_LOG_SMALL_ANSWER_BYTES = 1_048_576;
/**
 * Most leaves a mirror holds: 32 bytes of leaf hash each in memory (160 MB at the limit). A checkpoint claiming more
 * is refused with LIMIT_EXCEEDED rather than making the client download without end.
 */
export const MAX_MIRROR_ENTRIES = 5_000_000;
/**
 * Longest one log sync may take. Each read is bounded by the client's read limits; this bounds their sum, so a
 * registry serving a signed checkpoint of millions of entries one request at a time (no tiles) fails the gate in
 * bounded time instead of holding a CI job for days.
 */
export const MIRROR_SYNC_DEADLINE_MS = 30 * 60_000;
/** Most bytes of new leaves one sync fetches (they are held until the new tree verifies). */
export const MAX_MIRROR_FETCH_BYTES = 1024 * 1024 * 1024;
/** Largest openings page read (a page of openings holds entries of at most MAX_LOG_ENTRY_BYTES). */
export const MAX_OPENINGS_PAGE_BYTES = 64 * 1024 * 1024;
/**
 * How far an entry's time may be before an earlier entry's, or after the client's clock: registry processes on one
 * database read their clocks independently, so times interleave by a little. Entry times are trusted signing times
 * (a certificate must be valid then): a registry must not be able to backdate an entry by more than this.
 */
export const MAX_LOG_TIME_SKEW_MS = 5 * 60_000;
/** How long a sync waits for another process holding the mirror lock before giving up. */
export const MIRROR_LOCK_TIMEOUT_MS = 60_000;
/** A lock file older than this was left by a crashed process and is removed. */
export const MIRROR_LOCK_STALE_MS = 10 * 60_000;

/** How a client reaches the log: GET of a path, body bounded by `limit`. RegistryClient.getBytes implements it. */
export interface LogTransport {
  getBytes(path: string, limit: number): Promise<{ status: number; bytes: Uint8Array }>;
}

export interface MirrorSyncOptions {
  /** Directory holding mirrors (`<configDir>/logs/...`). */
  configDir: string;
  /** The verifier the checkpoint must be signed by (already pinned or trusted by the caller). */
  verifier: NoteVerifier;
  /** Witness verifier keys and how many of them must have cosigned the checkpoint. */
  witnesses?: readonly string[];
  witnessQuorum?: number;
  /** A checkpoint note seen before (e.g. by an earlier CI job): the log must be consistent with it. */
  pinnedCheckpoint?: string;
  /** Namespaces whose sealed leaves to open (openings the token may read). */
  namespaces?: readonly string[];
  /** Time for witness timestamps (no cosignature from the future). */
  now?: Date;
  /** The checkpoint age bound (seconds, 0 = none): see verifyCheckpointNote. */
  maxCheckpointAgeSeconds?: number;
  /** Progress while fetching leaves. */
  onProgress?: (done: number, total: number) => void;
  /** Deadline of the whole sync in ms (default MIRROR_SYNC_DEADLINE_MS; tests shorten it). */
  syncDeadlineMs?: number;
}

/** What one sync may still spend: time (an absolute deadline) and bytes of fetched leaves. */
interface FetchBudget {
  deadline: number;
  deadlineMs: number;
  bytes: number;
}

function spend(budget: FetchBudget, bytes: number): void {
  if (Date.now() > budget.deadline)
    throw new ModelsecError('LIMIT_EXCEEDED', `the log sync took longer than ${budget.deadlineMs} ms (MIRROR_SYNC_DEADLINE_MS)`, {
      details: { limit: 'MIRROR_SYNC_DEADLINE_MS' },
    });
  budget.bytes += bytes;
  if (budget.bytes > MAX_MIRROR_FETCH_BYTES)
    throw new ModelsecError(
      'LIMIT_EXCEEDED',
      `the log's new entries exceed MAX_MIRROR_FETCH_BYTES (${MAX_MIRROR_FETCH_BYTES} bytes)`,
      {
        details: { limit: 'MAX_MIRROR_FETCH_BYTES' },
      },
    );
}

export interface MirroredEntry {
  index: number;
  /** The leaf bytes as logged (sealed leaves stay sealed here). */
  leaf: Uint8Array;
  /** The entry: decoded leaf, or the opened entry of a sealed leaf. */
  entry: OpenEntry | (LogEntry & { type: 'sealed' });
  /** The opening that revealed a sealed leaf (to hand to a verifier). */
  opening?: { salt: string; entry: string };
}

interface MirrorState {
  format: 1;
  origin: string;
  key: string;
  size: number;
  rootHash: string;
  checkpoint: string;
  /** Per namespace: openings were asked for leaves below this index. */
  openedUpTo: Record<string, number>;
  /** Latest `at` (ms) of the open entries so far: later entries may not be dated (much) before it. */
  maxAt?: number;
  /**
   * Per entry bundle k: the latest `at` (ms) of the open entries before it (null: none), filled as sealed leaves are
   * opened. An opened sealed entry is held to the same time rule as an open one: not dated before an earlier entry.
   */
  maxAtBefore?: (number | null)[];
}

/** The `at` (ms) of an open entry leaf; -Infinity for a sealed leaf or an entry without a readable time. */
function openEntryTime(leaf: Uint8Array): number {
  try {
    const entry = decodeLogEntry(leaf);
    if (entry.type === 'sealed') return Number.NEGATIVE_INFINITY;
    const at = Date.parse(String((entry as { at?: unknown }).at));
    return Number.isFinite(at) ? at : Number.NEGATIVE_INFINITY;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

interface StoredOpening {
  salt: string;
  entry: string;
  namespace: string;
}

function inconsistent(message: string, details?: Record<string, unknown>): ModelsecError {
  return new ModelsecError('LOG_INCONSISTENT', message, details ? { details } : undefined);
}

function invalidProof(message: string, details?: Record<string, unknown>): ModelsecError {
  return new ModelsecError('LOG_PROOF_INVALID', message, details ? { details } : undefined);
}

/** The directory of the mirror of the log signed by `key` (origin name and a hash of the key). */
export function mirrorDir(configDir: string, key: NoteVerifier): string {
  const safe = key.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const id = createHash('sha256').update(key.text).digest('hex').slice(0, 16);
  return join(configDir, 'logs', `mirror-${safe}-${id}`);
}

/**
 * How old the newest cosignatures of a witness quorum may be when `check` / `pull` trust witnesses and were given no
 * bound (`--max-checkpoint-age`, local policy `log.maxCheckpointAgeSeconds`). A checkpoint carries no time, so a
 * registry could serve an old, validly signed (and once cosigned) checkpoint for ever and hide every later entry (a
 * yank, a new policy); a witness cosigns only the newest tree it saw, with the time it cosigned, so a recent
 * cosignature proves the tree was the newest one the witness knew then. A registry with witnesses resubmits its
 * checkpoint well within this (log/witnessing.ts WITNESS_COSIGNATURE_REFRESH_MS), so an idle log stays fresh.
 * One day: a yank is seen by every CI gate within a day even under a registry that stops showing new entries.
 */
export const DEFAULT_MAX_CHECKPOINT_AGE_SECONDS = 24 * 60 * 60;

/**
 * Verifies a checkpoint note: the log's signature, the origin, and the witness quorum when witnesses are given. With
 * `maxAgeSeconds` (> 0) the quorum counts only cosignatures dated no earlier than that before `now`
 * (LOG_CHECKPOINT_STALE otherwise); it needs witnesses (a checkpoint itself has no time).
 */
export function verifyCheckpointNote(
  note: string,
  verifier: NoteVerifier,
  options: { witnesses?: readonly string[]; witnessQuorum?: number; now?: Date; maxAgeSeconds?: number } = {},
): { checkpoint: Checkpoint; cosignedBy: string[]; cosignedAt?: number } {
  const witnesses = options.witnesses ?? [];
  const maxAge = options.maxAgeSeconds ?? 0;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0)
    throw new ModelsecError('USAGE', `a checkpoint age bound is a whole number of seconds, got ${options.maxAgeSeconds}`);
  if (witnesses.length === 0) {
    if ((options.witnessQuorum ?? 0) > 0)
      throw new ModelsecError('USAGE', 'a witness quorum needs witness keys (--witness KEYFILE, repeatable)');
    if (maxAge > 0)
      throw new ModelsecError(
        'USAGE',
        'a checkpoint age bound needs witnesses (--witness KEYFILE or the local policy log.witnesses): a checkpoint carries no time, only a witness cosignature does',
      );
    return { checkpoint: verifyCheckpoint(note, verifier), cosignedBy: [] };
  }
  const keys: CosignerVerifier[] = witnesses.map((w) => parseCosignerVerifierKey(w));
  const quorum = options.witnessQuorum ?? keys.length;
  const now = options.now ?? new Date();
  const result = verifyWitnessQuorum(note, verifier, keys, quorum, { now });
  if (maxAge === 0) return { checkpoint: result.checkpoint, cosignedBy: result.cosignatures.map((c) => c.name) };
  const oldest = Math.floor(now.getTime() / 1000) - maxAge;
  const fresh = result.cosignatures.filter((c) => c.timestamp >= oldest);
  if (fresh.length < quorum) {
    const newest = Math.max(...result.cosignatures.map((c) => c.timestamp));
    throw new ModelsecError(
      'LOG_CHECKPOINT_STALE',
      `the checkpoint (size ${result.checkpoint.size}) is cosigned within the last ${maxAge} s by ${fresh.length} of the trusted witnesses; ${quorum} required (newest cosignature ${Number.isFinite(newest) ? new Date(newest * 1000).toISOString() : 'none'}): the registry may be withholding newer entries`,
      {
        details: {
          size: result.checkpoint.size,
          maxAgeSeconds: maxAge,
          required: quorum,
          fresh: fresh.map((c) => c.name),
          cosigned: result.cosignatures.map((c) => ({ name: c.name, at: new Date(c.timestamp * 1000).toISOString() })),
        },
      },
    );
  }
  // The time the quorum was last seen together: the quorum-th newest fresh cosignature.
  const times = fresh.map((c) => c.timestamp).sort((a, b) => b - a);
  return {
    checkpoint: result.checkpoint,
    cosignedBy: fresh.map((c) => c.name),
    cosignedAt: times[quorum - 1] ?? times[0],
  };
}

function parseEntryBundle(bytes: Uint8Array, width: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) throw invalidProof('entry bundle: truncated length');
    const len = (bytes[offset] as number) * 256 + (bytes[offset + 1] as number);
    offset += 2;
    if (offset + len > bytes.length) throw invalidProof('entry bundle: truncated entry');
    out.push(bytes.slice(offset, offset + len));
    offset += len;
  }
  if (out.length !== width) throw invalidProof(`entry bundle: ${out.length} entries, expected ${width}`);
  return out;
}

function encodeEntryBundle(leaves: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    leaves.flatMap((l) => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(l.length, 0);
      return [len, Buffer.from(l)];
    }),
  );
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, data, { mode: 0o600 });
  await rename(temp, file);
}

/** Whether a process of this machine still runs (a lock left by a killed one is removed). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file created with O_EXCL; waits for another holder, removes one left by a crash. */
async function lock(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'lock');
  const deadline = Date.now() + MIRROR_LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const info = await stat(file).catch(() => undefined);
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (info && (Date.now() - info.mtimeMs > MIRROR_LOCK_STALE_MS || (holder > 0 && !processAlive(holder))))
        await rm(file, { force: true });
      else if (Date.now() > deadline)
        throw new ModelsecError('FILE_WRITE_FAILED', `the log mirror ${dir} is locked by another process (${file})`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A verified local copy of one log (see the module comment). */
export class LogMirror {
  private constructor(
    readonly dir: string,
    readonly verifier: NoteVerifier,
    private readonly tree: MerkleTree,
    private state: MirrorState,
    private readonly openings: Map<number, StoredOpening>,
    private readonly leafCache: Map<number, Uint8Array[]>,
    /** Namespace → indices of its open (unsealed) leaves. */
    private readonly byNamespace: Map<string, number[]>,
    /** Witnesses whose cosignature on the current checkpoint verified. */
    readonly cosignedBy: string[],
    /** Size of the stored checkpoint this sync was proven consistent with (undefined on the first sync). */
    readonly consistentWith: number | undefined,
  ) {}

  get size(): number {
    return this.state.size;
  }
  get origin(): string {
    return this.state.origin;
  }
  get rootHash(): string {
    return this.state.rootHash;
  }
  /** The signed checkpoint note the mirror is at. */
  get checkpoint(): string {
    return this.state.checkpoint;
  }

  /**
   * Brings the mirror of the log signed by `options.verifier` up to the registry's current checkpoint (see the
   * module comment) and returns it.
   */
  static async sync(transport: LogTransport, options: MirrorSyncOptions): Promise<LogMirror> {
    const dir = mirrorDir(options.configDir, options.verifier);
    await ensureTrustStore(options.configDir);
    await ensurePrivateDir(dir);
    await ensurePrivateDir(join(dir, 'entries'));
    const unlock = await lock(dir);
    try {
      return await LogMirror.syncLocked(transport, options, dir);
    } finally {
      await unlock();
    }
  }

  private static async syncLocked(transport: LogTransport, options: MirrorSyncOptions, dir: string): Promise<LogMirror> {
    const started = Date.now();
    const served = await transport.getBytes('/v1/log/checkpoint', MAX_LOG_SMALL_ANSWER_BYTES);
    if (served.status !== 200) throw invalidProof(`the registry answered ${served.status} for its checkpoint`);
    const note = Buffer.from(served.bytes).toString('utf8');
    const { checkpoint, cosignedBy } = verifyCheckpointNote(note, options.verifier, {
      ...(options.witnesses ? { witnesses: options.witnesses } : {}),
      ...(options.witnessQuorum !== undefined ? { witnessQuorum: options.witnessQuorum } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.maxCheckpointAgeSeconds ? { maxAgeSeconds: options.maxCheckpointAgeSeconds } : {}),
    });
    if (checkpoint.size > MAX_MIRROR_ENTRIES)
      throw new ModelsecError('LIMIT_EXCEEDED', `the log claims ${checkpoint.size} entries, more than ${MAX_MIRROR_ENTRIES}`, {
        details: { limit: MAX_MIRROR_ENTRIES },
      });

    const stored = await LogMirror.load(dir, options.verifier);
    const tree = stored.tree;
    const previous = stored.state;
    // 2. Consistency with what this client saw before.
    if (previous) {
      if (checkpoint.size < previous.size)
        throw inconsistent(
          `the registry's log shrank: its checkpoint has ${checkpoint.size} entries, this client verified ${previous.size} before`,
          { previousSize: previous.size, size: checkpoint.size },
        );
      if (checkpoint.size === previous.size && Buffer.from(checkpoint.rootHash).toString('base64') !== previous.rootHash)
        throw inconsistent(`the registry's log has another root for size ${checkpoint.size} than the one verified before`, {
          size: checkpoint.size,
        });
    }
    // 3. New leaves.
    const from = tree.size;
    const fresh: Uint8Array[] = [];
    if (checkpoint.size > from) {
      const deadlineMs = options.syncDeadlineMs ?? MIRROR_SYNC_DEADLINE_MS;
      const budget = { deadline: started + deadlineMs, deadlineMs, bytes: 0 };
      await LogMirror.fetchLeaves(transport, from, checkpoint.size, fresh, budget, options.onProgress);
      for (const leaf of fresh) tree.appendLeafHash(hashLeaf(leaf));
    }
    if (!equalBytes(tree.root(checkpoint.size), checkpoint.rootHash)) {
      // Tell a rewritten history (the old leaves are not a prefix of the signed tree) from bad new leaves.
      if (previous && previous.size > 0 && previous.size < checkpoint.size) {
        const proof = await LogMirror.proof(transport, `/v1/log/proofs/consistency?from=${previous.size}&to=${checkpoint.size}`);
        const ok =
          proof !== undefined &&
          verifyConsistency(
            previous.size,
            checkpoint.size,
            new Uint8Array(Buffer.from(previous.rootHash, 'base64')),
            checkpoint.rootHash,
            proof,
          );
        if (!ok)
          throw inconsistent(
            `the registry's log (size ${checkpoint.size}) is not an extension of the log this client verified (size ${previous.size}): history was rewritten or the log forked`,
            { previousSize: previous.size, size: checkpoint.size },
          );
      }
      throw invalidProof(`the log entries the registry served do not hash to its signed root (size ${checkpoint.size})`, {
        size: checkpoint.size,
      });
    }
    // Every leaf must be an entry this client can read (a signed log of garbage is a broken or hostile registry).
    const byNamespace = stored.byNamespace;
    let maxAt = previous?.maxAt ?? Number.NEGATIVE_INFINITY;
    const latest = (options.now ?? new Date()).getTime() + MAX_LOG_TIME_SKEW_MS;
    for (const [i, leaf] of fresh.entries()) {
      let entry: LogEntry;
      try {
        entry = decodeLogEntry(leaf);
      } catch (error) {
        throw inconsistent(`log entry ${from + i} is not a valid entry: ${(error as Error).message}`, { index: from + i });
      }
      if (entry.type === 'sealed') continue;
      byNamespace.set(entry.namespace, [...(byNamespace.get(entry.namespace) ?? []), from + i]);
      // Entry times are signing times the client relies on: the log is append-only in time as well.
      const at = Date.parse(String((entry as { at?: unknown }).at));
      if (!Number.isFinite(at)) continue;
      if (at < maxAt - MAX_LOG_TIME_SKEW_MS)
        throw inconsistent(
          `log entry ${from + i} is dated ${new Date(at).toISOString()}, before an earlier entry (${new Date(maxAt).toISOString()}): a backdated entry`,
          { index: from + i },
        );
      if (at > latest)
        throw inconsistent(`log entry ${from + i} is dated ${new Date(at).toISOString()}, in the future`, { index: from + i });
      maxAt = Math.max(maxAt, at);
    }
    // Consistency with a checkpoint pinned by the caller: every leaf is here, so compare roots directly.
    if (options.pinnedCheckpoint !== undefined) {
      const pinned = verifyCheckpoint(options.pinnedCheckpoint, options.verifier);
      if (pinned.size > checkpoint.size)
        throw inconsistent(
          `the registry serves a checkpoint of size ${checkpoint.size}, older than the pinned checkpoint of size ${pinned.size}: it is rolling the log back or showing another view`,
          { pinnedSize: pinned.size, size: checkpoint.size },
        );
      if (!equalBytes(tree.root(pinned.size), pinned.rootHash))
        throw inconsistent(
          `the registry's log is not consistent with the pinned checkpoint of size ${pinned.size}: another view of the log (split view) or a rewritten history`,
          { pinnedSize: pinned.size, size: checkpoint.size },
        );
    }

    // Persist: leaves first, the state (what is trusted) last.
    const state: MirrorState = {
      format: 1,
      origin: checkpoint.origin,
      key: options.verifier.text,
      size: checkpoint.size,
      rootHash: Buffer.from(checkpoint.rootHash).toString('base64'),
      checkpoint: note,
      openedUpTo: previous?.openedUpTo ?? {},
      ...(Number.isFinite(maxAt) ? { maxAt } : {}),
    };
    const mirror = new LogMirror(
      dir,
      options.verifier,
      tree,
      state,
      stored.openings,
      new Map(),
      byNamespace,
      cosignedBy,
      previous?.size,
    );
    if (fresh.length > 0) await mirror.storeLeaves(from, fresh);
    await writeAtomic(join(dir, 'hashes.bin'), mirror.leafHashes());
    await writeAtomic(join(dir, 'index.json'), `${JSON.stringify(Object.fromEntries([...byNamespace].sort()))}\n`);
    // 4. Openings of sealed leaves.
    const latestAt = (options.now ?? new Date()).getTime() + MAX_LOG_TIME_SKEW_MS;
    for (const ns of [...new Set(options.namespaces ?? [])].sort()) await mirror.openNamespace(transport, ns, latestAt);
    await writeAtomic(join(dir, 'openings.json'), `${JSON.stringify(Object.fromEntries(mirror.openings), null, 0)}\n`);
    await writeAtomic(join(dir, 'state.json'), `${JSON.stringify(mirror.state, null, 2)}\n`);
    return mirror;
  }

  private static async load(
    dir: string,
    verifier: NoteVerifier,
  ): Promise<{
    tree: MerkleTree;
    state?: MirrorState;
    openings: Map<number, StoredOpening>;
    byNamespace: Map<string, number[]>;
  }> {
    const tree = new MerkleTree();
    const openings = new Map<number, StoredOpening>();
    const byNamespace = new Map<string, number[]>();
    const text = await readFile(join(dir, 'state.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return { tree, openings, byNamespace };
    let state: MirrorState;
    try {
      state = JSON.parse(text) as MirrorState;
    } catch (cause) {
      throw inconsistent(`${dir}/state.json is not JSON: remove ${dir} to mirror the log again`, { cause });
    }
    if (state.format !== 1 || state.key !== verifier.text || !Number.isSafeInteger(state.size))
      throw inconsistent(`${dir}/state.json is not a mirror of this log: remove ${dir} to mirror it again`);
    const hashes = await readFile(join(dir, 'hashes.bin')).catch(() => Buffer.alloc(0));
    if (hashes.length < state.size * 32)
      throw inconsistent(`the local log mirror ${dir} is damaged (hashes.bin is short): remove it to mirror the log again`);
    for (let i = 0; i < state.size; i++) tree.appendLeafHash(new Uint8Array(hashes.subarray(i * 32, i * 32 + 32)));
    if (Buffer.from(tree.root()).toString('base64') !== state.rootHash)
      throw inconsistent(`the local log mirror ${dir} is damaged (root mismatch): remove it to mirror the log again`);
    const stored = await readFile(join(dir, 'openings.json'), 'utf8').catch(() => '{}');
    try {
      for (const [k, v] of Object.entries(JSON.parse(stored) as Record<string, StoredOpening>)) openings.set(Number(k), v);
    } catch (cause) {
      throw inconsistent(`${dir}/openings.json is not JSON: remove ${dir} to mirror the log again`, { cause });
    }
    const index = await readFile(join(dir, 'index.json'), 'utf8').catch(() => '{}');
    try {
      for (const [ns, list] of Object.entries(JSON.parse(index) as Record<string, number[]>))
        byNamespace.set(
          ns,
          list.filter((i) => i < state.size),
        );
    } catch (cause) {
      throw inconsistent(`${dir}/index.json is not JSON: remove ${dir} to mirror the log again`, { cause });
    }
    return { tree, state, openings, byNamespace };
  }

  private static async proof(transport: LogTransport, path: string): Promise<Uint8Array[] | undefined> {
    const r = await transport.getBytes(path, MAX_LOG_SMALL_ANSWER_BYTES).catch(() => undefined);
    if (r?.status !== 200) return undefined;
    try {
      const hashes = (JSON.parse(Buffer.from(r.bytes).toString('utf8')) as { hashes?: unknown }).hashes;
      if (!Array.isArray(hashes) || !hashes.every((h) => typeof h === 'string')) return undefined;
      return hashes.map((h) => new Uint8Array(Buffer.from(h as string, 'base64')));
    } catch {
      return undefined;
    }
  }

  /** Leaves [from, to): entry bundles where served, single entries otherwise. */
  private static async fetchLeaves(
    transport: LogTransport,
    from: number,
    to: number,
    out: Uint8Array[],
    budget: FetchBudget,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    for (let bundle = Math.floor(from / MIRROR_BUNDLE_WIDTH); bundle * MIRROR_BUNDLE_WIDTH < to; bundle++) {
      const start = bundle * MIRROR_BUNDLE_WIDTH;
      const width = Math.min(MIRROR_BUNDLE_WIDTH, to - start);
      const path = `/v1/log/tile/entries/${tileIndexPath(bundle)}${width < MIRROR_BUNDLE_WIDTH ? `.p/${width}` : ''}`;
      let leaves: Uint8Array[] | undefined;
      spend(budget, 0);
      const r = await transport.getBytes(path, MAX_ENTRY_BUNDLE_BYTES).catch(() => undefined);
      if (r?.status === 200) {
        spend(budget, r.bytes.length);
        try {
          leaves = parseEntryBundle(r.bytes, width);
        } catch {
          leaves = undefined;
        }
      }
      if (!leaves) {
        // Entries larger than a bundle can hold (or a registry without tiles): one request per entry.
        leaves = [];
        for (let i = Math.max(start, from); i < start + width; i++) {
          spend(budget, 0);
          const e = await transport.getBytes(`/v1/log/entries/${i}`, MAX_LOG_ENTRY_BYTES);
          if (e.status !== 200) throw invalidProof(`the registry answered ${e.status} for log entry ${i}`, { index: i });
          spend(budget, e.bytes.length);
          leaves.push(e.bytes);
        }
      } else leaves = leaves.slice(Math.max(start, from) - start);
      out.push(...leaves);
      onProgress?.(out.length, to - from);
    }
  }

  private bundleFile(bundle: number, partial: boolean): string {
    return join(this.dir, 'entries', `${bundle}${partial ? '.p' : ''}`);
  }

  private async storeLeaves(from: number, fresh: readonly Uint8Array[]): Promise<void> {
    const to = from + fresh.length;
    for (let bundle = Math.floor(from / MIRROR_BUNDLE_WIDTH); bundle * MIRROR_BUNDLE_WIDTH < to; bundle++) {
      const start = bundle * MIRROR_BUNDLE_WIDTH;
      const end = Math.min(start + MIRROR_BUNDLE_WIDTH, to);
      const leaves: Uint8Array[] = [];
      for (let i = start; i < end; i++) leaves.push(i < from ? await this.leaf(i) : (fresh[i - from] as Uint8Array));
      const full = leaves.length === MIRROR_BUNDLE_WIDTH;
      // Entries longer than 65535 bytes do not fit a C2SP bundle: those bundles are stored as JSON lists.
      const data = leaves.every((l) => l.length <= 0xffff)
        ? encodeEntryBundle(leaves)
        : Buffer.from(`${JSON.stringify(leaves.map((l) => Buffer.from(l).toString('base64')))}\n`);
      await writeAtomic(this.bundleFile(bundle, !full), data);
      if (full) await rm(this.bundleFile(bundle, true), { force: true });
      this.leafCache.set(bundle, leaves);
    }
  }

  private async readBundle(bundle: number): Promise<Uint8Array[]> {
    const cached = this.leafCache.get(bundle);
    if (cached) return cached;
    const start = bundle * MIRROR_BUNDLE_WIDTH;
    const width = Math.min(MIRROR_BUNDLE_WIDTH, this.size - start);
    const file = this.bundleFile(bundle, width < MIRROR_BUNDLE_WIDTH);
    const bytes = await readFile(file).catch(() => readFile(this.bundleFile(bundle, true)));
    let leaves: Uint8Array[];
    if (bytes[0] === 0x5b /* [ */) leaves = (JSON.parse(bytes.toString('utf8')) as string[]).map((b) => Buffer.from(b, 'base64'));
    else {
      const all: Uint8Array[] = [];
      let offset = 0;
      while (offset < bytes.length) {
        const len = bytes.readUInt16BE(offset);
        all.push(new Uint8Array(bytes.subarray(offset + 2, offset + 2 + len)));
        offset += 2 + len;
      }
      leaves = all;
    }
    leaves = leaves.slice(0, width);
    // The stored bytes are trusted only as far as they still hash to the verified tree.
    leaves.forEach((l, i) => {
      if (!equalBytes(hashLeaf(l), this.tree.leafHash(start + i)))
        throw inconsistent(`the local log mirror ${this.dir} is damaged (leaf ${start + i}): remove it to mirror the log again`);
    });
    if (this.leafCache.size > 64) this.leafCache.clear();
    this.leafCache.set(bundle, leaves);
    return leaves;
  }

  /** The bytes of leaf `index` (verified against the tree). */
  async leaf(index: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new RangeError(`no leaf ${index}`);
    const leaves = await this.readBundle(Math.floor(index / MIRROR_BUNDLE_WIDTH));
    return leaves[index % MIRROR_BUNDLE_WIDTH] as Uint8Array;
  }

  private leafHashes(): Buffer {
    const out = Buffer.alloc(this.size * 32);
    for (let i = 0; i < this.size; i++) out.set(this.tree.leafHash(i), i * 32);
    return out;
  }

  /** RFC 6962 inclusion proof of `index` in the mirror's checkpoint, computed locally. */
  inclusionProof(index: number): Uint8Array[] {
    return this.tree.inclusionProof(index, this.size);
  }

  /** The latest time (ms) of the open entries before leaf `index` (-Infinity: none); see MirrorState.maxAtBefore. */
  private async timeBefore(index: number): Promise<number> {
    const bundle = Math.floor(index / MIRROR_BUNDLE_WIDTH);
    const known = this.state.maxAtBefore ?? [null];
    this.state.maxAtBefore = known;
    // Bundles before `bundle` are complete and verified: their bound is computed once and kept in the state.
    while (known.length <= bundle) {
      const k = known.length - 1;
      let m = known[k] ?? Number.NEGATIVE_INFINITY;
      for (const leaf of await this.readBundle(k)) m = Math.max(m, openEntryTime(leaf));
      known.push(Number.isFinite(m) ? m : null);
    }
    let m = known[bundle] ?? Number.NEGATIVE_INFINITY;
    const leaves = await this.readBundle(bundle);
    for (let j = bundle * MIRROR_BUNDLE_WIDTH; j < index; j++)
      m = Math.max(m, openEntryTime(leaves[j - bundle * MIRROR_BUNDLE_WIDTH] as Uint8Array));
    return m;
  }

  private async openNamespace(transport: LogTransport, namespace: string, latestAt: number): Promise<void> {
    let from = this.state.openedUpTo[namespace] ?? 0;
    while (from < this.size) {
      const q = new URLSearchParams({ namespace, from: String(from) });
      const r = await transport.getBytes(`/v1/log/openings?${q}`, MAX_OPENINGS_PAGE_BYTES);
      // A token the registry does not know: say so (the caller would otherwise see "not logged").
      if (r.status === 401)
        throw new ModelsecError('UNAUTHENTICATED', `the registry does not accept the token (openings of ${namespace})`);
      // No access (or a registry without openings): nothing to open for this caller.
      if (r.status === 403 || r.status === 404) return;
      if (r.status !== 200) throw invalidProof(`the registry answered ${r.status} for the openings of ${namespace}`);
      let page: { index?: unknown; salt?: unknown; entry?: unknown }[];
      let next: unknown;
      try {
        const parsed = JSON.parse(Buffer.from(r.bytes).toString('utf8')) as { openings?: unknown; next?: unknown };
        if (!Array.isArray(parsed.openings)) throw new Error('no openings list');
        page = parsed.openings as typeof page;
        next = parsed.next;
      } catch (cause) {
        throw invalidProof(`the openings of ${namespace} are not {"openings": [...]}`, { cause });
      }
      let last = from - 1;
      for (const o of page) {
        const index = o.index;
        if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < from || index >= this.size || index <= last)
          throw inconsistent(`the registry sent an opening for index ${String(index)} outside the requested range`);
        if (typeof o.salt !== 'string' || typeof o.entry !== 'string')
          throw inconsistent(`the opening of leaf ${index} has no salt and entry strings`);
        let opened: OpenEntry;
        try {
          opened = openSealedEntry(await this.leaf(index), { salt: o.salt, entry: o.entry });
        } catch (error) {
          throw inconsistent(`the opening of leaf ${index} does not match its sealed commitment: ${(error as Error).message}`, {
            index,
          });
        }
        if (opened.namespace !== namespace)
          throw inconsistent(`the opening of leaf ${index} is an entry of '${opened.namespace}', not of '${namespace}'`, {
            index,
          });
        // Entry times are trusted signing times (a certificate must be valid then), sealed or not: an opened entry
        // dated before an earlier entry, or in the future, is refused as an open one is at sync.
        const at = Date.parse(String((opened as { at?: unknown }).at));
        if (Number.isFinite(at)) {
          const before = await this.timeBefore(index);
          if (at < before - MAX_LOG_TIME_SKEW_MS)
            throw inconsistent(
              `sealed log entry ${index} opens to an entry dated ${new Date(at).toISOString()}, before an earlier entry (${new Date(before).toISOString()}): a backdated entry`,
              { index },
            );
          if (at > latestAt)
            throw inconsistent(`sealed log entry ${index} opens to an entry dated ${new Date(at).toISOString()}, in the future`, {
              index,
            });
        }
        this.openings.set(index, { salt: o.salt, entry: o.entry, namespace });
        last = index;
      }
      // `next: null` ends the listing; without `next`, an empty page does. A `next` is only a hint: paging always
      // moves forward from the last opening checked, so a server cannot make the client loop.
      if (page.length === 0 || next === null) break;
      from = last + 1;
    }
    this.state.openedUpTo[namespace] = this.size;
  }

  /** Whether leaf `index` is a sealed leaf this client holds no opening for (false outside the mirror). */
  async isUnopenedSealed(index: number): Promise<boolean> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size || this.openings.has(index)) return false;
    try {
      return decodeLogEntry(await this.leaf(index)).type === 'sealed';
    } catch {
      return false;
    }
  }

  /**
   * Every entry of `namespace` (open entries, and sealed ones this client opened), in log order. Sealed leaves it
   * could not open are skipped (they belong to namespaces it cannot read).
   */
  async entriesOf(namespace: string): Promise<MirroredEntry[]> {
    const indices = new Set(this.byNamespace.get(namespace) ?? []);
    for (const [i, o] of this.openings) if (o.namespace === namespace && i < this.size) indices.add(i);
    const out: MirroredEntry[] = [];
    for (const i of [...indices].sort((a, b) => a - b)) {
      const leaf = await this.leaf(i);
      const entry = decodeLogEntry(leaf);
      if (entry.type === 'sealed') {
        const o = this.openings.get(i) as StoredOpening;
        out.push({ index: i, leaf, entry: openSealedEntry(leaf, o), opening: { salt: o.salt, entry: o.entry } });
      } else if (entry.namespace === namespace) out.push({ index: i, leaf, entry });
    }
    return out;
  }
}
