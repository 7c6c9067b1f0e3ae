/**
 * Dependency confusion (MS-DEP-003, MS-DEP-004). Offline, modelsec cannot ask the public index which names it
 * holds; it reports what makes confusion possible (a file whose installer merges several indexes, with packages not
 * bound to one of them) and the names known to have been used (KNOWN_CONFUSION_NAMES).
 *
 * Where installers are safe by default they are not reported: uv's default index strategy (`first-index`) stops
 * at the first index that has the name, so only the `unsafe-*` strategies merge indexes; a Pipfile.lock entry that
 * names its `index` is bound to it. Conda channels are reported when a channel that is not one of the public,
 * well-known ones (PUBLIC_CONDA_CHANNELS) sits beside others and packages are not pinned to a channel (`chan::pkg`).
 */
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import type { DeclaredPackage } from '../bom/dependency-types.js';
import { logicalLines } from '../bom/deps/requirements.js';
import { ruleById } from '../scan/rules/index.js';
import type { DependencyFileContext } from './collect.js';
import { normalizeName } from './names.js';
import type { DepsFinding, FindingPackage } from './types.js';

/** Names used in dependency-confusion attacks on ML projects, with what happened. */
export const KNOWN_CONFUSION_NAMES: Readonly<Record<string, { ecosystem: 'pypi' | 'npm'; note: string }>> = {
  torchtriton: {
    ecosystem: 'pypi',
    note: "PyTorch nightly's Triton package name, claimed on PyPI with a credential stealer (25-30 Dec 2022); PyTorch renamed its package pytorch-triton",
  },
};

/** Conda channels that are public and well known (their names cannot be claimed by a stranger on anaconda.org). */
export const PUBLIC_CONDA_CHANNELS: ReadonlySet<string> = new Set([
  'defaults',
  'main',
  'r',
  'msys2',
  'conda-forge',
  'pytorch',
  'pytorch-nightly',
  'nvidia',
  'bioconda',
  'anaconda',
  'huggingface',
  'intel',
  'apple',
  'rapidsai',
  'xformers',
]);

const PYPI = 'https://pypi.org/simple';

function asPackage(pkg: DeclaredPackage): FindingPackage {
  return { ecosystem: pkg.ecosystem, name: pkg.name, ...(pkg.version ? { version: pkg.version } : {}), purl: pkg.purl };
}

function finding(
  file: DependencyFileContext,
  line: number | undefined,
  indexes: string[],
  unbound: DeclaredPackage[],
  how: string,
): DepsFinding {
  const names = [...new Set(unbound.map((p) => p.name))].sort();
  const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
  return {
    ruleId: 'MS-DEP-003',
    severity: 'high',
    message: `${how}: ${indexes.join(', ')}; ${names.length} package(s) not bound to one index (${shown})`,
    file: file.source,
    ...(line !== undefined ? { line } : {}),
    evidence: { indexes, unbound: names },
    references: [...(ruleById('MS-DEP-003')?.references ?? [])],
  };
}

function requirementsIndexes(file: DependencyFileContext): DepsFinding | undefined {
  let primary: string | undefined;
  const extra: { url: string; line: number }[] = [];
  let noIndex = false;
  for (const { text, line } of logicalLines(file.text)) {
    const m = /^(-i|--index-url|--extra-index-url|-f|--find-links|--no-index)(?:\s*=\s*|\s+)?(\S*)/.exec(text);
    if (!m) continue;
    const [, option, value = ''] = m;
    if (option === '--no-index') noIndex = true;
    else if (option === '-i' || option === '--index-url') primary = value;
    else extra.push({ url: value, line });
  }
  const indexes = [...new Set([...(noIndex ? [] : [primary ?? PYPI]), ...extra.map((e) => e.url)])];
  if (indexes.length < 2) return undefined;
  const own = file.packages.filter((p) => p.source === file.source);
  if (own.length === 0) return undefined;
  return finding(file, extra[0]?.line, indexes, own, 'pip merges every index and takes the highest version found on any');
}

function pyprojectIndexes(file: DependencyFileContext): DepsFinding | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(file.text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const uv = ((doc.tool as Record<string, unknown> | undefined)?.uv ?? {}) as Record<string, unknown>;
  const strategy = typeof uv['index-strategy'] === 'string' ? (uv['index-strategy'] as string) : 'first-index';
  if (!strategy.startsWith('unsafe')) return undefined;
  const entries = Array.isArray(uv.index) ? (uv.index as Record<string, unknown>[]) : [];
  const extra = Array.isArray(uv['extra-index-url'])
    ? (uv['extra-index-url'] as unknown[]).filter((u) => typeof u === 'string')
    : [];
  const merged = entries.filter((e) => e.explicit !== true && typeof e.url === 'string').map((e) => e.url as string);
  const hasDefault = entries.some((e) => e.default === true);
  const indexes = [...new Set([...merged, ...(extra as string[]), ...(hasDefault ? [] : [PYPI])])];
  if (indexes.length < 2) return undefined;
  const sources = (uv.sources ?? {}) as Record<string, unknown>;
  const bound = new Set(Object.keys(sources).map((n) => normalizeName('pypi', n)));
  const unbound = file.packages.filter((p) => !bound.has(p.name));
  if (unbound.length === 0) return undefined;
  const line = file.text.split('\n').findIndex((l) => /index-strategy/.test(l)) + 1;
  return finding(file, line || undefined, indexes, unbound, `uv index-strategy "${strategy}" merges the indexes`);
}

