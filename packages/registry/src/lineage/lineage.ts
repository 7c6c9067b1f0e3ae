/**
 * Lineage queries over the registry: each version's edges come from its ML-BOM and attestations (core's
 * extraction), read ONCE at push and kept in the lineage index (a table); a query reads only the index and the
 * versions it reaches, never an attachment. A target whose digest is another version's root digest or one of its
 * files is that version. Queries: ancestors (transitively), descendants, and every version derived from a base
 * model or dataset digest.
 */
import { ModelsecError } from '@modelsec/core/errors';
import {
  type LineageEdge,
  type LineageNode,
  lineageFromMlbom,
  lineageFromProvenance,
  mergeLineage,
} from '@modelsec/core/lineage';
import { canonicalJson } from '@modelsec/core/util';
import type { BlobStore } from '../store/blob-store.js';
import type { AttachmentRecord, LineageEdgeRecord, MetadataOps, VersionKey, VersionRecord } from '../store/metadata-store.js';

/** Largest attachment parsed for lineage (ML-BOMs and attestation bundles are small JSON documents). */
export const MAX_LINEAGE_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** Deepest ancestor/descendant chain followed (bounds work on a cyclic or hostile graph). */
export const MAX_LINEAGE_DEPTH = 32;
/**
 * Most nodes one ancestors tree answers. Each registry version is expanded once per query (a diamond-shaped graph
 * would otherwise answer 2^depth nodes); past this bound the rest is left out and the answer says `truncated`.
 */
export const MAX_LINEAGE_TREE_NODES = 10_000;
/**
 * Most edges a search by dataset or base-model name reads (a name fragment as short as one letter matches many);
 * past it the answer says `truncated`.
 */
export const MAX_NAME_SEARCH_EDGES = 1000;
/** Longest name fragment searched for (names in ML-BOMs are short; this bounds the LIKE pattern). */
export const MAX_NAME_SEARCH_LENGTH = 256;
/** Digests looked up in the index per query (SQLite binds at most 32766 parameters). */
const DIGESTS_PER_LOOKUP = 500;
/** Versions indexed per batch when the registry indexes versions published before the index existed. */
const LINEAGE_BACKFILL_BATCH = 100;

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
  /** The version's ancestors are listed where it first appears in this tree (`parents` is empty here). */
  repeated?: true;
}

const refOf = (v: VersionRecord): VersionRef => ({
  namespace: v.namespace,
  model: v.model,
  version: v.version,
  rootDigest: v.rootDigest,
});
const label = (v: VersionKey) => `${v.namespace}/${v.model}@${v.version}`;

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

const normalise = (digest: string): string => digest.replace(/^sha256:/, '').toLowerCase();
const byVersionOrder = (a: VersionRecord, b: VersionRecord): number => {
  const ka = [a.namespace, a.model, a.publishedAt, a.version];
  const kb = [b.namespace, b.model, b.publishedAt, b.version];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as string) < (kb[i] as string) ? -1 : 1;
  return 0;
};

/** The lineage edges of a version from its attachments: what the push records in the index (parsed once, here). */
export async function lineageOfAttachments(
  blobs: BlobStore,
  attachments: readonly Pick<AttachmentRecord, 'kind' | 'digest'>[],
): Promise<LineageEdge[]> {
  const lists: LineageEdge[][] = [];
  for (const a of attachments) {
    if (a.kind === 'mlbom') lists.push(lineageFromMlbom(await readJson(blobs, a.digest)));
    if (a.kind === 'attestation') lists.push(lineageFromProvenance(statementOf(await readJson(blobs, a.digest))));
  }
  return mergeLineage(...lists);
}

/** Index rows of a version's edges. */
export function lineageRecords(key: VersionKey, edges: readonly LineageEdge[]): LineageEdgeRecord[] {
  return edges.map((e, seq) => ({
    ...key,
    seq,
    relation: e.relation,
    source: e.source,
    target: canonicalJson(e.target),
    targetDigest: e.target.digest ? normalise(e.target.digest) : null,
  }));
}

