/**
 * Client-side log verification: the CLI never trusts the registry. It pins the log key (a `--log-key` file, or
 * trust on first use under the user's config dir, with a loud LOG_KEY_MISMATCH if it ever changes), checks that each
 * new checkpoint is consistent with the last one it saw, and checks the inclusion proof of a version's entry.
 */
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import {
  type Checkpoint,
  decodeLogEntry,
  hashLeaf,
  type LogEntry,
  MAX_LOG_ENTRY_BYTES,
  MerkleTree,
  type NoteVerifier,
  parseVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@modelsec/core/tlog';
import { CLIENT_READ_DEADLINE_MS, readLimited } from '../client/registry-client.js';
import { mayCarryToken, openLogEntry } from './openings.js';
import type { PublishEntryExpectation } from './publish-entry-type.js';

/** Largest text/JSON answer read from a log endpoint (checkpoints and proofs are small). */
export const MAX_LOG_RESPONSE_BYTES = MAX_LOG_ENTRY_BYTES;

export interface LogTrustOptions {
  /** A file holding the pinned verifier key; when absent, trust on first use. */
  logKeyFile?: string;
  /** Where TOFU keys and last-seen checkpoints live; default MODELSEC_CONFIG_DIR, $XDG_CONFIG_HOME/modelsec, ~/.config/modelsec. */
  configDir?: string;
  /** Token for the lookups and openings of private namespaces (sealed entries); never needed for public ones. */
  token?: string;
}

export interface LogVerification {
  index: number;
  entry: LogEntry;
  checkpoint: { origin: string; size: number; rootHash: string };
  /** How the key was trusted: pinned by file, already known, or first seen now. */
  keyTrust: 'pinned' | 'known' | 'first-use';
  /** Size of the previously seen checkpoint that the new one was proven consistent with. */
  consistentWith?: number;
}

export function modelsecConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MODELSEC_CONFIG_DIR) return env.MODELSEC_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'modelsec');
  return join(homedir(), '.config', 'modelsec');
}

/**
 * Makes a directory of the client's trust store private to this user (created 0700; a group- or world-writable one
 * this user owns is made 0700): the log keys it trusted on first use and its verified mirrors live there, and another
 * local user able to write them could pin a log key of their own. A directory owned by another user, or (below the
 * config dir) a symbolic link or a non-directory, is refused: CLIENT_TRUST_STORE_UNSAFE. POSIX only.
 */
export async function ensurePrivateDir(dir: string, options: { followLink?: boolean } = {}): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  const info = options.followLink ? await stat(dir) : await lstat(dir);
  const unsafe = (why: string) =>
    new ModelsecError('CLIENT_TRUST_STORE_UNSAFE', `${dir}: ${why}; the client keeps its log trust there`, {
      details: { path: dir },
    });
  if (!info.isDirectory()) throw unsafe('not a directory (a symbolic link?)');
  const uid = process.getuid();
  if (info.uid !== uid) throw unsafe(`owned by uid ${info.uid}, not by this user (uid ${uid})`);
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** The private directories of the trust store under `configDir` (the config dir itself may be a symbolic link). */
export async function ensureTrustStore(configDir: string): Promise<void> {
  await ensurePrivateDir(configDir, { followLink: true });
  await ensurePrivateDir(join(configDir, 'logs'));
}

export interface LogState {
  registry: string;
  key: string;
  checkpoint?: { size: number; rootHash: string };
}

/** Where the key trusted for `baseUrl` (and the last checkpoint `modelsec log checkpoint` saw) is kept. */
export function logStateFile(configDir: string, baseUrl: string): string {
  const id = createHash('sha256').update(baseUrl).digest('hex').slice(0, 16);
  return join(configDir, 'logs', `${id}.json`);
}

export async function readLogState(file: string): Promise<LogState | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as LogState;
  } catch (cause) {
    throw new ModelsecError('LOG_INCONSISTENT', `${file}: the stored log state is not JSON; remove it to trust again`, { cause });
  }
}

