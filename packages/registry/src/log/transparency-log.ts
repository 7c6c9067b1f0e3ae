/**
 * The registry's transparency log: an RFC 6962 tree over the leaves in the metadata store, signed C2SP checkpoints,
 * and the LogHook the registry calls inside each change's transaction (so a leaf commits with its change or not at all).
 * The in-memory tree follows the store (`sync`): leaves committed by other processes on the same database join it.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeLogEntry,
  encodeLogEntry,
  equalBytes,
  generateNoteSigner,
  type LogEntry,
  MerkleTree,
  ModelsecError,
  type NoteSigner,
  parseSignerKey,
  signCheckpoint,
  verifierOf,
  verifyCheckpoint,
} from '@modelsec/core';
import type { LogEvent, LogHook } from '../log-hook.js';
import type { MetadataOps, MetadataStore } from '../store/metadata-store.js';

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

export function entryFromEvent(event: LogEvent): LogEntry {
  return event as LogEntry;
}

export class TransparencyLog implements LogHook {
  readonly tree = new MerkleTree();
  /** `ns/model@version` -> index of its publish entry (a lookup aid; clients verify the entry itself). */
  private readonly publishIndex = new Map<string, number>();
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

  async onLogEvent(tx: MetadataOps, event: LogEvent): Promise<{ logIndex: number }> {
    const logIndex = await tx.appendLogLeaf(encodeLogEntry(entryFromEvent(event)));
    return { logIndex };
  }

  /** Appends committed leaves this process has not seen yet (its own and other processes'). */
  sync(): Promise<void> {
    const next = this.syncing.then(async () => {
      const size = await this.store.logSize();
      while (this.tree.size < size) {
        const end = Math.min(size, this.tree.size + LOG_REBUILD_BATCH);
        const leaves = await this.store.readLogLeaves(this.tree.size, end);
        if (leaves.length !== end - this.tree.size)
          throw new ModelsecError(
            'LOG_INCONSISTENT',
            `the store returned ${leaves.length} leaves for [${this.tree.size}, ${end})`,
          );
        for (const leaf of leaves) {
          const index = this.tree.append(leaf);
          try {
            const entry = decodeLogEntry(leaf);
            if (entry.type === 'publish') this.publishIndex.set(`${entry.namespace}/${entry.model}@${entry.version}`, index);
          } catch {
            // not ours to judge here: clients replaying the log report undecodable entries
          }
        }
      }
    });
    this.syncing = next.catch(() => undefined);
    return next;
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

  /** Index of the publish entry of a version, if logged. */
  async findPublish(namespace: string, model: string, version: string): Promise<number | undefined> {
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
