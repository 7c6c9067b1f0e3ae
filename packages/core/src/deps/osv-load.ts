/**
 * Loads OSV records from osv.dev's per-ecosystem zip exports (`all.zip`, the files osv-scanner's offline mode
 * uses), from directories of OSV JSON (and zip exports inside them), or from single JSON records. Only the records
 * that name a package the project uses are kept (`wanted`), so a full export costs its reading time, not its size in
 * memory: every record is parsed and dropped unless it names a wanted package.
 *
 * A source that is not a zip or JSON, a corrupt zip, or a record that is not OSV is a DEPS_OSV_INVALID error naming
 * the file (and the entry inside a zip): never a crash, and never an empty database that would read as "no findings".
 */
import { type Dirent, existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ModelsecError, toModelsecError } from '../errors/index.js';
import {
  MAX_OSV_DIRECTORY_DEPTH,
  MAX_OSV_DIRECTORY_FILES,
  MAX_OSV_RECORD_BYTES,
  OSV_MAX_WORKERS,
  OSV_PARALLEL_MIN_ENTRIES,
} from './limits.js';
import { osvEcosystem, packageKey } from './names.js';
import { asOsvRecord } from './osv-record.js';
import { screenRecord } from './osv-screen.js';
import type { OsvRecord } from './osv-types.js';
import type { OsvWorkerInput, OsvWorkerMessage } from './osv-worker.js';
import { readZipDirectory, readZipEntries, type ZipDirectory, ZipReadError } from './osv-zip.js';

export interface OsvSourceSummary {
  /** The path as given. */
  path: string;
  format: 'zip' | 'directory' | 'json';
  /** Records read. */
  records: number;
  /** Records kept (they name a package the project uses). */
  kept: number;
}

export interface OsvProgress {
  source: string;
  done: number;
  total: number;
}

export interface LoadOsvOptions {
  /** Keys (`pypi:name`, `npm:name`, see packageKey) of the packages the project uses. */
  wanted: ReadonlySet<string>;
  onProgress?: (progress: OsvProgress) => void;
}

/** The OSV records that name the project's packages, by package key. */
export class OsvIndex {
  private readonly byKey = new Map<string, OsvRecord[]>();
  private readonly seen = new Map<string, OsvRecord>();
  readonly sources: OsvSourceSummary[] = [];

  /** Records naming the package (each record once, the most recently modified copy when several sources hold it). */
  recordsFor(key: string): readonly OsvRecord[] {
    return this.byKey.get(key) ?? [];
  }

  get size(): number {
    return this.seen.size;
  }

  /** Adds a record under every wanted key it names; false when it names none. */
  add(record: OsvRecord, wanted: ReadonlySet<string>): boolean {
    const keys = new Set<string>();
    for (const affected of record.affected ?? []) {
      const pkg = affected.package;
      const ecosystem = pkg ? osvEcosystem(pkg.ecosystem) : undefined;
      if (!pkg || !ecosystem) continue;
      const key = packageKey(ecosystem, pkg.name);
      if (wanted.has(key)) keys.add(key);
    }
    if (keys.size === 0) return false;
    const previous = this.seen.get(record.id);
    if (previous) {
      if ((previous.modified ?? '') >= (record.modified ?? '')) return true;
      for (const list of this.byKey.values()) {
        const at = list.indexOf(previous);
        if (at >= 0) list.splice(at, 1);
      }
    }
    this.seen.set(record.id, record);
    for (const key of keys) {
      const list = this.byKey.get(key);
      if (list) list.push(record);
      else this.byKey.set(key, [record]);
    }
    return true;
  }
}

