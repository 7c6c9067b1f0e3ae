import { ModelsecError } from '@modelsec/core/errors';
import { type LineageTreeNode, parseModelRef, type VersionRef } from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { LineageFlags } from './lineage.js';
import { clientFrom } from './registry-client.js';

interface LineageAnswer {
  version: VersionRef;
  ancestors: LineageTreeNode[];
  descendants: VersionRef[];
}

const FORMATS = ['text', 'dot', 'mermaid'] as const;
type Format = (typeof FORMATS)[number];

const refLabel = (v: VersionRef) => `${v.namespace}/${v.model}@${v.version}`;
function nodeLabel(n: LineageTreeNode): string {
  if (n.version) return refLabel(n.version);
  const name = n.node.name ?? n.node.uri ?? n.node.key;
  return n.node.digest ? `${name} (sha256:${n.node.digest.slice(0, 12)}…)` : name;
}

function renderText(a: LineageAnswer): string {
  const lines = [`${refLabel(a.version)}  root sha256:${a.version.rootDigest.replace(/^sha256:/, '')}`];
  const walk = (nodes: LineageTreeNode[], indent: string) => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${indent}${last ? '└─' : '├─'} ${n.relation} ${n.node.kind} ${nodeLabel(n)}  [${n.source}]`);
      walk(n.parents, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  if (a.ancestors.length === 0) lines.push('  (no recorded ancestors: publish an ML-BOM with pedigree or SLSA provenance)');
  walk(a.ancestors, '');
  lines.push(a.descendants.length ? `descendants: ${a.descendants.map(refLabel).join(', ')}` : 'descendants: (none)');
  return lines.join('\n');
}

function edges(a: LineageAnswer): [string, string, string][] {
  const out: [string, string, string][] = [];
  const walk = (child: string, nodes: LineageTreeNode[]) => {
    for (const n of nodes) {
      out.push([child, nodeLabel(n), n.relation]);
      walk(nodeLabel(n), n.parents);
    }
  };
  walk(refLabel(a.version), a.ancestors);
  for (const d of a.descendants) out.push([refLabel(d), refLabel(a.version), 'derived-from']);
  return out;
}

const q = (s: string) => JSON.stringify(s);

function renderDot(a: LineageAnswer): string {
  return [
    'digraph lineage {',
    '  rankdir=BT;',
    ...edges(a).map(([c, p, r]) => `  ${q(c)} -> ${q(p)} [label=${q(r)}];`),
    '}',
  ].join('\n');
}

function renderMermaid(a: LineageAnswer): string {
  const ids = new Map<string, string>();
  const id = (s: string) => {
    if (!ids.has(s)) ids.set(s, `n${ids.size}`);
    return ids.get(s) as string;
  };
  const lines = ['graph BT'];
  for (const [c, p, r] of edges(a)) lines.push(`  ${id(c)}[${q(c)}] -->|${r}| ${id(p)}[${q(p)}]`);
  if (lines.length === 1) lines.push(`  ${id(refLabel(a.version))}[${q(refLabel(a.version))}]`);
  return lines.join('\n');
}

/** The action of `modelsec lineage REF`: ancestors and descendants as a tree, Graphviz or Mermaid. */
export async function runLineage(env: CliEnv, out: Output, refText: string, options: LineageFlags): Promise<undefined> {
  if (!FORMATS.includes(options.format as Format))
    throw new ModelsecError('USAGE', `--format must be one of ${FORMATS.join(', ')}, got '${options.format}'`);
  const ref = parseModelRef(refText);
  if (!ref.version) throw new ModelsecError('USAGE', 'lineage needs an exact version: NS/NAME@VERSION');
  const answer = await clientFrom(options, env).json<LineageAnswer>(
    'GET',
    `/v1/lineage/${ref.namespace}/${ref.model}/${encodeURIComponent(ref.version)}`,
  );
  const format = options.format as Format;
  out.result(answer as unknown as Record<string, unknown>, () =>
    format === 'dot' ? renderDot(answer) : format === 'mermaid' ? renderMermaid(answer) : renderText(answer),
  );
  return undefined;
}
