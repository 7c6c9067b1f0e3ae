/**
 * Lineage queries over the registry: each version's edges come from its ML-BOM and attestations (core's
 * extraction); a target whose digest is another version's root digest or one of its files is that version.
 * Queries: ancestors (transitively), descendants, and every version derived from a base model or dataset digest.
 */
import {
  type LineageEdge,
  type LineageNode,
  lineageFromMlbom,
  lineageFromProvenance,
  ModelsecError,
  mergeLineage,
} from '@modelsec/core';
import type { BlobStore } from '../store/blob-store.js';
import type { MetadataOps, VersionRecord } from '../store/metadata-store.js';

/** Largest attachment parsed for lineage (ML-BOMs and attestation bundles are small JSON documents). */
export const MAX_LINEAGE_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** Deepest ancestor/descendant chain followed (bounds work on a cyclic or hostile graph). */
export const MAX_LINEAGE_DEPTH = 32;

export interface VersionRef {
  namespace: string;
  model: string;
  version: string;
  rootDigest: string;
}

export interface LineageTreeNode {
  relation: LineageEdge['relation'];
  source: LineageEdge['source'];
  node: LineageNode;
  /** Set when the target is a version in this registry. */
  version?: VersionRef;
  parents: LineageTreeNode[];
}

const refOf = (v: VersionRecord): VersionRef => ({
  namespace: v.namespace,
  model: v.model,
  version: v.version,
  rootDigest: v.rootDigest,
});
const label = (v: VersionRef) => `${v.namespace}/${v.model}@${v.version}`;

async function readJson(blobs: BlobStore, digest: string): Promise<unknown> {
  const size = await blobs.size(digest);
  if (size === undefined || size > MAX_LINEAGE_DOCUMENT_BYTES) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.get(digest)) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function statementOf(bundle: unknown): unknown {
  const env = (bundle as { dsseEnvelope?: { payload?: string } } | undefined)?.dsseEnvelope;
  if (typeof env?.payload !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

export class LineageIndex {
  private readonly edges = new Map<string, LineageEdge[]>();
  private versions: VersionRecord[] = [];
  /** digest (hex) -> versions having it as root digest or file digest. */
  private readonly byDigest = new Map<string, VersionRecord[]>();

  private constructor(
    private readonly store: MetadataOps,
    private readonly blobs: BlobStore,
  ) {}

  /** Loads every version the caller may read (`visible`). */
  static async load(store: MetadataOps, blobs: BlobStore, visible: (namespace: string) => boolean): Promise<LineageIndex> {
    const index = new LineageIndex(store, blobs);
    index.versions = (await store.listVersions({ includeYanked: true })).filter((v) => visible(v.namespace));
    for (const v of index.versions) {
      index.addDigest(v.rootDigest, v);
      for (const f of await store.versionFiles(v.namespace, v.model, v.version)) index.addDigest(f.digest, v);
    }
    return index;
  }

  private addDigest(digest: string, v: VersionRecord): void {
    const d = digest.replace(/^sha256:/, '').toLowerCase();
    const list = this.byDigest.get(d) ?? [];
    if (!list.includes(v)) list.push(v);
    this.byDigest.set(d, list);
  }

  find(namespace: string, model: string, version: string): VersionRecord {
    const v = this.versions.find((x) => x.namespace === namespace && x.model === model && x.version === version);
    if (!v) throw new ModelsecError('NOT_FOUND', `${namespace}/${model}@${version} does not exist`);
    return v;
  }

  /** The direct edges of a version (from its ML-BOM and attestations). */
  async edgesOf(v: VersionRecord): Promise<LineageEdge[]> {
    const key = label(refOf(v));
    const cached = this.edges.get(key);
    if (cached) return cached;
    const lists: LineageEdge[][] = [];
    for (const a of await this.store.versionAttachments(v.namespace, v.model, v.version)) {
      if (a.kind === 'mlbom') lists.push(lineageFromMlbom(await readJson(this.blobs, a.digest)));
      if (a.kind === 'attestation') lists.push(lineageFromProvenance(statementOf(await readJson(this.blobs, a.digest))));
    }
    const merged = mergeLineage(...lists);
    this.edges.set(key, merged);
    return merged;
  }

  private versionFor(node: LineageNode, self: VersionRecord): VersionRecord | undefined {
    if (!node.digest) return undefined;
    return (this.byDigest.get(node.digest) ?? []).find((v) => v !== self);
  }

  /** Ancestors as a tree (each registry ancestor expanded in turn). */
  async ancestors(v: VersionRecord, depth = 0, seen = new Set<VersionRecord>()): Promise<LineageTreeNode[]> {
    if (depth >= MAX_LINEAGE_DEPTH || seen.has(v)) return [];
    const next = new Set(seen).add(v);
    const out: LineageTreeNode[] = [];
    for (const e of await this.edgesOf(v)) {
      const parent = this.versionFor(e.target, v);
      out.push({
        relation: e.relation,
        source: e.source,
        node: e.target,
        ...(parent ? { version: refOf(parent) } : {}),
        parents: parent ? await this.ancestors(parent, depth + 1, next) : [],
      });
    }
    return out;
  }

  /** Versions with an edge to any digest in `digests` (directly), sorted. */
  private async directlyDerivedFrom(digests: Set<string>, exclude: VersionRecord | undefined): Promise<VersionRecord[]> {
    const out: VersionRecord[] = [];
    for (const v of this.versions) {
      if (v === exclude) continue;
      if ((await this.edgesOf(v)).some((e) => e.target.digest !== undefined && digests.has(e.target.digest))) out.push(v);
    }
    return out;
  }

  private async digestsOf(v: VersionRecord): Promise<Set<string>> {
    const set = new Set([v.rootDigest.replace(/^sha256:/, '')]);
    for (const f of await this.store.versionFiles(v.namespace, v.model, v.version)) set.add(f.digest.replace(/^sha256:/, ''));
    return set;
  }

  /** Every version derived (transitively) from `v`. */
  async descendants(v: VersionRecord): Promise<VersionRef[]> {
    return this.closure(await this.digestsOf(v), v);
  }

  /** Every version derived (transitively) from a base model or dataset digest. */
  async derivedFromDigest(digest: string): Promise<VersionRef[]> {
    return this.closure(new Set([digest.replace(/^sha256:/, '').toLowerCase()]), undefined);
  }

  private async closure(start: Set<string>, self: VersionRecord | undefined): Promise<VersionRef[]> {
    const found = new Map<string, VersionRecord>();
    let frontier = start;
    for (let depth = 0; depth < MAX_LINEAGE_DEPTH && frontier.size > 0; depth++) {
      const next = new Set<string>();
      for (const v of await this.directlyDerivedFrom(frontier, self)) {
        const key = label(refOf(v));
        if (found.has(key)) continue;
        found.set(key, v);
        for (const d of await this.digestsOf(v)) next.add(d);
      }
      frontier = next;
    }
    return [...found.values()].map(refOf).sort((a, b) => (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0));
  }
}
