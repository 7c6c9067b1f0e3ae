import type { DependencyParseResult, PackageHash } from '../dependency-types.js';
import { PackageCollector } from './collector.js';
import { parseAlgColonHex } from './hashes.js';
import { MAX_VERSION_CHARS } from './limits.js';
import { isValidPypiName, parseSpecifier } from './pep508.js';
import { normalizePypiName, pypiPurl } from './purl.js';
import { parseTomlOrWarn } from './pyproject.js';
import { isNonEmptyString, isRecord, sortedEntries } from './shape.js';
import { describeValue, DEPENDENCY_WARNING_CODES as W, WarningSink } from './warnings.js';

interface LockedPackage {
  name: string;
  version: string;
  hashes: PackageHash[];
  /** Normalised names (and exact versions when the lock disambiguates) this package depends on. */
  deps: { name: string; version?: string }[];
  optional: boolean;
  markers?: string;
}

function validVersion(value: unknown): value is string {
  return isNonEmptyString(value) && value.length <= MAX_VERSION_CHARS && !/\s/.test(value);
}

/** Turns locked packages into DeclaredPackages with resolved edges (by normalised name, or name+version). */
function emit(
  collector: PackageCollector,
  locked: LockedPackage[],
  source: string,
  direct: { name: string; version?: string }[] | undefined,
  requiredClosure?: Set<string>,
): DependencyParseResult {
  const byName = new Map<string, LockedPackage[]>();
  for (const p of locked) {
    const key = normalizePypiName(p.name);
    byName.set(key, [...(byName.get(key) ?? []), p]);
  }
  const resolve = (dep: { name: string; version?: string }): string[] => {
    const candidates = byName.get(normalizePypiName(dep.name)) ?? [];
    return candidates
      .filter((c) => dep.version === undefined || c.version === dep.version)
      .map((c) => pypiPurl(c.name, c.version));
  };
  for (const p of locked) {
    const purl = pypiPurl(p.name, p.version);
    const optional = requiredClosure ? !requiredClosure.has(purl) : p.optional;
    const ok = collector.add({
      ecosystem: 'pypi',
      name: normalizePypiName(p.name),
      version: p.version,
      purl,
      hashes: p.hashes,
      dependsOn: p.deps.flatMap(resolve).filter((d) => d !== purl),
      scope: optional ? 'optional' : 'required',
      source,
      ...(p.markers ? { markers: p.markers } : {}),
    });
    if (!ok) break;
  }
  for (const d of direct ?? []) for (const purl of resolve(d)) collector.markDirect(purl);
  return collector.result();
}

function hashesFromFiles(files: unknown, field: string, sink: WarningSink): PackageHash[] {
  if (files === undefined) return [];
  if (!Array.isArray(files)) {
    sink.add(W.FIELD_INVALID, `${field}: expected an array, got ${describeValue(files)}`);
    return [];
  }
  const hashes: PackageHash[] = [];
  let bad = 0;
  for (const f of files) {
    const value = isRecord(f) ? f.hash : undefined;
    const hash = typeof value === 'string' ? parseAlgColonHex(value) : undefined;
    if (hash) hashes.push(hash);
    else bad++;
  }
  if (bad > 0) sink.add(W.FIELD_INVALID, `${field}: ${bad} entr${bad === 1 ? 'y' : 'ies'} without a valid hash ignored`);
  return hashes;
}

function packageArray(doc: Record<string, unknown>, sink: WarningSink): Record<string, unknown>[] {
  const list = doc.package;
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    sink.add(W.FIELD_INVALID, `package: expected an array of tables ([[package]]), got ${describeValue(list)}`);
    return [];
  }
  const out: Record<string, unknown>[] = [];
  list.forEach((p, i) => {
    if (isRecord(p)) out.push(p);
    else sink.add(W.FIELD_INVALID, `package[${i}]: expected a table, got ${describeValue(p)}`);
  });
  return out;
}

function nameAndVersion(
  p: Record<string, unknown>,
  field: string,
  sink: WarningSink,
): { name: string; version: string } | undefined {
  if (typeof p.name !== 'string' || !isValidPypiName(p.name)) {
    sink.add(W.FIELD_INVALID, `${field}.name: invalid package name ${describeValue(p.name)}; entry skipped`);
    return undefined;
  }
  if (!validVersion(p.version)) {
    sink.add(W.FIELD_INVALID, `${field}.version (${p.name}): invalid version ${describeValue(p.version)}; entry skipped`);
    return undefined;
  }
  return { name: p.name, version: p.version };
}

