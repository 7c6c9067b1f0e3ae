/**
 * Lineage edges of a model version, from what was published with it: the ML-BOM (CycloneDX pedigree ancestors,
 * the model card's datasets, `data` components) and SLSA provenance (`resolvedDependencies`). Nodes are named by
 * digest where one is known (`sha256:<hex>`), else by purl/URI/name, so edges from different sources meet.
 */

export type LineageRelation = 'derived-from' | 'trained-on';
export type LineageNodeKind = 'model' | 'dataset' | 'artifact';

export interface LineageNode {
  kind: LineageNodeKind;
  /** Stable key: `sha256:<hex>` when a digest is known, else `purl:...`, `uri:...` or `name:...`. */
  key: string;
  name?: string;
  version?: string;
  digest?: string;
  uri?: string;
}

export interface LineageEdge {
  relation: LineageRelation;
  /** The ancestor (base model, dataset...) the version was made from. */
  target: LineageNode;
  source: 'mlbom' | 'attestation';
}

/** Most edges taken from one document (a pedigree is a few entries; this bounds hostile input). */
export const MAX_LINEAGE_EDGES_PER_DOCUMENT = 1000;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function sha256Of(hashes: unknown): string | undefined {
  for (const h of list(hashes)) {
    if (isRec(h) && /^sha-?256$/i.test(String(h.alg)) && /^[0-9a-f]{64}$/i.test(String(h.content)))
      return String(h.content).toLowerCase();
  }
  return undefined;
}

export function lineageNode(kind: LineageNodeKind, fields: Omit<LineageNode, 'kind' | 'key'> & { purl?: string }): LineageNode {
  const key = fields.digest
    ? `sha256:${fields.digest}`
    : fields.purl
      ? `purl:${fields.purl}`
      : fields.uri
        ? `uri:${fields.uri}`
        : `name:${fields.name ?? '?'}${fields.version ? `@${fields.version}` : ''}`;
  const node: LineageNode = { kind, key };
  if (fields.name) node.name = fields.name;
  if (fields.version) node.version = fields.version;
  if (fields.digest) node.digest = fields.digest;
  if (fields.uri ?? fields.purl) node.uri = (fields.uri ?? fields.purl) as string;
  return node;
}

function componentNode(kind: LineageNodeKind, c: Rec): LineageNode {
  return lineageNode(kind, {
    ...(str(c.name) ? { name: str(c.name) as string } : {}),
    ...(str(c.version) ? { version: str(c.version) as string } : {}),
    ...(sha256Of(c.hashes) ? { digest: sha256Of(c.hashes) as string } : {}),
    ...(str(c.purl) ? { purl: str(c.purl) as string } : {}),
  });
}

/** Edges from a CycloneDX ML-BOM (JSON): the model component's pedigree ancestors and its datasets. */
export function lineageFromMlbom(bom: unknown): LineageEdge[] {
  if (!isRec(bom)) return [];
  const edges: LineageEdge[] = [];
  const components = list(bom.components).filter(isRec);
  const main = isRec(bom.metadata) && isRec(bom.metadata.component) ? [bom.metadata.component] : [];
  const byRef = new Map<string, Rec>();
  for (const c of [...main, ...components]) if (str(c['bom-ref'])) byRef.set(String(c['bom-ref']), c);
  const models = [...main, ...components].filter((c) => c.type === 'machine-learning-model');
  for (const m of models) {
    const pedigree = isRec(m.pedigree) ? m.pedigree : {};
    for (const a of list(pedigree.ancestors).filter(isRec)) {
      const kind: LineageNodeKind = a.type === 'data' ? 'dataset' : 'model';
      edges.push({
        relation: kind === 'dataset' ? 'trained-on' : 'derived-from',
        target: componentNode(kind, a),
        source: 'mlbom',
      });
    }
    const params = isRec(m.modelCard) && isRec(m.modelCard.modelParameters) ? m.modelCard.modelParameters : {};
    for (const d of list(params.datasets).filter(isRec)) {
      const ref = str(d.ref);
      const target = ref && byRef.get(ref) ? (byRef.get(ref) as Rec) : d;
      edges.push({ relation: 'trained-on', target: componentNode('dataset', target), source: 'mlbom' });
    }
  }
  return dedupe(edges).slice(0, MAX_LINEAGE_EDGES_PER_DOCUMENT);
}

/** Edges from an in-toto statement with SLSA provenance v1 (or v0.2 `materials`). */
export function lineageFromProvenance(statement: unknown): LineageEdge[] {
  if (!isRec(statement) || !isRec(statement.predicate)) return [];
  const p = statement.predicate;
  const deps = [
    ...list(isRec(p.buildDefinition) ? p.buildDefinition.resolvedDependencies : undefined),
    ...list(p.materials),
  ].filter(isRec);
  const edges: LineageEdge[] = [];
  for (const d of deps) {
    const digest =
      isRec(d.digest) && /^[0-9a-f]{64}$/i.test(String(d.digest.sha256)) ? String(d.digest.sha256).toLowerCase() : undefined;
    const uri = str(d.uri);
    const name = str(d.name) ?? uri;
    const hint = `${uri ?? ''} ${name ?? ''} ${isRec(d.annotations) ? JSON.stringify(d.annotations) : ''}`.toLowerCase();
    const kind: LineageNodeKind = /dataset|\/datasets\/|\bdata\b/.test(hint)
      ? 'dataset'
      : /model|weights|checkpoint/.test(hint)
        ? 'model'
        : 'artifact';
    edges.push({
      relation: kind === 'dataset' ? 'trained-on' : 'derived-from',
      target: lineageNode(kind, { ...(name ? { name } : {}), ...(digest ? { digest } : {}), ...(uri ? { uri } : {}) }),
      source: 'attestation',
    });
  }
  return dedupe(edges).slice(0, MAX_LINEAGE_EDGES_PER_DOCUMENT);
}

function dedupe(edges: LineageEdge[]): LineageEdge[] {
  const seen = new Map<string, LineageEdge>();
  for (const e of edges) {
    const k = `${e.relation}\u0000${e.target.key}`;
    if (!seen.has(k)) seen.set(k, e);
  }
  return [...seen.values()].sort((a, b) => (a.target.key < b.target.key ? -1 : a.target.key > b.target.key ? 1 : 0));
}

/** Merges edge lists from several documents (deduplicated, sorted by target key). */
export function mergeLineage(...lists: LineageEdge[][]): LineageEdge[] {
  return dedupe(lists.flat());
}