/** Indexes versions published before the lineage index existed (their attachments are parsed this once). */
export async function backfillLineageIndex(store: MetadataOps, blobs: BlobStore): Promise<number> {
  let indexed = 0;
  for (;;) {
    const batch = await store.unindexedVersions(LINEAGE_BACKFILL_BATCH);
    if (batch.length === 0) return indexed;
    for (const key of batch) {
      const attachments = await store.versionAttachments(key.namespace, key.model, key.version);
      const edges = await lineageOfAttachments(blobs, attachments).catch(() => []);
      await store.insertLineage(key, lineageRecords(key, edges));
      indexed++;
    }
  }
}

/** A dataset or base model named in some version's lineage, and the versions derived from it (transitively). */
export interface NamedLineageTarget {
  node: LineageNode;
  versions: VersionRef[];
}

export class LineageIndex {
  private readonly edges = new Map<string, LineageEdge[]>();
  private readonly versionsByDigest = new Map<string, VersionRecord[]>();

  private constructor(
    private readonly store: MetadataOps,
    private readonly visible: (namespace: string) => boolean,
  ) {}

  /** A query over the versions the caller may read (`visible`); nothing is loaded up front. */
  static async load(store: MetadataOps, visible: (namespace: string) => boolean): Promise<LineageIndex> {
    return new LineageIndex(store, visible);
  }

  async find(namespace: string, model: string, version: string): Promise<VersionRecord> {
    const v = this.visible(namespace) ? await this.store.getVersion(namespace, model, version) : undefined;
    if (!v) throw new ModelsecError('NOT_FOUND', `${namespace}/${model}@${version} does not exist`);
    return v;
  }

  /** The direct edges of a version, from the index written at push. */
  async edgesOf(v: VersionRef): Promise<LineageEdge[]> {
    const key = label(v);
    const cached = this.edges.get(key);
    if (cached) return cached;
    const rows = (await this.store.lineageEdges(v.namespace, v.model, v.version)) ?? [];
    const edges = rows.map(
      (r): LineageEdge => ({
        relation: r.relation as LineageEdge['relation'],
        source: r.source as LineageEdge['source'],
        target: JSON.parse(r.target) as LineageNode,
      }),
    );
    this.edges.set(key, edges);
    return edges;
  }

  /** Readable versions having `digest` as their root digest or one of their files, in listing order. */
  private async versionsWith(digest: string): Promise<VersionRecord[]> {
    const d = normalise(digest);
    const cached = this.versionsByDigest.get(d);
    if (cached) return cached;
    const found = new Map<string, VersionRecord>();
    for (const v of [
      ...(await this.store.listVersions({ rootDigest: d, includeYanked: true, summary: true })),
      ...(await this.store.listVersions({ fileDigest: d, includeYanked: true, summary: true })),
    ])
      if (this.visible(v.namespace)) found.set(label(v), v);
    const list = [...found.values()].sort(byVersionOrder);
    this.versionsByDigest.set(d, list);
    return list;
  }

  private async versionFor(node: LineageNode, self: VersionRecord): Promise<VersionRecord | undefined> {
    if (!node.digest) return undefined;
    return (await this.versionsWith(node.digest)).find((v) => label(v) !== label(self));
  }

  /** Ancestors as a tree: each registry version's own ancestors are expanded once, where it first appears. */
  async ancestors(v: VersionRecord): Promise<{ ancestors: LineageTreeNode[]; truncated: boolean }> {
    const budget = { nodes: MAX_LINEAGE_TREE_NODES, truncated: false };
    const ancestors = await this.expand(v, 0, new Set([label(v)]), budget);
    return { ancestors, truncated: budget.truncated };
  }