export async function writeLogState(file: string, state: LogState): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

async function getText(baseUrl: string, path: string, token?: string): Promise<{ text: string; bytes: Uint8Array }> {
  let response: Response;
  try {
    const headers: Record<string, string> = token && mayCarryToken(baseUrl) ? { authorization: `Bearer ${token}` } : {};
    // Never follow a redirect (it could carry the token to another origin); time out a registry that stalls.
    response = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
      headers,
      redirect: 'error',
      signal: AbortSignal.timeout(CLIENT_READ_DEADLINE_MS),
    });
  } catch (cause) {
    throw new ModelsecError('NETWORK_ERROR', `cannot reach the registry log at ${baseUrl}${path}`, { cause });
  }
  // Bounded while the bytes arrive (not after buffering all of them).
  const bytes = await readLimited(response, MAX_LOG_RESPONSE_BYTES, path).catch((error: unknown) => {
    if (error instanceof ModelsecError && error.code === 'LIMIT_EXCEEDED')
      throw new ModelsecError('LOG_PROOF_INVALID', `${path}: answer larger than ${MAX_LOG_RESPONSE_BYTES} bytes`);
    throw new ModelsecError('NETWORK_ERROR', `the registry log at ${baseUrl} did not finish answering ${path}`, { cause: error });
  });
  const text = Buffer.from(bytes).toString('utf8');
  if (!response.ok)
    throw new ModelsecError(
      response.status === 404 ? 'NOT_FOUND' : 'NETWORK_ERROR',
      `${path}: HTTP ${response.status} ${text.slice(0, 200)}`,
    );
  return { text, bytes };
}

async function getHashes(baseUrl: string, path: string): Promise<Uint8Array[]> {
  const { text } = await getText(baseUrl, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ModelsecError('LOG_PROOF_INVALID', `${path}: proof is not JSON`, { cause });
  }
  const hashes = (parsed as { hashes?: unknown }).hashes;
  if (!Array.isArray(hashes) || !hashes.every((h) => typeof h === 'string'))
    throw new ModelsecError('LOG_PROOF_INVALID', `${path}: proof has no "hashes" list of base64 strings`);
  return hashes.map((h) => new Uint8Array(Buffer.from(h as string, 'base64')));
}

export async function fetchLogKey(baseUrl: string): Promise<string> {
  return (await getText(baseUrl, '/v1/log/key')).text.trim();
}
export async function fetchCheckpointText(baseUrl: string): Promise<string> {
  return (await getText(baseUrl, '/v1/log/checkpoint')).text;
}
export async function fetchLogEntry(baseUrl: string, index: number): Promise<Uint8Array> {
  return (await getText(baseUrl, `/v1/log/entries/${index}`)).bytes;
}

/** Resolves the verifier to trust for `baseUrl`, pinning it on first use. */
export async function trustedLogVerifier(
  baseUrl: string,
  options: LogTrustOptions = {},
): Promise<{ verifier: NoteVerifier; keyTrust: LogVerification['keyTrust']; state: LogState; stateFile: string }> {
  const configDir = options.configDir ?? modelsecConfigDir();
  await ensureTrustStore(configDir);
  const file = logStateFile(configDir, baseUrl);
  const state = await readLogState(file);
  const served = parseVerifierKey(await fetchLogKey(baseUrl));
  if (options.logKeyFile) {
    const pinned = parseVerifierKey(await readFile(options.logKeyFile, 'utf8'));
    if (pinned.text !== served.text) throw keyChanged(baseUrl, pinned.text, served.text, options.logKeyFile);
    return { verifier: pinned, keyTrust: 'pinned', state: state ?? { registry: baseUrl, key: pinned.text }, stateFile: file };
  }
  if (state) {
    const known = parseVerifierKey(state.key);
    if (known.text !== served.text) throw keyChanged(baseUrl, known.text, served.text, file);
    return { verifier: known, keyTrust: 'known', state, stateFile: file };
  }
  return { verifier: served, keyTrust: 'first-use', state: { registry: baseUrl, key: served.text }, stateFile: file };
}