/**
 * Parses poetry.lock: every `[[package]]` with its version, the sha256 of each file (`files`, or the old
 * `[metadata.files]` table), its dependencies (edges by name), and scope from `groups`/`category`/`optional`.
 */
export function parsePoetryLockText(text: string, source: string): DependencyParseResult {
  const sink = new WarningSink(source);
  const collector = new PackageCollector(sink);
  const doc = parseTomlOrWarn(text, sink);
  if (!doc) return collector.result();
  const legacyFiles = isRecord(doc.metadata) && isRecord(doc.metadata.files) ? doc.metadata.files : undefined;
  const locked: LockedPackage[] = [];
  packageArray(doc, sink).forEach((p, i) => {
    const field = `package[${i}]`;
    const id = nameAndVersion(p, field, sink);
    if (!id) return;
    const hashes = hashesFromFiles(p.files ?? legacyFiles?.[id.name], `${field}.files (${id.name})`, sink);
    const deps: { name: string }[] = [];
    if (p.dependencies !== undefined) {
      if (isRecord(p.dependencies)) {
        for (const [dep] of sortedEntries(p.dependencies)) if (isValidPypiName(dep)) deps.push({ name: dep });
      } else {
        sink.add(W.FIELD_INVALID, `${field}.dependencies (${id.name}): expected a table, got ${describeValue(p.dependencies)}`);
      }
    }
    const groups = Array.isArray(p.groups) ? p.groups.filter((g): g is string => typeof g === 'string') : undefined;
    const optional =
      p.optional === true ||
      (typeof p.category === 'string' && p.category !== 'main') ||
      (groups !== undefined && groups.length > 0 && !groups.includes('main'));
    locked.push({ ...id, hashes, deps, optional });
  });
  return emit(collector, locked, source, undefined);
}

function uvDepList(value: unknown, field: string, sink: WarningSink): { name: string; version?: string }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    sink.add(W.FIELD_INVALID, `${field}: expected an array, got ${describeValue(value)}`);
    return [];
  }
  const out: { name: string; version?: string }[] = [];
  for (const d of value) {
    if (!isRecord(d) || typeof d.name !== 'string' || !isValidPypiName(d.name)) {
      sink.add(W.FIELD_INVALID, `${field}: entry without a valid name ${describeValue(d)} ignored`);
      continue;
    }
    out.push(validVersion(d.version) ? { name: d.name, version: d.version } : { name: d.name });
  }
  return out;
}

function uvGroupDeps(value: unknown, field: string, sink: WarningSink): { name: string; version?: string }[] {
  if (!isRecord(value)) return [];
  return sortedEntries(value).flatMap(([group, list]) => uvDepList(list, `${field}.${group}`, sink));
}

/**
 * Parses uv.lock: `[[package]]` entries with sdist and wheel hashes and dependency edges. The project itself
 * (source `virtual`/`editable` = ".") is not a package: its dependencies are the direct ones, and packages reached
 * only through its dev or optional groups are marked optional.
 */
export function parseUvLockText(text: string, source: string): DependencyParseResult {
  const sink = new WarningSink(source);
  const collector = new PackageCollector(sink);
  const doc = parseTomlOrWarn(text, sink);
  if (!doc) return collector.result();
  const locked: LockedPackage[] = [];
  let rootRequired: { name: string; version?: string }[] | undefined;
  let rootAll: { name: string; version?: string }[] = [];
  packageArray(doc, sink).forEach((p, i) => {
    const field = `package[${i}]`;
    const src = isRecord(p.source) ? p.source : undefined;
    const isRoot = src !== undefined && (src.virtual === '.' || src.editable === '.');
    const deps = uvDepList(p.dependencies, `${field}.dependencies`, sink);
    if (isRoot) {
      rootRequired = [...(rootRequired ?? []), ...deps];
      rootAll = [
        ...rootAll,
        ...deps,
        ...uvGroupDeps(p['optional-dependencies'], `${field}.optional-dependencies`, sink),
        ...uvGroupDeps(p['dev-dependencies'], `${field}.dev-dependencies`, sink),
      ];
      return;
    }
    const id = nameAndVersion(p, field, sink);
    if (!id) return;
    const hashes: PackageHash[] = [];
    if (p.sdist !== undefined) hashes.push(...hashesFromFiles([p.sdist], `${field}.sdist (${id.name})`, sink));
    hashes.push(...hashesFromFiles(p.wheels, `${field}.wheels (${id.name})`, sink));
    const extraDeps = uvGroupDeps(p['optional-dependencies'], `${field}.optional-dependencies`, sink);
    locked.push({ ...id, hashes, deps: [...deps, ...extraDeps], optional: false });
  });
  let closure: Set<string> | undefined;
  if (rootRequired) {
    // Required = reachable from the project's own dependencies through package dependencies.
    const byName = new Map<string, LockedPackage[]>();
    for (const p of locked) byName.set(normalizePypiName(p.name), [...(byName.get(normalizePypiName(p.name)) ?? []), p]);
    closure = new Set();
    const queue = [...rootRequired];
    while (queue.length > 0) {
      const dep = queue.pop() as { name: string; version?: string };
      for (const p of byName.get(normalizePypiName(dep.name)) ?? []) {
        if (dep.version !== undefined && p.version !== dep.version) continue;
        const purl = pypiPurl(p.name, p.version);
        if (closure.has(purl)) continue;
        closure.add(purl);
        queue.push(...p.deps);
      }
    }
  }
  return emit(collector, locked, source, rootRequired ? rootAll : undefined, closure);
}

