import { parse as parseYaml } from 'yaml';
import type { DependencyParseResult } from '../dependency-types.js';
import { PackageCollector } from './collector.js';
import { MAX_PACKAGE_NAME_CHARS, MAX_VERSION_CHARS } from './limits.js';
import { condaPurl } from './purl.js';
import { type IncludeResolver, parseRequirementsText } from './requirements.js';
import { isRecord } from './shape.js';
import { describeValue, DEPENDENCY_WARNING_CODES as W, WarningSink } from './warnings.js';

/**
 * YAML aliases allowed in one conda file. Environment files use none; a small cap stops "billion laughs"
 * alias expansion.
 */
export const MAX_YAML_ALIASES = 50;

/** One conda match spec, e.g. `conda-forge::numpy=1.26.4=py310h1234_0` or `pytorch>=2`. */
export interface CondaSpec {
  name: string;
  channel?: string;
  subdir?: string;
  version?: string;
  versionRange?: string;
  build?: string;
}

const CONDA_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*/;

/** Parses a conda match spec in its common forms (`name`, `name=v`, `name=v=b`, `name==v`, `name>=v`, `name v b`). */
export function parseCondaSpec(text: string): CondaSpec | { error: string } {
  let rest = text.trim();
  let channel: string | undefined;
  let subdir: string | undefined;
  const sep = rest.indexOf('::');
  if (sep >= 0) {
    const prefix = rest.slice(0, sep);
    rest = rest.slice(sep + 2);
    const parts = prefix.split('/');
    const last = parts[parts.length - 1] ?? '';
    if (parts.length > 1 && /^(noarch|(linux|osx|win)-[\w]+)$/.test(last)) {
      subdir = last;
      channel = parts.slice(0, -1).join('/');
    } else channel = prefix;
  }
  const nameMatch = CONDA_NAME.exec(rest);
  if (!nameMatch) return { error: `no package name in '${text.slice(0, 60)}'` };
  const name = nameMatch[0];
  if (name.length > MAX_PACKAGE_NAME_CHARS) return { error: 'package name too long' };
  rest = rest
    .slice(name.length)
    .replace(/\[.*\]$/, '')
    .trim();
  const base: CondaSpec = { name, ...(channel ? { channel } : {}), ...(subdir ? { subdir } : {}) };
  if (rest === '') return base;
  if (rest.length > MAX_VERSION_CHARS) return { error: `version longer than ${MAX_VERSION_CHARS} characters` };
  const exactBuild = /^=([^=<>!\s,|*]+)=([^=\s]+)$/.exec(rest);
  if (exactBuild) return { ...base, version: exactBuild[1] as string, build: exactBuild[2] as string };
  const exact = /^==\s*([^=<>!\s,|*]+)$/.exec(rest);
  if (exact) return { ...base, version: exact[1] as string };
  const spaced = /^([^=<>!\s,|*]+)(?:\s+(\S+))?$/.exec(rest);
  if (spaced && /^\d/.test(spaced[1] as string))
    return { ...base, version: spaced[1] as string, ...(spaced[2] ? { build: spaced[2] } : {}) };
  if (/^(=|[<>!]=?|~=)/.test(rest) && !/\s\S+\s/.test(rest)) return { ...base, versionRange: rest.replace(/\s+/g, '') };
  return { error: `unreadable version '${rest.slice(0, 60)}' for '${name}'` };
}

/**
 * Parses a conda environment file (environment.yml): `dependencies` strings are conda packages
 * (`pkg:conda/...`, channel from a `channel::` prefix, or from `channels` when it lists exactly one), and the
 * `pip:` sub-list is read as requirements (`pkg:pypi/...`, `-r` includes through `resolveInclude`).
 */
export function parseCondaEnvironmentText(text: string, source: string, resolveInclude?: IncludeResolver): DependencyParseResult {
  const sink = new WarningSink(source);
  const collector = new PackageCollector(sink);
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES, prettyErrors: false });
  } catch (error) {
    sink.add(W.PARSE_ERROR, `not valid YAML: ${((error as Error).message ?? '').split('\n')[0]}`);
    return collector.result();
  }
  if (!isRecord(doc)) {
    sink.add(W.PARSE_ERROR, `expected a mapping with 'dependencies', got ${describeValue(doc)}`);
    return collector.result();
  }
  const channels = Array.isArray(doc.channels) ? doc.channels.filter((c): c is string => typeof c === 'string') : [];
  const defaultChannel = channels.length === 1 ? channels[0] : undefined;
  const deps = doc.dependencies;
  if (deps === undefined) return collector.result();
  if (!Array.isArray(deps)) {
    sink.add(W.FIELD_INVALID, `dependencies: expected a list, got ${describeValue(deps)}`);
    return collector.result();
  }
  for (let i = 0; i < deps.length; i++) {
    const entry = deps[i];
    if (collector.full) break;
    if (typeof entry === 'string' || typeof entry === 'number') {
      const spec = parseCondaSpec(String(entry));
      if ('error' in spec) {
        sink.add(W.FIELD_INVALID, `dependencies[${i}]: ${spec.error}`);
        continue;
      }
      const channel = spec.channel ?? defaultChannel;
      const purl = condaPurl(spec.name, spec.version, { channel, build: spec.build, subdir: spec.subdir });
      collector.add({
        ecosystem: 'conda',
        name: spec.name.toLowerCase(),
        ...(spec.version !== undefined ? { version: spec.version } : {}),
        ...(spec.versionRange !== undefined ? { versionRange: spec.versionRange } : {}),
        purl,
        hashes: [],
        dependsOn: [],
        scope: 'required',
        source,
      });
      collector.markDirect(purl);
    } else if (isRecord(entry) && 'pip' in entry) {
      if (!Array.isArray(entry.pip)) {
        sink.add(W.FIELD_INVALID, `dependencies[${i}].pip: expected a list, got ${describeValue(entry.pip)}`);
        continue;
      }
      const lines = entry.pip.filter((l): l is string => typeof l === 'string');
      if (lines.length !== entry.pip.length)
        sink.add(W.FIELD_INVALID, `dependencies[${i}].pip: ${entry.pip.length - lines.length} non-string entries ignored`);
      const pip = parseRequirementsText(lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\n'), {
        source,
        ...(resolveInclude ? { resolveInclude } : {}),
      });
      for (const w of pip.warnings) sink.add(w.code, `dependencies[${i}].pip: ${w.message}`);
      for (const p of pip.packages) {
        if (!collector.add(p)) break;
        if (pip.direct.includes(p.purl)) collector.markDirect(p.purl);
      }
    } else {
      sink.add(W.FIELD_INVALID, `dependencies[${i}]: expected a string or {pip: [...]}, got ${describeValue(entry)}`);
    }
  }
  return collector.result();
}
