import type { ByteSource } from '../../formats/byte-source.js';
import type { DeclaredPackage, DependencyParseResult } from '../dependency-types.js';
import { HeaderError, readWeightHeader, weightFormatOf } from './headers.js';
import { MAX_METADATA_FILE_BYTES } from './limits.js';
import type { BomWarning, ModelFacts, ModelFile, ModelOrigin, WeightSummary } from './types.js';

/** One file as listed by a model source, before hashing. */
export interface ListedFile {
  path: string;
  size: number;
}

/**
 * How the fact gatherer reaches a model's files: a local directory or the Hub implement it, so both give the
 * same facts for the same bytes.
 */
export interface ModelFileAccess {
  origin: ModelOrigin;
  list(): Promise<ListedFile[]>;
  /** The file's bytes as text (callers only ask for files at most MAX_METADATA_FILE_BYTES long). */
  readText(path: string): Promise<string>;
  /** Random access to the file, for header readers. */
  open(path: string, size: number): Promise<ByteSource>;
  /** SHA-256 hex of each file, in order (or `{sha256, source}` when not computed here); `onHashed(bytes)` as they go. */
  hash(files: ListedFile[], onHashed?: (bytes: number) => void): Promise<Array<string | { sha256: string; source: 'hub-lfs' }>>;
  /** Parsed dependency files (`--deps auto` and `--deps-file`). */
  dependencies?(files: ListedFile[]): Promise<DependencyParseResult | undefined>;
}

export interface GatherOptions {
  /** Called with 1 as each file's hash is done (for a progress bar over the file count). */
  onHashed?: (bytes: number) => void;
  /** Called once before hashing with the total bytes to hash. */
  onHashStart?: (totalBytes: number) => void;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Reads a small JSON object file, warning (naming the file) when it is too big, not JSON or not an object. */
async function readJsonObject(
  access: ModelFileAccess,
  file: ListedFile | undefined,
  warnings: BomWarning[],
): Promise<Record<string, unknown> | undefined> {
  if (!file) return undefined;
  if (file.size > MAX_METADATA_FILE_BYTES) {
    warnings.push({
      code: 'METADATA_TOO_LARGE',
      file: file.path,
      message: `${file.path}: ${file.size} bytes, over MAX_METADATA_FILE_BYTES; not read`,
    });
    return undefined;
  }
  const text = await access.readText(file.path);
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    warnings.push({ code: 'METADATA_INVALID', file: file.path, message: `${file.path}: not a JSON object; ignored` });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    warnings.push({ code: 'METADATA_INVALID', file: file.path, message: `${file.path}: not valid JSON (${reason}); ignored` });
  }
  return undefined;
}

/** The file at the top of the model whose name matches (case-insensitively). */
function topLevel(files: ListedFile[], name: string): ListedFile | undefined {
  return files.find((f) => f.path.toLowerCase() === name.toLowerCase());
}

