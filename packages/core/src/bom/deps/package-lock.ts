import type { DependencyParseResult, PackageHash } from '../dependency-types.js';
import { PackageCollector } from './collector.js';
import { parseIntegrity } from './hashes.js';
import { MAX_PACKAGE_NAME_CHARS, MAX_VERSION_CHARS } from './limits.js';
import { npmPurl } from './purl.js';
import { isRecord, sortedEntries } from './shape.js';
import { describeValue, DEPENDENCY_WARNING_CODES as W, WarningSink } from './warnings.js';

const NPM_NAME = /^(?:@[a-z0-9][\w.~-]*\/)?[a-z0-9_.~-][\w.~-]*$/i;

/** The package name a `packages` key designates: the part after its last `node_modules/`. */
export function nameFromLockPath(path: string): string | undefined {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  return path.slice(at + 'node_modules/'.length);
}

/** Node's resolution: from the package at `from`, where `name` is installed (nearest node_modules upwards). */
function resolveInstall(from: string, name: string, installed: Map<string, string>): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    const hit = installed.get(candidate);
    if (hit) return hit;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

function depNames(entry: Record<string, unknown>, fields: readonly string[]): string[] {
  const names = new Set<string>();
  for (const field of fields) {
    const table = entry[field];
    if (isRecord(table)) for (const name of Object.keys(table)) names.add(name);
  }
  return [...names].sort();
}

/**
 * Parses package-lock.json / npm-shrinkwrap.json, lockfileVersion 2 or 3 (`packages`): each installed package
 * with its version, `integrity` as hashes, scope from `dev`/`optional`, and edges resolved the way Node resolves
 * `require` (nearest `node_modules` upwards). The root entry's dependencies are the direct ones. Linked
 * workspace folders are the project itself and are not listed.
 */
export function parsePackageLockText(text: string, source: string): DependencyParseResult {
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
  if (!isRecord(doc.packages)) {
    const v = doc.lockfileVersion;
    sink.add(
      v === 1 ? W.UNSUPPORTED : W.FIELD_INVALID,
      v === 1
        ? 'lockfileVersion 1 has no "packages" map; regenerate the lockfile with npm 7 or later'
        : `packages: expected an object, got ${describeValue(doc.packages)}`,
    );
    return collector.result();
  }
  const packages = doc.packages;
  // Pass 1: which path holds which package (purl).
  const installed = new Map<string, string>();
  const entries: { path: string; name: string; version: string; entry: Record<string, unknown> }[] = [];
  for (const [path, entry] of sortedEntries(packages)) {
    if (path === '') continue;
    if (!isRecord(entry)) {
      sink.add(W.FIELD_INVALID, `packages["${path.slice(0, 80)}"]: expected an object, got ${describeValue(entry)}`);
      continue;
    }
    if (entry.link === true) continue; // a symlink to a workspace folder
    const keyName = nameFromLockPath(path);
    if (keyName === undefined) continue; // a workspace folder's own entry (e.g. "packages/core")
    const name = typeof entry.name === 'string' ? entry.name : keyName; // `name` is set for aliases (npm:pkg@v)
    if (name.length > MAX_PACKAGE_NAME_CHARS || !NPM_NAME.test(name)) {
      sink.add(W.FIELD_INVALID, `packages["${path.slice(0, 80)}"]: invalid package name ${describeValue(name)}`);
      continue;
    }
    const version = entry.version;
    if (typeof version !== 'string' || version === '' || version.length > MAX_VERSION_CHARS || /\s/.test(version)) {
      sink.add(
        W.FIELD_INVALID,
        `packages["${path.slice(0, 80)}"].version: invalid version ${describeValue(version)}; entry skipped`,
      );
      continue;
    }
    installed.set(path, npmPurl(name, version));
    entries.push({ path, name, version, entry });
  }
  // Pass 2: packages with hashes and resolved edges.
  for (const { path, name, version, entry } of entries) {
    const purl = installed.get(path) as string;
    let hashes: PackageHash[] = [];
    if (typeof entry.integrity === 'string') {
      const parsed = parseIntegrity(entry.integrity);
      hashes = parsed.hashes;
      if (parsed.invalid.length > 0)
        sink.add(W.FIELD_INVALID, `packages["${path.slice(0, 80)}"].integrity: unreadable ${parsed.invalid.join(', ')}`);
    } else if (entry.integrity !== undefined) {
      sink.add(
        W.FIELD_INVALID,
        `packages["${path.slice(0, 80)}"].integrity: expected a string, got ${describeValue(entry.integrity)}`,
      );
    }
    const dependsOn = depNames(entry, ['dependencies', 'optionalDependencies', 'peerDependencies'])
      .map((dep) => resolveInstall(path, dep, installed))
      .filter((d): d is string => d !== undefined && d !== purl);
    const optional = entry.dev === true || entry.optional === true || entry.devOptional === true;
    const ok = collector.add({
      ecosystem: 'npm',
      name,
      version,
      purl,
      hashes,
      dependsOn,
      scope: optional ? 'optional' : 'required',
      source,
    });
    if (!ok) break;
  }
  const root = packages[''];
  if (isRecord(root)) {
    for (const dep of depNames(root, ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'])) {
      const purl = resolveInstall('', dep, installed);
      if (purl) collector.markDirect(purl);
    }
  }
  return collector.result();
}
