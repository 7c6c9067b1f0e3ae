/**
 * The registry's transparency log: an RFC 6962 tree over the leaves in the metadata store, signed C2SP checkpoints,
 * and the LogHook the registry calls inside each change's transaction (so a leaf commits with its change or not at all).
 * The in-memory tree follows the store (`sync`): leaves committed by other processes on the same database join it.
 *
 * Sealing: an entry of a private namespace is appended as a `sealed` leaf (a salted commitment, 32 random bytes of
 * salt) and its opening (salt + entry) is stored beside it, in the same transaction, for that namespace's readers.
 * An entry too long for a C2SP entry bundle (MAX_TILE_ENTRY_BYTES) is sealed too, its opening readable to whoever
 * can read the namespace (everyone, for a public one): tiles always carry every leaf, and nothing is truncated.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import {
  addNoteSignatures,
  decodeLogEntry,
  encodeLogEntry,
  equalBytes,
  generateNoteSigner,
  MAX_LOG_ENTRY_BYTES,
  MerkleTree,
  type NoteSigner,
  type OpenEntry,
  openSealedEntry,
  parseSignerKey,
  SEAL_SALT_BYTES,
  sealLogEntry,
  signCheckpoint,
  verifierOf,
  verifyCheckpoint,
} from '@modelsec/core/tlog';
import type { LogEvent, LogHook } from '../log-hook.js';
import type { LogOpeningRecord, MetadataOps, MetadataStore } from '../store/metadata-store.js';
import { MAX_TILE_ENTRY_BYTES } from './tiles.js';

/** Leaves read from the store per query while rebuilding (bounds memory per round trip). */
export const LOG_REBUILD_BATCH = 10_000;
export const DEFAULT_LOG_ORIGIN = 'modelsec-registry';
export const LOG_KEY_FILE = 'log-signer.key';

export interface TransparencyLogOptions {
  /** The key file lives in `<dataDir>/log/`. */
  dataDir: string;
  /** Checkpoint origin and key name (used only when the key is generated). */
  origin?: string;
}

/** Loads the signer key, creating it atomically on first start (several processes may race: one link wins). */
export async function loadOrCreateLogSigner(dataDir: string, origin = DEFAULT_LOG_ORIGIN): Promise<NoteSigner> {
  const dir = join(dataDir, 'log');
  const file = join(dir, LOG_KEY_FILE);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) return parseSignerKey(existing);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const signer = generateNoteSigner(origin);
  const temp = join(dir, `.${LOG_KEY_FILE}.${randomBytes(6).toString('hex')}`);
  await writeFile(temp, `${signer.privateText}\n`, { mode: 0o600, flush: true });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  return parseSignerKey(await readFile(file, 'utf8'));
}

export function entryFromEvent(event: LogEvent): OpenEntry {
  return event;
}

/** Where a publish entry sits in the log (and whose namespace it is, for authorising lookups). */
export interface PublishLocation {
  index: number;
  namespace: string;
  sealed: boolean;
}

export class TransparencyLog implements LogHook {
  readonly tree = new MerkleTree();
  /** `ns/model@version` -> its publish entry (a lookup aid; clients verify the entry itself). */
  private readonly publishIndex = new Map<string, PublishLocation>();
  private syncing: Promise<void> = Promise.resolve();

  private constructor(
    readonly store: MetadataStore,
    readonly signer: NoteSigner,
  ) {}

  get origin(): string {
    return this.signer.name;
  }

  /** The public verifier key `<name>+<hex id>+<base64 key>`. */
  get publicKey(): string {
    return this.signer.text;
  }

  /** Rebuilds the tree from the stored leaves and checks it against the last signed checkpoint. */
  static async open(store: MetadataStore, options: TransparencyLogOptions): Promise<TransparencyLog> {
    const signer = await loadOrCreateLogSigner(options.dataDir, options.origin);
    const log = new TransparencyLog(store, signer);
    await log.sync();
    const last = await store.latestCheckpoint();
    if (last) {
      let cp: ReturnType<typeof verifyCheckpoint>;
      try {
        cp = verifyCheckpoint(last.text, verifierOf(signer));
      } catch (cause) {
        throw new ModelsecError(
          'LOG_INCONSISTENT',
          `the stored checkpoint is not signed by this registry's log key (${signer.text}); refusing to start`,
          { cause },
        );
      }
      if (cp.size > log.tree.size || !equalBytes(log.tree.root(cp.size), cp.rootHash))
        throw new ModelsecError(
          'LOG_INCONSISTENT',
          `the stored log leaves do not match the last signed checkpoint (size ${cp.size}, store has ${log.tree.size} leaves); refusing to start`,
          { details: { checkpointSize: cp.size, storedLeaves: log.tree.size } },
        );
    }
    return log;
  }

