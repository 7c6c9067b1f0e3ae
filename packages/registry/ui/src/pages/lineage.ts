/** The lineage of a version drawn as a picture: ancestors (base models, datasets) to the left, descendants to the right. */
import { enc, getJson, type VersionDetail } from '../api.js';
import { h, link, svg, svgLink, table } from '../dom.js';
import { versionHref } from '../routes.js';
import { section } from './common.js';

interface Ref {
  namespace: string;
  model: string;
  version: string;
}
interface TreeNode {
  relation: string;
  node: { kind: string; key: string; name?: string; digest?: string };
  version?: Ref;
  parents: TreeNode[];
}

/** Deepest ancestry drawn (a longer chain is listed in the table below the picture). */
export const MAX_LINEAGE_DEPTH = 8;
/** Most boxes in one column. */
export const MAX_LINEAGE_COLUMN = 40;

const BOX_W = 220;
const BOX_H = 44;
const GAP_X = 70;
const GAP_Y = 16;

interface Box {
  col: number;
  row: number;
  label: string;
  sub: string;
  href?: string;
  kind: string;
}

const refText = (r: Ref) => `${r.namespace}/${r.model}@${r.version}`;
const clip = (s: string, n = 30) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function lineagePicture(center: Ref, ancestors: TreeNode[], descendants: Ref[]): SVGElement {
  const boxes: Box[] = [];
  const edges: [Box, Box, string][] = [];
  const columns = new Map<number, number>();
  const place = (col: number, b: Omit<Box, 'col' | 'row'>): Box | undefined => {
    const row = columns.get(col) ?? 0;
    if (row >= MAX_LINEAGE_COLUMN) return undefined;
    columns.set(col, row + 1);
    const box = { ...b, col, row };
    boxes.push(box);
    return box;
  };
  const depth = Math.min(
    MAX_LINEAGE_DEPTH,
    (function d(nodes: TreeNode[]): number {
      return nodes.length === 0 ? 0 : 1 + Math.max(...nodes.map((n) => d(n.parents)));
    })(ancestors),
  );
  const me = place(depth, { label: refText(center), sub: 'this version', href: versionHref(center), kind: 'self' }) as Box;
  const walk = (nodes: TreeNode[], child: Box, col: number) => {
    if (col < 0) return;
    for (const n of nodes) {
      const label = n.version ? refText(n.version) : (n.node.name ?? n.node.key);
      const box = place(col, {
        label,
        sub: `${n.node.kind} · ${n.relation}`,
        kind: n.node.kind,
        ...(n.version ? { href: versionHref(n.version) } : {}),
      });
      if (!box) continue;
      edges.push([box, child, n.relation]);
      walk(n.parents, box, col - 1);
    }
  };
  walk(ancestors, me, depth - 1);
  for (const d of descendants) {
    const box = place(depth + 1, { label: refText(d), sub: 'derived version', href: versionHref(d), kind: 'model' });
    if (box) edges.push([me, box, 'derived-from']);
  }
  const cols = Math.max(...boxes.map((b) => b.col)) + 1;
  const rows = Math.max(...[...columns.values()]);
  const width = cols * BOX_W + (cols - 1) * GAP_X + 20;
  const height = rows * (BOX_H + GAP_Y) + 20;
  const xy = (b: Box) => ({ x: 10 + b.col * (BOX_W + GAP_X), y: 10 + b.row * (BOX_H + GAP_Y) });
  return svg(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      class: 'lineage',
      'aria-label': `Lineage of ${refText(center)}`,
    },
    svg('title', {}, `Lineage of ${refText(center)}`),
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z' }),
      ),
    ),
    edges.map(([from, to]) => {
      const a = xy(from);
      const b = xy(to);
      return svg('line', {
        x1: a.x + BOX_W,
        y1: a.y + BOX_H / 2,
        x2: b.x,
        y2: b.y + BOX_H / 2,
        class: 'edge',
        'marker-end': 'url(#arrow)',
      });
    }),
    boxes.map((b) => {
      const { x, y } = xy(b);
      const group = svg(
        'g',
        { class: `node node-${b.kind}` },
        svg('rect', { x, y, width: BOX_W, height: BOX_H, rx: 6 }),
        svg('text', { x: x + 8, y: y + 18 }, clip(b.label)),
        svg('text', { x: x + 8, y: y + 36, class: 'sub' }, b.sub),
      );
      return b.href && b.kind !== 'self' ? svgLink(b.href, group) : group;
    }),
  );
}

export async function lineageSection(v: VersionDetail): Promise<HTMLElement> {
  const data = await getJson<{ version: Ref; ancestors: TreeNode[]; descendants: Ref[] }>(
    `/v1/lineage/${enc(v.namespace)}/${enc(v.model)}/${enc(v.version)}`,
  );
  const flat: TreeNode[] = [];
  const collect = (nodes: TreeNode[], depth: number) => {
    if (depth > MAX_LINEAGE_DEPTH) return;
    for (const n of nodes) {
      flat.push(n);
      collect(n.parents, depth + 1);
    }
  };
  collect(data.ancestors, 1);
  if (flat.length === 0 && data.descendants.length === 0)
    return section('Lineage', h('p', {}, 'No base model, dataset or derived version is recorded for this version.'));
  return section(
    'Lineage',
    h('div', { class: 'picture', 'data-testid': 'lineage' }, lineagePicture(data.version, data.ancestors, data.descendants)),
    table(
      'Ancestors and descendants',
      ['relation', 'kind', 'name', 'in this registry'],
      [
        ...flat.map((n) => [
          n.relation,
          n.node.kind,
          n.node.name ?? n.node.key,
          n.version ? link(versionHref(n.version), refText(n.version)) : '—',
        ]),
        ...data.descendants.map((d) => ['derived by', 'model', d.model, link(versionHref(d), refText(d))]),
      ],
    ),
  );
}
