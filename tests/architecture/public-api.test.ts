/**
 * The public surface of each `@modelsec/core` entry point, pinned: the names every entry exports (types marked
 * `type`, namespace members as `ns.member`) are compared with `public-api.surface.json`. A change to the surface is
 * deliberate: review the diff, then `npx vitest run tests/architecture/public-api.test.ts -u` rewrites the file.
 *
 * Entries are pure barrels of explicit named lists (no `export *` chains), so the names a reader sees in the source
 * are the names a consumer gets; the runtime exports of each entry are checked against the same list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const CORE = join(REPO_ROOT, 'packages', 'core');
const CORE_SRC = join(CORE, 'src');

interface PackageJson {
  exports: Record<string, string | { types: string; default: string }>;
}

/** Each subpath of packages/core/package.json's `exports` and the source file its `dist` target is built from. */
function entryPoints(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as PackageJson;
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const source = target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
    entries.set(subpath, join(CORE, source));
  }
  return entries;
}

const EXPORT_STATEMENT = /^export\b[\s\S]*?;/gm;
const NAMED_LIST = /^export\s+(type\s+)?\{([^}]*)\}\s*from\s*'[^']+'\s*;$/;
const NAMESPACE = /^export\s+\*\s+as\s+(\w+)\s+from\s*'[^']+'\s*;$/;

/** The names an entry file exports, read from its source (an entry holds only explicit re-export statements). */
function declaredNames(file: string): { names: string[]; namespaces: string[] } {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const names: string[] = [];
  const namespaces: string[] = [];
  for (const [statement] of text.matchAll(EXPORT_STATEMENT)) {
    const flat = statement.replace(/\s+/g, ' ');
    const namespace = NAMESPACE.exec(flat);
    if (namespace) {
      namespaces.push(namespace[1] as string);
      names.push(namespace[1] as string);
      continue;
    }
    const list = NAMED_LIST.exec(flat);
    if (!list) throw new Error(`${relative(REPO_ROOT, file)}: not an explicit re-export list: ${flat}`);
    for (const raw of (list[2] as string).split(',').map((s) => s.trim())) {
      if (!raw) continue;
      const isType = Boolean(list[1]) || raw.startsWith('type ');
      const name = raw
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop() as string;
      names.push(isType ? `type ${name}` : name);
    }
  }
  return { names, namespaces };
}

const byName = (a: string, b: string): number => {
  const x = a.replace(/^type /, '');
  const y = b.replace(/^type /, '');
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
};

async function surfaceOf(file: string): Promise<{ declared: string[]; runtime: string[]; namespaceMembers: string[] }> {
  const { names, namespaces } = declaredNames(file);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const namespaceMembers = namespaces.flatMap((ns) => Object.keys(module[ns] as object).map((member) => `${ns}.${member}`));
  return { declared: names.sort(byName), runtime: Object.keys(module).sort(byName), namespaceMembers: namespaceMembers.sort() };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('public API of @modelsec/core', () => {
  it('no source file re-exports with `export *` from a module (every public name is listed)', () => {
    const offenders = sourceFiles(CORE_SRC).filter((file) => /^export\s+\*\s+from\b/m.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => relative(REPO_ROOT, f))).toEqual([]);
  });

  it('each entry point exports at run time exactly the values its source lists, and the surface is the pinned one', async () => {
    const surface: Record<string, string[]> = {};
    for (const [subpath, file] of entryPoints()) {
      const { declared, runtime, namespaceMembers } = await surfaceOf(file);
      expect(
        declared.filter((n) => !n.startsWith('type ')),
        `${subpath}: runtime exports`,
      ).toEqual(runtime);
      expect(new Set(declared).size, `${subpath}: a name listed twice`).toBe(declared.length);
      surface[subpath] = [...declared, ...namespaceMembers];
    }
    expect(Object.keys(surface).sort()).toEqual([
      '.',
      './bom',
      './constants',
      './deps',
      './errors',
      './evidence',
      './formats',
      './hashing',
      './hub',
      './lineage',
      './scan',
      './signing',
      './tlog',
      './util',
    ]);
    await expect(`${JSON.stringify(surface, null, 2)}\n`).toMatchFileSnapshot('./public-api.surface.json');
  });

  it('every name of a capability entry is also exported by the main entry', async () => {
    const entries = entryPoints();
    const main = new Set(declaredNames(entries.get('.') as string).names);
    for (const [subpath, file] of entries) {
      const missing = declaredNames(file).names.filter((n) => !main.has(n));
      expect(missing, `${subpath} exports names the main entry does not`).toEqual([]);
    }
  });
});
