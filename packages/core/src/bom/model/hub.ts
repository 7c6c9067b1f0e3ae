import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../../formats/byte-source.js';
import { memorySource } from '../../formats/byte-source.js';
import {
  downloadBytes,
  downloadRange,
  fetchModelMetadata,
  type HubClientOptions,
  type HubFile,
  hubClient,
  MAX_HUB_DOWNLOAD_BYTES,
  MAX_HUB_HASHED_BYTES,
} from '../../hub/client.js';
import { parseHubReference } from '../../hub/reference.js';
import type { DependencyParseResult } from '../dependency-types.js';
import { dependencyFileKind, parseDependencyText } from '../deps/index.js';
import { gatherModelFacts, type ListedFile, type ModelFileAccess, mergeDependencyResults } from './gather.js';
import { MAX_METADATA_FILE_BYTES } from './limits.js';
import { dependencyCandidates } from './local.js';
import type { BomWarning, ModelFacts } from './types.js';

export type { HubClientOptions };

export interface HubModelOptions extends HubClientOptions {
  deps?: 'auto' | 'none';
  /** Files up to this size are downloaded and hashed; larger LFS files take the Hub's sha256 (default MAX_HUB_HASHED_BYTES). */
  maxHashedBytes?: number;
  onHashed?: (bytes: number) => void;
  onHashStart?: (totalBytes: number) => void;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Access to a Hub model without downloading its weights: small files are downloaded (and hashed, cross-checked
 * against the LFS sha256 when listed), big LFS files take the Hub's sha256, headers are read with range requests.
 */
export async function hubModelAccess(target: string, options: HubModelOptions = {}): Promise<ModelFileAccess> {
  const ref = parseHubReference(target);
  const client = hubClient(options);
  const meta = await fetchModelMetadata(ref, client);
  const byPath = new Map<string, HubFile>(meta.files.map((f) => [f.path, f]));
  // Only metadata read again later (card, configs, dependency files) stays in memory; hashed files do not.
  const cache = new Map<string, Uint8Array>();
  const METADATA = new Set([
    'readme.md',
    'config.json',
    'tokenizer_config.json',
    'generation_config.json',
    'adapter_config.json',
  ]);
  const keep = (path: string) =>
    (byPath.get(path)?.size ?? Number.POSITIVE_INFINITY) <= MAX_METADATA_FILE_BYTES &&
    (METADATA.has(path.toLowerCase()) || path.endsWith('.index.json') || dependencyFileKind(basename(path)) !== undefined);
  const fetchWhole = async (path: string): Promise<Uint8Array> => {
    const cached = cache.get(path);
    if (cached) return cached;
    const file = byPath.get(path);
    const bytes = await downloadBytes(client, meta.repo, meta.sha, path, MAX_HUB_DOWNLOAD_BYTES);
    if (file?.lfsSha256 && sha256(bytes) !== file.lfsSha256) {
      throw new ModelsecError(
        'HUB_HASH_MISMATCH',
        `hf://${meta.repo}/${path}: downloaded bytes hash to ${sha256(bytes)}, the Hub's LFS sha256 is ${file.lfsSha256}`,
        {
          details: { file: path, expected: file.lfsSha256, actual: sha256(bytes) },
        },
      );
    }
    if (keep(path)) cache.set(path, bytes);
    return bytes;
  };
  return {
    origin: { kind: 'hub', repoId: meta.repo, commit: meta.sha, endpoint: client.endpoint },
    list: async (): Promise<ListedFile[]> => meta.files.map((f) => ({ path: f.path, size: f.size })),
    readText: async (path) => Buffer.from(await fetchWhole(path)).toString('utf8'),
    open: async (path, size): Promise<ByteSource> => {
      if (cache.has(path)) return memorySource(cache.get(path)!);
      return {
        size,
        read: (offset, length) => downloadRange(client, meta.repo, meta.sha, path, offset, Math.min(length, size - offset)),
        close: async () => {},
      };
    },
    hash: async (files, onHashed) => {
      const out: Array<string | { sha256: string; source: 'hub-lfs' }> = [];
      for (const f of files) {
        const listed = byPath.get(f.path);
        if (listed?.lfsSha256 && f.size > (options.maxHashedBytes ?? MAX_HUB_HASHED_BYTES))
          out.push({ sha256: listed.lfsSha256, source: 'hub-lfs' });
        else {
          const bytes = await fetchWhole(f.path);
          out.push(sha256(bytes));
        }
        onHashed?.(f.size);
      }
      return out;
    },
    dependencies: async (files): Promise<DependencyParseResult | undefined> => {
      if (options.deps !== 'auto') return undefined;
      const results: DependencyParseResult[] = [];
      const warnings: BomWarning[] = [];
      for (const f of dependencyCandidates(files, warnings)) {
        const kind = dependencyFileKind(basename(f.path));
        if (!kind) continue;
        const text = Buffer.from(await fetchWhole(f.path)).toString('utf8');
        results.push(parseDependencyText(text, kind, f.path));
      }
      for (const w of warnings)
        results.push({
          packages: [],
          direct: [],
          warnings: [{ code: w.code, file: w.file, message: w.message.slice(w.file.length + 2) }],
        });
      return results.length > 0 ? mergeDependencyResults(results) : undefined;
    },
  };
}

/** Gathers the facts of `hf://ORG/NAME[@REV]` from the Hub. */
export async function gatherHubModel(target: string, options: HubModelOptions = {}): Promise<ModelFacts> {
  const access = await hubModelAccess(target, options);
  return gatherModelFacts(access, {
    ...(options.onHashed ? { onHashed: options.onHashed } : {}),
    ...(options.onHashStart ? { onHashStart: options.onHashStart } : {}),
  });
}