export function keyChanged(baseUrl: string, pinned: string, served: string, where: string): ModelsecError {
  return new ModelsecError(
    'LOG_KEY_MISMATCH',
    `!!! THE LOG KEY OF ${baseUrl} CHANGED !!! pinned ${pinned} (${where}) but the registry now serves ${served}. ` +
      'Someone may be impersonating the registry or it rewrote its history. Do not proceed unless the operator confirms a key rotation.',
    { details: { pinned, served, where } },
  );
}

/** Fetches, verifies and records the newest checkpoint; proves it consistent with the last one seen. */
export async function verifiedCheckpoint(
  baseUrl: string,
  options: LogTrustOptions = {},
): Promise<{ checkpoint: Checkpoint; keyTrust: LogVerification['keyTrust']; consistentWith?: number }> {
  const trust = await trustedLogVerifier(baseUrl, options);
  const checkpoint = verifyCheckpoint(await fetchCheckpointText(baseUrl), trust.verifier);
  const last = trust.state.checkpoint;
  let consistentWith: number | undefined;
  if (last) {
    const lastRoot = new Uint8Array(Buffer.from(last.rootHash, 'base64'));
    if (checkpoint.size < last.size)
      throw new ModelsecError(
        'LOG_INCONSISTENT',
        `the registry's log shrank: it now has ${checkpoint.size} entries, ${last.size} were seen before`,
      );
    const proof =
      checkpoint.size === last.size
        ? []
        : await getHashes(baseUrl, `/v1/log/proofs/consistency?from=${last.size}&to=${checkpoint.size}`);
    if (!verifyConsistency(last.size, checkpoint.size, lastRoot, checkpoint.rootHash, proof))
      throw new ModelsecError(
        'LOG_INCONSISTENT',
        `the registry's log (size ${checkpoint.size}) is not an extension of the one seen before (size ${last.size}): history was rewritten`,
        { details: { previousSize: last.size, size: checkpoint.size } },
      );
    consistentWith = last.size;
  }
  await writeLogState(trust.stateFile, {
    ...trust.state,
    checkpoint: { size: checkpoint.size, rootHash: Buffer.from(checkpoint.rootHash).toString('base64') },
  });
  return { checkpoint, keyTrust: trust.keyTrust, ...(consistentWith !== undefined ? { consistentWith } : {}) };
}

/**
 * Verifies that entry `index` is in the log under a checkpoint signed by the trusted key, and (when `expect` is
 * given) that it is the publish entry of that version with that root digest.
 */
export async function verifyLogInclusion(
  baseUrl: string,
  index: number,
  expect: PublishEntryExpectation,
  options: LogTrustOptions = {},
): Promise<LogVerification> {
  if (!Number.isSafeInteger(index) || index < 0)
    throw new ModelsecError('LOG_PROOF_INVALID', 'the registry gave no log index for this version');
  const { checkpoint, keyTrust, consistentWith } = await verifiedCheckpoint(baseUrl, options);
  if (index >= checkpoint.size)
    throw new ModelsecError('LOG_PROOF_INVALID', `log entry ${index} is beyond the signed checkpoint (size ${checkpoint.size})`);
  const bytes = await fetchLogEntry(baseUrl, index);
  const proof = await getHashes(baseUrl, `/v1/log/proofs/inclusion?index=${index}&size=${checkpoint.size}`);
  if (!verifyInclusion(index, checkpoint.size, hashLeaf(bytes), proof, checkpoint.rootHash))
    throw new ModelsecError(
      'LOG_PROOF_INVALID',
      `log entry ${index} is not included in the signed checkpoint of size ${checkpoint.size}`,
    );
  // A sealed leaf (private namespace) is compared through its opening, checked against the leaf's commitment.
  const entry: LogEntry = await openLogEntry(baseUrl, index, bytes, options.token);
  for (const [field, value] of Object.entries(expect)) {
    if (value === undefined) continue;
    const actual = (entry as unknown as Record<string, unknown>)[field];
    if (actual !== value)
      throw new ModelsecError(
        'LOG_INCONSISTENT',
        `log entry ${index} has ${field} ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`,
        {
          details: { index, field, expected: value, actual },
        },
      );
  }
  return {
    index,
    entry,
    checkpoint: {
      origin: checkpoint.origin,
      size: checkpoint.size,
      rootHash: Buffer.from(checkpoint.rootHash).toString('base64'),
    },
    keyTrust,
    ...(consistentWith !== undefined ? { consistentWith } : {}),
  };
}