  private async expand(
    v: VersionRecord,
    depth: number,
    expanded: Set<string>,
    budget: { nodes: number; truncated: boolean },
  ): Promise<LineageTreeNode[]> {
    if (depth >= MAX_LINEAGE_DEPTH) return [];
    const out: LineageTreeNode[] = [];
    for (const e of await this.edgesOf(v)) {
      if (budget.nodes <= 0) {
        budget.truncated = true;
        break;
      }
      budget.nodes--;
      const parent = await this.versionFor(e.target, v);
      const node: LineageTreeNode = {
        relation: e.relation,
        source: e.source,
        node: e.target,
        ...(parent ? { version: refOf(parent) } : {}),
        parents: [],
      };
      out.push(node);
      if (!parent) continue;
      if (expanded.has(label(parent))) node.repeated = true;
      else {
        expanded.add(label(parent));
        node.parents = await this.expand(parent, depth + 1, expanded, budget);
      }
    }
    return out;
  }

  /** Readable versions with an edge to any digest in `digests` (directly), from the index. */
  private async directlyDerivedFrom(digests: Set<string>, exclude: VersionRecord | undefined): Promise<VersionRecord[]> {
    const all = [...digests];
    const keys = new Map<string, VersionKey>();
    for (let i = 0; i < all.length; i += DIGESTS_PER_LOOKUP)
      for (const k of await this.store.versionsDerivedFrom(all.slice(i, i + DIGESTS_PER_LOOKUP))) keys.set(label(k), k);
    const out: VersionRecord[] = [];
    for (const k of keys.values()) {
      if (!this.visible(k.namespace) || (exclude && label(k) === label(exclude))) continue;
      const v = await this.store.getVersion(k.namespace, k.model, k.version);
      if (v) out.push(v);
    }
    return out.sort(byVersionOrder);
  }

  private async digestsOf(v: VersionRecord): Promise<Set<string>> {
    const set = new Set([normalise(v.rootDigest)]);
    for (const f of await this.store.versionFiles(v.namespace, v.model, v.version)) set.add(normalise(f.digest));
    return set;
  }

  /** Every version derived (transitively) from `v`. */
  async descendants(v: VersionRecord): Promise<VersionRef[]> {
    return this.closure(await this.digestsOf(v), v);
  }

  /** Every version derived (transitively) from a base model or dataset digest. */
  async derivedFromDigest(digest: string): Promise<VersionRef[]> {
    return this.closure(new Set([normalise(digest)]), undefined);
  }

  /**
   * Datasets and base models whose name contains `fragment` (ASCII case-insensitive) in the lineage of versions of
   * `namespaces`, each with every readable version derived from it: directly (the versions naming it) and
   * transitively (versions derived from those). Targets are keyed as lineage keys them (digest, purl, URI or name).
   */
  async derivedFromName(
    fragment: string,
    namespaces: readonly string[],
  ): Promise<{ targets: NamedLineageTarget[]; truncated: boolean }> {
    const readable = namespaces.filter((n) => this.visible(n));
    const edges: LineageEdgeRecord[] = [];
    for (let i = 0; i < readable.length && edges.length < MAX_NAME_SEARCH_EDGES; i += DIGESTS_PER_LOOKUP)
      edges.push(
        ...(await this.store.lineageEdgesNamed(
          fragment,
          readable.slice(i, i + DIGESTS_PER_LOOKUP),
          MAX_NAME_SEARCH_EDGES - edges.length,
        )),
      );
    const byKey = new Map<string, { node: LineageNode; direct: Map<string, VersionRecord> }>();
    for (const e of edges) {
      const node = JSON.parse(e.target) as LineageNode;
      const v = await this.store.getVersion(e.namespace, e.model, e.version);
      if (!v) continue;
      const entry = byKey.get(node.key) ?? { node, direct: new Map() };
      entry.direct.set(label(v), v);
      byKey.set(node.key, entry);
    }
    const targets: NamedLineageTarget[] = [];
    for (const key of [...byKey.keys()].sort()) {
      const { node, direct } = byKey.get(key) as { node: LineageNode; direct: Map<string, VersionRecord> };
      const found = new Map<string, VersionRef>();
      for (const v of direct.values()) {
        found.set(label(v), refOf(v));
        for (const d of await this.closure(await this.digestsOf(v), v)) found.set(label(d), d);
      }
      targets.push({
        node,
        versions: [...found.values()].sort((a, b) => (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0)),
      });
    }
    return { targets, truncated: edges.length >= MAX_NAME_SEARCH_EDGES };
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
