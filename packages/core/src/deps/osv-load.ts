/**
 * Loads OSV records from osv.dev's per-ecosystem zip exports (`all.zip`, the files osv-scanner's offline mode
 * uses), from directories of OSV JSON (and zip exports inside them), or from single JSON records. Only the records
 * that name a package the project uses are kept (`wanted`), so a full export costs its reading time, not its size in
 * memory: every record is parsed and dropped unless it names a wanted package.
 *
 * A source that is not a zip or JSON, a corrupt zip, or a record that is not OSV is a DEPS_OSV_INVALID error naming
 * the file (and the entry inside a zip): never a crash, and never an empty database that would read as "no findings".
 */
import type { Dirent } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ModelsecError, toModelsecError } from '../errors/index.js';
import { MAX_OSV_DIRECTORY_DEPTH, MAX_OSV_DIRECTORY_FILES, MAX_OSV_RECORD_BYTES } from './limits.js';
import { osvEcosystem, packageKey } from './names.js';
import { asOsvRecord } from './osv-record.js';
import type { OsvRecord } from './osv-types.js';
import { iterateZipEntries, ZipReadError } from './osv-zip.js';

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

/**
 * A cheap look for a wanted name before the shape is checked: every `"name": "..."` string in the record text. A
 * record none of whose names is wanted is only checked to be a JSON object with an id (so garbage is still an
 * error) and dropped.
 */
const NAME_FIELD = /"name"\s*:\s*"((?:[^"\\]|\\.){1,400})"/g;

function mayNameWanted(text: string, wanted: ReadonlySet<string>): boolean {
  NAME_FIELD.lastIndex = 0;
  for (let m = NAME_FIELD.exec(text); m !== null; m = NAME_FIELD.exec(text)) {
    let name = m[1] as string;
    if (name.includes('\\')) {
      try {
        name = JSON.parse(`"${name}"`) as string;
      } catch {
        return true;
      }
    }
    if (wanted.has(packageKey('pypi', name)) || wanted.has(packageKey('npm', name))) return true;
  }
  return false;
}

/** Reads one record's text into the index. */
function ingest(text: string, index: OsvIndex, wanted: ReadonlySet<string>, where: { file: string; entry?: string }): boolean {
  const at = where.entry ? `entry ${where.entry}: ` : '';
  const details = where.entry ? { entry: where.entry } : {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalid(where.file, `${at}not JSON, so not an OSV record`, details, cause);
  }
  if (!mayNameWanted(text, wanted)) {
    // Not a wanted package: only check that it is a record at all (an id), then drop it.
    if (typeof json !== 'object' || json === null || typeof (json as { id?: unknown }).id !== 'string')
      throw invalid(where.file, `${at}not an OSV record (no string "id")`, details);
    return false;
  }
  const record = asOsvRecord(json);
  if ('problem' in record) throw invalid(where.file, `${at}not an OSV record: ${record.problem}`, details);
  return index.add(record, wanted);
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
    const { total, entries } = await iterateZipEntries(handle, size);
    let done = 0;
    for await (const entry of entries) {
      done++;
      if (!entry.name.endsWith('.json')) continue;
      summary.records++;
      if (ingest(entry.data.toString('utf8'), index, options.wanted, { file: path, entry: entry.name })) summary.kept++;
      if ((done & 1023) === 0) options.onProgress?.({ source: path, done, total });
    }
    options.onProgress?.({ source: path, done: total, total });
  } catch (error) {
    if (error instanceof ZipReadError)
      throw invalid(path, `not a readable OSV zip export: ${error.entry ? `entry ${error.entry}: ` : ''}${error.message}`, {
        ...(error.entry ? { entry: error.entry } : {}),
        ...(error.limit ? { limit: error.limit } : {}),
      });
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
