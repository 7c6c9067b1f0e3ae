/**
 * What `npm install @modelsec/cli` installs (issue 13): the CI gate (scan, verify, check) must install no native
 * addon. The database drivers (better-sqlite3, pg) are optional peer dependencies of @modelsec/registry and the
 * XML validator (libxmljs2) one of @modelsec/core: npm installs them only when the user asks (a registry server),
 * and each is loaded on first use with a DEPENDENCY_MISSING error naming it when absent.
 *
 * The closure is computed as npm resolves it: `dependencies`, `optionalDependencies` and non-optional
 * `peerDependencies`, each found in the nearest node_modules up from the package that names it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  scripts?: Record<string, string>;
  gypfile?: boolean;
}

const WORKSPACES: Record<string, string> = {
  '@modelsec/core': path.join(REPO_ROOT, 'packages/core'),
  '@modelsec/cli': path.join(REPO_ROOT, 'packages/cli'),
  '@modelsec/registry': path.join(REPO_ROOT, 'packages/registry'),
};

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));

/** The directory npm would load `name` from when `fromDir`'s package requires it. */
function resolvePackageDir(name: string, fromDir: string): string {
  const workspace = WORKSPACES[name];
  if (workspace) return workspace;
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${name} (required from ${fromDir}) is not installed`);
  }
}

/** Every package a production install of `root` brings in; `withOptionalPeers` adds our packages' optional peers. */
function installClosure(root: string, withOptionalPeers = false): Map<string, string> {
  const seen = new Map<string, string>();
  const queue: Array<[string, string]> = [[root, REPO_ROOT]];
  while (queue.length > 0) {
    const [name, from] = queue.shift() as [string, string];
    const dir = resolvePackageDir(name, from);
    if (seen.has(`${name}@${dir}`)) continue;
    seen.set(`${name}@${dir}`, dir);
    const manifest = readManifest(dir);
    const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
      (peer) => !manifest.peerDependenciesMeta?.[peer]?.optional || (withOptionalPeers && name in WORKSPACES),
    );
    for (const dep of [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...peers,
    ]) {
      queue.push([dep, dir]);
    }
  }
  return seen;
}

/** Packages that build or fetch a native addon at install time. */
function nativeAddons(closure: Map<string, string>): string[] {
  const found = new Set<string>();
  for (const dir of closure.values()) {
    const manifest = readManifest(dir);
    const scripts = manifest.scripts ?? {};
    if (
      existsSync(path.join(dir, 'binding.gyp')) ||
      manifest.gypfile === true ||
      scripts.install ||
      scripts.preinstall ||
      scripts.postinstall
    ) {
      found.add(manifest.name);
    }
  }
  return [...found].sort();
}

describe('install footprint of the CI gate', () => {
  it('npm install @modelsec/cli builds no native addon and installs no database driver nor libxmljs2', () => {
    const closure = installClosure('@modelsec/cli');
    const names = new Set([...closure.keys()].map((key) => key.slice(0, key.lastIndexOf('@'))));
    expect(names.has('@modelsec/registry')).toBe(true);
    expect(nativeAddons(closure)).toEqual([]);
    for (const optional of ['better-sqlite3', 'pg', 'libxmljs2']) expect(names.has(optional)).toBe(false);
  });

  it('the check can fail: with the optional peers installed, the native drivers are found', () => {
    expect(nativeAddons(installClosure('@modelsec/cli', true))).toEqual(expect.arrayContaining(['better-sqlite3', 'libxmljs2']));
  });

  it('each optional peer is installed in the workspace (root devDependencies) so the tests and the server run', () => {
    const root = readManifest(REPO_ROOT) as Manifest & { devDependencies?: Record<string, string> };
    for (const [pkg, dep] of [
      ['@modelsec/registry', 'better-sqlite3'],
      ['@modelsec/registry', 'pg'],
      ['@modelsec/core', 'libxmljs2'],
    ] as const) {
      const manifest = readManifest(WORKSPACES[pkg] as string);
      expect(manifest.peerDependenciesMeta?.[dep]?.optional, `${pkg} → ${dep}`).toBe(true);
      expect(root.devDependencies?.[dep], dep).toBe(manifest.peerDependencies?.[dep]);
    }
  });
});