/**
 * Parses Pipfile.lock (JSON): `default` (required) and `develop` (optional) sections, each package with its
 * `==version`, `hashes` and `markers`. The lock is flat: no edges, and the roots are in the Pipfile, not here.
 */
export function parsePipfileLockText(text: string, source: string): DependencyParseResult {
  const sink = new WarningSink(source);
  const collector = new PackageCollector(sink);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    sink.add(W.PARSE_ERROR, `not valid JSON: ${(error as Error).message}`);
    return collector.result();
  }
  if (!isRecord(doc)) {
    sink.add(W.PARSE_ERROR, `expected a JSON object, got ${describeValue(doc)}`);
    return collector.result();
  }
  for (const [section, scope] of [
    ['default', 'required'],
    ['develop', 'optional'],
  ] as const) {
    const body = doc[section];
    if (body === undefined) continue;
    if (!isRecord(body)) {
      sink.add(W.FIELD_INVALID, `${section}: expected an object, got ${describeValue(body)}`);
      continue;
    }
    for (const [name, entry] of sortedEntries(body)) {
      const field = `${section}.${name}`;
      if (!isValidPypiName(name)) {
        sink.add(W.FIELD_INVALID, `${section}: invalid package name ${describeValue(name)}`);
        continue;
      }
      if (!isRecord(entry)) {
        sink.add(W.FIELD_INVALID, `${field}: expected an object, got ${describeValue(entry)}`);
        continue;
      }
      let version: string | undefined;
      let versionRange: string | undefined;
      if (typeof entry.version === 'string') {
        const spec = parseSpecifier(entry.version);
        if ('error' in spec) sink.add(W.FIELD_INVALID, `${field}.version: ${spec.error}`);
        else if (spec.pinned) version = spec.pinned;
        else if (spec.specifier) versionRange = spec.specifier;
      } else if (entry.version !== undefined) {
        sink.add(W.FIELD_INVALID, `${field}.version: expected a string, got ${describeValue(entry.version)}`);
      } else if (entry.git || entry.path || entry.file) {
        sink.add(W.UNSUPPORTED, `${field}: git/path/file dependency recorded without a version`);
      }
      const hashes: PackageHash[] = [];
      if (Array.isArray(entry.hashes)) {
        for (const h of entry.hashes) {
          const parsed = typeof h === 'string' ? parseAlgColonHex(h) : undefined;
          if (parsed) hashes.push(parsed);
          else sink.add(W.FIELD_INVALID, `${field}.hashes: invalid hash ${describeValue(h)} ignored`);
        }
      } else if (entry.hashes !== undefined) {
        sink.add(W.FIELD_INVALID, `${field}.hashes: expected an array, got ${describeValue(entry.hashes)}`);
      }
      const purl = pypiPurl(name, version);
      const ok = collector.add({
        ecosystem: 'pypi',
        name: normalizePypiName(name),
        ...(version !== undefined ? { version } : {}),
        ...(versionRange !== undefined ? { versionRange } : {}),
        purl,
        hashes,
        dependsOn: [],
        scope,
        source,
        ...(typeof entry.markers === 'string' ? { markers: entry.markers } : {}),
      });
      if (!ok) return collector.result();
    }
  }
  return collector.result();
}