export interface ReplayProblem {
  index: number;
  message: string;
}

/**
 * Replays the whole log: every entry is fetched, the tree is rebuilt and must give the signed root, and each entry
 * is checked against the registry's records through `checkEntry` (e.g. the version exists with that root digest).
 */
export async function replayLog(
  baseUrl: string,
  options: LogTrustOptions & {
    checkEntry?: (entry: LogEntry, index: number) => Promise<string | undefined>;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<{ size: number; rootHash: string; entries: Record<string, number>; problems: ReplayProblem[] }> {
  const { checkpoint } = await verifiedCheckpoint(baseUrl, options);
  const tree = new MerkleTree();
  const entries: Record<string, number> = {};
  const problems: ReplayProblem[] = [];
  for (let i = 0; i < checkpoint.size; i++) {
    const bytes = await fetchLogEntry(baseUrl, i);
    tree.append(bytes);
    try {
      const entry = decodeLogEntry(bytes);
      entries[entry.type] = (entries[entry.type] ?? 0) + 1;
      const problem = options.checkEntry ? await options.checkEntry(entry, i) : undefined;
      if (problem) problems.push({ index: i, message: problem });
    } catch (error) {
      problems.push({ index: i, message: error instanceof Error ? error.message : String(error) });
    }
    options.onProgress?.(i + 1, checkpoint.size);
  }
  if (Buffer.compare(Buffer.from(tree.root()), Buffer.from(checkpoint.rootHash)) !== 0)
    throw new ModelsecError('LOG_INCONSISTENT', `the replayed entries do not give the signed root of size ${checkpoint.size}`);
  return { size: checkpoint.size, rootHash: Buffer.from(checkpoint.rootHash).toString('base64'), entries, problems };
}

/** Finds a published version's entry in the log and verifies it (inclusion, content, key, consistency). */
export async function verifyVersionInLog(
  baseUrl: string,
  version: { namespace: string; model: string; version: string; rootDigest: string; bundleDigest?: string },
  options: LogTrustOptions = {},
): Promise<LogVerification> {
  const q = new URLSearchParams({ namespace: version.namespace, model: version.model, version: version.version });
  const { text } = await getText(baseUrl, `/v1/log/lookup?${q}`, options.token).catch((error: unknown) => {
    if (error instanceof ModelsecError && error.code === 'NOT_FOUND')
      throw new ModelsecError(
        'LOG_PROOF_INVALID',
        `${version.namespace}/${version.model}@${version.version} is not in the registry's transparency log`,
      );
    throw error;
  });
  const index = Number((JSON.parse(text) as { index?: unknown }).index);
  return verifyLogInclusion(
    baseUrl,
    index,
    {
      type: 'publish',
      namespace: version.namespace,
      model: version.model,
      version: version.version,
      rootDigest: version.rootDigest,
      ...(version.bundleDigest ? { bundleDigest: version.bundleDigest } : {}),
    },
    options,
  );
}