function pipfileLockIndexes(file: DependencyFileContext): DepsFinding | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(file.text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const meta = (doc._meta ?? {}) as Record<string, unknown>;
  const sources = Array.isArray(meta.sources) ? (meta.sources as Record<string, unknown>[]) : [];
  const indexes = sources.map((s) => (typeof s.url === 'string' ? s.url : String(s.name ?? '?')));
  if (indexes.length < 2) return undefined;
  const unboundNames = new Set<string>();
  for (const section of ['default', 'develop']) {
    const table = doc[section];
    if (typeof table !== 'object' || table === null) continue;
    for (const [name, entry] of Object.entries(table as Record<string, unknown>))
      if (typeof entry === 'object' && entry !== null && typeof (entry as { index?: unknown }).index !== 'string')
        unboundNames.add(normalizeName('pypi', name));
  }
  const unbound = file.packages.filter((p) => unboundNames.has(p.name));
  if (unbound.length === 0) return undefined;
  const line = file.text.split('\n').findIndex((l) => /"sources"/.test(l)) + 1;
  return finding(file, line || undefined, indexes, unbound, 'Pipenv may take these packages from any source');
}

function condaChannels(file: DependencyFileContext): DepsFinding | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(file.text, { maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const channels = (doc as { channels?: unknown }).channels;
  if (!Array.isArray(channels)) return undefined;
  const names = channels.filter((c): c is string => typeof c === 'string');
  const privateChannels = names.filter((c) => !PUBLIC_CONDA_CHANNELS.has(c.replace(/\/+$/, '')));
  if (privateChannels.length === 0 || names.length < 2) return undefined;
  const deps = (doc as { dependencies?: unknown }).dependencies;
  const pinned = new Set<string>();
  if (Array.isArray(deps))
    for (const d of deps)
      if (typeof d === 'string' && d.includes('::'))
        pinned.add(
          d
            .split('::')[1]
            ?.split(/[=<>!~ ]/)[0]
            ?.toLowerCase() ?? '',
        );
  const unbound = file.packages.filter((p) => p.ecosystem === 'conda' && !pinned.has(p.name));
  if (unbound.length === 0) return undefined;
  const line = file.text.split('\n').findIndex((l) => l.includes(privateChannels[0] as string)) + 1;
  return finding(
    file,
    line || undefined,
    names,
    unbound,
    `conda searches the channels in order and a private channel (${privateChannels.join(', ')}) sits beside public ones`,
  );
}

/** MS-DEP-003 for each file that merges indexes; MS-DEP-004 for each known confusion name. */
export function confusionFindings(files: readonly DependencyFileContext[]): DepsFinding[] {
  const findings: DepsFinding[] = [];
  for (const file of files) {
    const f =
      file.kind === 'requirements'
        ? requirementsIndexes(file)
        : file.kind === 'pyproject'
          ? pyprojectIndexes(file)
          : file.kind === 'pipfile-lock'
            ? pipfileLockIndexes(file)
            : file.kind === 'conda-environment'
              ? condaChannels(file)
              : undefined;
    if (f) findings.push(f);
    findings.push(...knownConfusionFindings(file.packages.filter((p) => p.source === file.source)));
  }
  return findings;
}

/** MS-DEP-004 for each package whose name is on KNOWN_CONFUSION_NAMES. */
export function knownConfusionFindings(packages: readonly DeclaredPackage[]): DepsFinding[] {
  const findings: DepsFinding[] = [];
  for (const pkg of packages) {
    const known = KNOWN_CONFUSION_NAMES[normalizeName(pkg.ecosystem === 'npm' ? 'npm' : 'pypi', pkg.name)];
    if (!known || (known.ecosystem !== pkg.ecosystem && !(known.ecosystem === 'pypi' && pkg.ecosystem === 'conda'))) continue;
    findings.push({
      ruleId: 'MS-DEP-004',
      severity: 'high',
      message: `${pkg.name} is a known dependency-confusion name: ${known.note}`,
      file: pkg.source,
      package: asPackage(pkg),
      evidence: { note: known.note },
      references: [...(ruleById('MS-DEP-004')?.references ?? [])],
    });
  }
  return findings;
}