function invalid(file: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): ModelsecError {
  return new ModelsecError('DEPS_OSV_INVALID', `${file}: ${message}`, {
    details: { file, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Parses, checks and indexes a record that may name a wanted package. */
function ingestWanted(
  text: string,
  index: OsvIndex,
  wanted: ReadonlySet<string>,
  where: { file: string; entry?: string },
): boolean {
  const at = where.entry ? `entry ${where.entry}: ` : '';
  const details = where.entry ? { entry: where.entry } : {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalid(where.file, `${at}not JSON, so not an OSV record`, details, cause);
  }
  const record = asOsvRecord(json);
  if ('problem' in record) throw invalid(where.file, `${at}not an OSV record: ${record.problem}`, details);
  return index.add(record, wanted);
}

/** Reads one record's text into the index (screened first: see osv-screen.ts). */
function ingest(text: string, index: OsvIndex, wanted: ReadonlySet<string>, where: { file: string; entry?: string }): boolean {
  const verdict = screenRecord(text, wanted);
  if (verdict === 'wanted') return ingestWanted(text, index, wanted, where);
  if (verdict === 'other') return false;
  throw invalid(
    where.file,
    `${where.entry ? `entry ${where.entry}: ` : ''}${verdict.problem}`,
    where.entry ? { entry: where.entry } : {},
  );
}

const WORKER_URL = new URL('./osv-worker.js', import.meta.url);

/**
 * Heap bounds of each loader worker: it holds one read window, the record being screened and the texts of the
 * wanted records, so a small heap is enough, and the process's memory stays bounded however many workers run.
 */
const OSV_WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 };

function workerCount(entries: number): number {
  if (entries < OSV_PARALLEL_MIN_ENTRIES) return 1;
  try {
    if (!existsSync(fileURLToPath(WORKER_URL))) return 1; // running from sources (tsx): no compiled worker
  } catch {
    return 1;
  }
  return Math.max(1, Math.min(OSV_MAX_WORKERS, availableParallelism()));
}

function zipError(path: string, message: string, entry?: string, limit?: string): ModelsecError {
  return invalid(path, `not a readable OSV zip export: ${entry ? `entry ${entry}: ` : ''}${message}`, {
    ...(entry ? { entry } : {}),
    ...(limit ? { limit } : {}),
  });
}

/** Reads a slice of the export in worker threads; resolves with each slice's wanted texts, in slice order. */
async function screenInWorkers(
  path: string,
  size: number,
  dir: ZipDirectory,
  wanted: ReadonlySet<string>,
  count: number,
  onDone: (done: number) => void,
): Promise<{ records: number; hits: { name: string; text: string }[] }[]> {
  const slices = Array.from(
    { length: count },
    (_, k) => [Math.floor((dir.count * k) / count), Math.floor((dir.count * (k + 1)) / count)] as const,
  );
  const progress = new Array<number>(count).fill(0);
  const workers: Worker[] = [];
  try {
    return await Promise.all(
      slices.map(
        ([from, to], k) =>
          new Promise<{ records: number; hits: { name: string; text: string }[] }>((resolvePromise, reject) => {
            const input: OsvWorkerInput = { path, size, dir, from, to, wanted: [...wanted] };
            const worker = new Worker(WORKER_URL, { workerData: input, resourceLimits: OSV_WORKER_RESOURCE_LIMITS });
            workers.push(worker);
            worker.on('message', (message: OsvWorkerMessage) => {
              if (message.type === 'progress' || message.type === 'done') {
                progress[k] = message.done;
                onDone(progress.reduce((a, b) => a + b, 0));
              }
              if (message.type === 'done') resolvePromise({ records: message.records, hits: message.hits });
              else if (message.type === 'error')
                reject(
                  message.zip
                    ? zipError(path, message.message, message.entry, message.limit)
                    : invalid(
                        path,
                        `${message.entry ? `entry ${message.entry}: ` : ''}${message.message}`,
                        message.entry ? { entry: message.entry } : {},
                      ),
                );
            });
            worker.on('error', reject);
            worker.on('exit', (code) => {
              if (code !== 0) reject(new ModelsecError('INTERNAL', `OSV loader worker exited with code ${code}`));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function loadZip(path: string, index: OsvIndex, options: LoadOsvOptions, summary: OsvSourceSummary): Promise<void> {
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw toModelsecError(error);
  }
  try {
    const { size } = await handle.stat();
    const dir = await readZipDirectory(handle, size);
    const total = dir.count;
    const count = workerCount(total);
    if (count > 1) {
      const results = await screenInWorkers(path, size, dir, options.wanted, count, (done) =>
        options.onProgress?.({ source: path, done, total }),
      );
      for (const result of results) {
        summary.records += result.records;
        for (const hit of result.hits)
          if (ingestWanted(hit.text, index, options.wanted, { file: path, entry: hit.name })) summary.kept++;
      }
    } else {
      let done = 0;
      for await (const entry of readZipEntries(handle, size, dir)) {
        done++;
        if ((done & 1023) === 0) options.onProgress?.({ source: path, done, total });
        if (!entry.name.endsWith('.json')) continue;
        summary.records++;
        if (ingest(entry.data.toString('utf8'), index, options.wanted, { file: path, entry: entry.name })) summary.kept++;
      }
    }
    options.onProgress?.({ source: path, done: total, total });
  } catch (error) {
    if (error instanceof ZipReadError) throw zipError(path, error.message, error.entry, error.limit);
    throw error;
  } finally {
    await handle.close();
  }
}

async function readRecordFile(path: string, file: string): Promise<string> {
  const info = await stat(path);
  if (info.size > MAX_OSV_RECORD_BYTES)
    throw invalid(file, `${info.size} bytes, over MAX_OSV_RECORD_BYTES (${MAX_OSV_RECORD_BYTES})`, {
      limit: 'MAX_OSV_RECORD_BYTES',
    });
  return readFile(path, 'utf8');
}

async function listDirectory(dir: string): Promise<{ json: string[]; zips: string[] }> {
  const json: string[] = [];
  const zips: string[] = [];
  const walk = async (current: string, depth: number): Promise<void> => {
    const entries: Dirent[] = await readdir(current, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory() && depth < MAX_OSV_DIRECTORY_DEPTH && !entry.name.startsWith('.')) await walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.json')) json.push(path);
      else if (entry.isFile() && entry.name.endsWith('.zip')) zips.push(path);
      if (json.length > MAX_OSV_DIRECTORY_FILES)
        throw invalid(dir, `more than MAX_OSV_DIRECTORY_FILES (${MAX_OSV_DIRECTORY_FILES}) JSON files`, {
          limit: 'MAX_OSV_DIRECTORY_FILES',
        });
    }
  };
  await walk(dir, 0);
  return { json, zips };
}

async function isZip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    return head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50;
  } finally {
    await handle.close();
  }
}

/** Loads every source into one index. */
export async function loadOsv(sources: readonly string[], options: LoadOsvOptions): Promise<OsvIndex> {
  const index = new OsvIndex();
  for (const source of sources) {
    let info: import('node:fs').Stats;
    try {
      info = await stat(source);
    } catch (error) {
      throw toModelsecError(error);
    }
    options.onProgress?.({ source, done: 0, total: 0 });
    if (info.isDirectory()) {
      const summary: OsvSourceSummary = { path: source, format: 'directory', records: 0, kept: 0 };
      const { json, zips } = await listDirectory(source);
      let done = 0;
      for (const path of json) {
        const file = join(source, relative(source, path)).split(sep).join('/');
        summary.records++;
        if (ingest(await readRecordFile(path, file), index, options.wanted, { file })) summary.kept++;
        if ((++done & 255) === 0) options.onProgress?.({ source, done, total: json.length });
      }
      for (const zip of zips) {
        const inner: OsvSourceSummary = { path: zip, format: 'zip', records: 0, kept: 0 };
        await loadZip(zip, index, options, inner);
        summary.records += inner.records;
        summary.kept += inner.kept;
      }
      index.sources.push(summary);
    } else if (await isZip(source)) {
      const summary: OsvSourceSummary = { path: source, format: 'zip', records: 0, kept: 0 };
      await loadZip(source, index, options, summary);
      index.sources.push(summary);
    } else {
      const summary: OsvSourceSummary = { path: source, format: 'json', records: 1, kept: 0 };
      if (ingest(await readRecordFile(source, source), index, options.wanted, { file: source })) summary.kept = 1;
      index.sources.push(summary);
    }
  }
  return index;
}