/** Gathers every fact the BOM needs: hashes, card, configs, weight headers, dependencies; problems as warnings. */
export async function gatherModelFacts(access: ModelFileAccess, options: GatherOptions = {}): Promise<ModelFacts> {
  const warnings: BomWarning[] = [];
  const listed = [...(await access.list())].sort((a, b) => byString(a.path, b.path));
  options.onHashStart?.(listed.reduce((n, f) => n + f.size, 0));
  const digests = await access.hash(listed, options.onHashed);
  const files: ModelFile[] = listed.map((f, i) => {
    const d = digests[i]!;
    return typeof d === 'string'
      ? { path: f.path, size: f.size, sha256: d }
      : { path: f.path, size: f.size, sha256: d.sha256, sha256Source: d.source };
  });
  const facts: ModelFacts = { origin: access.origin, files, weights: [], warnings };

  const readme = topLevel(listed, 'README.md');
  if (readme) {
    if (readme.size > MAX_METADATA_FILE_BYTES) {
      warnings.push({
        code: 'METADATA_TOO_LARGE',
        file: readme.path,
        message: `${readme.path}: over MAX_METADATA_FILE_BYTES; card not read`,
      });
    } else facts.cardText = { file: readme.path, text: await access.readText(readme.path) };
  }
  const config = await readJsonObject(access, topLevel(listed, 'config.json'), warnings);
  if (config) facts.config = config;
  const tokenizerConfig = await readJsonObject(access, topLevel(listed, 'tokenizer_config.json'), warnings);
  if (tokenizerConfig) facts.tokenizerConfig = tokenizerConfig;
  const generationConfig = await readJsonObject(access, topLevel(listed, 'generation_config.json'), warnings);
  if (generationConfig) facts.generationConfig = generationConfig;
  const adapterConfig = await readJsonObject(access, topLevel(listed, 'adapter_config.json'), warnings);
  if (adapterConfig) facts.adapterConfig = adapterConfig;

  for (const file of listed) {
    const format = weightFormatOf(file.path);
    if (!format) continue;
    let source: ByteSource | undefined;
    try {
      source = await access.open(file.path, file.size);
      facts.weights.push(await readWeightHeader(format, source, file.path));
    } catch (error) {
      if (!(error instanceof HeaderError)) throw error;
      warnings.push({
        code: 'WEIGHT_HEADER_INVALID',
        file: file.path,
        message: `${error.message}; its facts are left out of the BOM`,
      });
    } finally {
      await source?.close();
    }
  }
  await checkShardIndexes(access, listed, warnings);
  const deps = access.dependencies ? await access.dependencies(listed) : undefined;
  if (deps) {
    facts.dependencies = deps;
    for (const w of deps.warnings)
      warnings.push({ code: w.code, file: w.file, message: `${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}` });
  }
  warnings.sort((a, b) => byString(a.file, b.file) || byString(a.message, b.message));
  return facts;
}

/** Sharded checkpoints: every shard an index's weight_map names must be in the model (else a warning). */
async function checkShardIndexes(access: ModelFileAccess, listed: ListedFile[], warnings: BomWarning[]): Promise<void> {
  const paths = new Set(listed.map((f) => f.path));
  for (const index of listed.filter((f) =>
    /(^|\/)[^/]*\.safetensors\.index\.json$|(^|\/)pytorch_model\.bin\.index\.json$/.test(f.path),
  )) {
    const doc = await readJsonObject(access, index, warnings);
    const map = doc?.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map)) {
      if (doc)
        warnings.push({
          code: 'SHARD_INDEX_INVALID',
          file: index.path,
          message: `${index.path}: no weight_map object; shards not checked`,
        });
      continue;
    }
    const dir = index.path.includes('/') ? index.path.slice(0, index.path.lastIndexOf('/') + 1) : '';
    const shards = new Set(Object.values(map as Record<string, unknown>).filter((v): v is string => typeof v === 'string'));
    for (const shard of [...shards].sort()) {
      if (!paths.has(dir + shard)) {
        warnings.push({
          code: 'SHARD_MISSING',
          file: index.path,
          message: `${index.path}: names shard ${shard}, which is not in the model`,
        });
      }
    }
  }
}

/** Merges parse results of several dependency files (packages deduplicated by purl, lists sorted). */
export function mergeDependencyResults(results: DependencyParseResult[]): DependencyParseResult {
  const packages = new Map<string, DeclaredPackage>();
  const direct = new Set<string>();
  const warnings = results.flatMap((r) => r.warnings);
  for (const r of results) {
    for (const p of r.packages) {
      const existing = packages.get(p.purl);
      if (!existing) packages.set(p.purl, { ...p, hashes: [...p.hashes], dependsOn: [...p.dependsOn] });
      else {
        const seen = new Set(existing.hashes.map((h) => `${h.alg}:${h.content}`));
        for (const h of p.hashes) if (!seen.has(`${h.alg}:${h.content}`)) existing.hashes.push(h);
        existing.dependsOn = [...new Set([...existing.dependsOn, ...p.dependsOn])].sort(byString);
        if (p.scope === 'required') existing.scope = 'required';
      }
    }
    for (const d of r.direct) direct.add(d);
  }
  return {
    packages: [...packages.values()].sort((a, b) => byString(a.purl, b.purl)),
    direct: [...direct].sort(byString),
    warnings,
  };
}

export type { WeightSummary };