  /**
   * Appends the entry of a change inside its transaction: in the clear for a public namespace, sealed (opening kept
   * beside it) for a private one or when it is too long for an entry bundle. A namespace that cannot be found is
   * treated as private (fail closed: nothing leaks by accident).
   */
  async onLogEvent(tx: MetadataOps, event: LogEvent): Promise<{ logIndex: number }> {
    const entry = entryFromEvent(event);
    const bytes = encodeLogEntry(entry);
    if (bytes.length > MAX_LOG_ENTRY_BYTES)
      throw new ModelsecError('LIMIT_EXCEEDED', `the log entry is ${bytes.length} bytes; at most ${MAX_LOG_ENTRY_BYTES}`, {
        details: { bytes: bytes.length, limit: MAX_LOG_ENTRY_BYTES },
      });
    const isPublic = entry.type === 'namespace' ? entry.public : (await tx.getNamespace(entry.namespace))?.public === true;
    if (isPublic && bytes.length <= MAX_TILE_ENTRY_BYTES) return { logIndex: await tx.appendLogLeaf(bytes) };
    const salt = randomBytes(SEAL_SALT_BYTES);
    const { sealed, entryBytes } = sealLogEntry(entry, salt);
    const logIndex = await tx.appendLogLeaf(encodeLogEntry(sealed));
    await tx.putLogOpening({
      index: logIndex,
      namespace: entry.namespace,
      salt: salt.toString('hex'),
      entry: Buffer.from(entryBytes).toString('utf8'),
    });
    return { logIndex };
  }

  /** Appends committed leaves this process has not seen yet (its own and other processes'). */
  sync(): Promise<void> {
    const next = this.syncing.then(async () => {
      const size = await this.store.logSize();
      while (this.tree.size < size) {
        const start = this.tree.size;
        const end = Math.min(size, start + LOG_REBUILD_BATCH);
        const leaves = await this.store.readLogLeaves(start, end);
        if (leaves.length !== end - start)
          throw new ModelsecError('LOG_INCONSISTENT', `the store returned ${leaves.length} leaves for [${start}, ${end})`);
        const openings = new Map(
          (await this.store.listLogOpenings({ from: start, to: end, limit: end - start })).map((o) => [o.index, o]),
        );
        for (const leaf of leaves) {
          const index = this.tree.append(leaf);
          this.indexLeaf(index, leaf, openings.get(index));
        }
      }
    });
    this.syncing = next.catch(() => undefined);
    return next;
  }

  private indexLeaf(index: number, leaf: Uint8Array, opening: LogOpeningRecord | undefined): void {
    try {
      const decoded = decodeLogEntry(leaf);
      const entry = decoded.type === 'sealed' && opening ? openSealedEntry(leaf, opening) : decoded;
      if (entry.type === 'publish')
        this.publishIndex.set(`${entry.namespace}/${entry.model}@${entry.version}`, {
          index,
          namespace: entry.namespace,
          sealed: decoded.type === 'sealed',
        });
    } catch {
      // not ours to judge here: clients replaying the log report undecodable entries and openings that do not match
    }
  }

  /** The signed checkpoint of the current tree (signed and stored when the tree grew). */
  async checkpoint(): Promise<string> {
    await this.sync();
    const size = this.tree.size;
    const last = await this.store.latestCheckpoint();
    if (last && last.size === size) return last.text;
    const text = signCheckpoint({ origin: this.origin, size, rootHash: this.tree.root(size), extensions: [] }, this.signer);
    if (!last || last.size < size) await this.store.saveCheckpoint({ size, text, createdAt: new Date().toISOString() });
    return text;
  }

  /** The checkpoint with every witness cosignature collected for its size appended after the log's signature. */
  async cosignedCheckpoint(): Promise<string> {
    const text = await this.checkpoint();
    const size = Number(text.split('\n', 2)[1]);
    const lines = (await this.store.cosignaturesFor(size)).map((c) => `${c.line}\n`).join('');
    return lines ? addNoteSignatures(text, lines) : text;
  }

  /** Where the publish entry of a version is, if logged (callers authorise before answering). */
  async findPublish(namespace: string, model: string, version: string): Promise<PublishLocation | undefined> {
    await this.sync();
    return this.publishIndex.get(`${namespace}/${model}@${version}`);
  }

  async entry(index: number): Promise<Uint8Array> {
    await this.sync();
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.tree.size) throw notFound(`no log entry ${index}`);
    const [leaf] = await this.store.readLogLeaves(index, index + 1);
    if (!leaf) throw notFound(`no log entry ${index}`);
    return leaf;
  }

  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    await this.sync();
    if (size > this.tree.size || index >= size || index < 0)
      throw new ModelsecError('USAGE', `no inclusion proof for index ${index} in size ${size} (log size ${this.tree.size})`);
    return this.tree.inclusionProof(index, size);
  }

  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    await this.sync();
    if (to > this.tree.size || from > to || from < 0)
      throw new ModelsecError('USAGE', `no consistency proof from ${from} to ${to} (log size ${this.tree.size})`);
    return this.tree.consistencyProof(from, to);
  }
}

function notFound(message: string): ModelsecError {
  return new ModelsecError('NOT_FOUND', message);
}
