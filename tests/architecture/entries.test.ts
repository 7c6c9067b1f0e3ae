/**
 * What each `@modelsec/core` entry point loads. A child `node` imports one entry from the built `dist` (build
 * first: `npm test` does) with a resolve hook that records every module URL the ESM loader resolves, plus the
 * CommonJS modules in `require.cache`; the npm packages among them are what importing that entry costs. Heavy or
 * native dependencies are imported on first use, so importing an entry must not evaluate them.
 *
 * The source-level checks below keep the direction (core imports no registry or cli code), the formats parsers
 * free of npm packages, and the hub/bom cycle broken.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const CORE = join(REPO_ROOT, 'packages', 'core');
const CORE_SRC = join(CORE, 'src');

/** Records resolved URLs from the loader's hooks thread into the file the main thread names. */
const RECORDING_HOOK = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(file, result.url + '\\n');
  return result;
}`;

/** Imports one entry and prints the npm packages and workspace packages whose modules got loaded. */
const PROBE = `
import { createRequire, register } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const dir = mkdtempSync(join(tmpdir(), 'modelsec-entry-'));
const file = join(dir, 'resolved.txt');
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RECORDING_HOOK)}), import.meta.url, { data: { file } });
await import(process.argv[1]);
const require = createRequire(join(process.cwd(), 'probe.js'));
let urls = [];
try { urls = readFileSync(file, 'utf8').split('\\n').filter(Boolean); } catch {}
rmSync(dir, { recursive: true, force: true });
urls.push(...Object.keys(require.cache).map((path) => pathToFileURL(path).href));
const packages = new Set();
const workspace = new Set();
for (const url of urls) {
  if (!url.startsWith('file:')) continue;
  const npm = /.*\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url);
  if (npm) packages.add(npm[1]);
  const own = /\\/packages\\/(core|cli|registry)\\//.exec(url);
  if (own && !npm) workspace.add(own[1]);
}
process.stdout.write(JSON.stringify({ packages: [...packages].sort(), workspace: [...workspace].sort() }));
`;

interface Loaded {
  packages: string[];
  workspace: string[];
}

async function loadedBy(entry: string): Promise<Loaded> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', PROBE, entry], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Loaded;
}

/** Loaded by no core entry: the registry server's stack. */
const SERVER_PACKAGES = ['fastify', 'better-sqlite3', 'pg'];
/** Heavy, native or WASM dependencies that only their features load (on first use). */
const HEAVY_PACKAGES = ['h5wasm', 'libxmljs2', '@cyclonedx/cyclonedx-library', 'sigstore', '@huggingface/hub', 'ajv'];
const isSigstore = (name: string) => name === 'sigstore' || name.startsWith('@sigstore/') || name === 'tuf-js';

/** What each entry may not load at import time (beyond the server stack, forbidden to all). */
const FORBIDDEN: Record<string, (name: string) => boolean> = {
  '@modelsec/core/formats': () => true, // no npm package at all
  '@modelsec/core/scan': (name) => HEAVY_PACKAGES.includes(name) || isSigstore(name),
  '@modelsec/core/errors': () => true,
  '@modelsec/core/constants': () => true,
  '@modelsec/core/util': () => true,
  '@modelsec/core/hashing': () => true,
  '@modelsec/core/lineage': () => true,
  '@modelsec/core/tlog': () => true,
  '@modelsec/core/evidence': () => true,
  '@modelsec/core/hub': () => true,
  '@modelsec/core/signing': (name) => HEAVY_PACKAGES.includes(name) || isSigstore(name),
  '@modelsec/core/bom': (name) => ['h5wasm', 'libxmljs2', 'ajv', '@huggingface/hub'].includes(name) || isSigstore(name),
  '@modelsec/core/deps': (name) => HEAVY_PACKAGES.includes(name) || isSigstore(name),
  '@modelsec/core': (name) => ['h5wasm', 'libxmljs2', 'ajv', '@huggingface/hub'].includes(name) || isSigstore(name),
};

describe('what importing each @modelsec/core entry point loads (built dist)', () => {
  it('covers every subpath of the package exports', () => {
    const pkg = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const subpaths = Object.keys(pkg.exports)
      .filter((s) => s !== './package.json')
      .map((s) => (s === '.' ? '@modelsec/core' : `@modelsec/core/${s.slice(2)}`));
    expect(subpaths.sort()).toEqual(Object.keys(FORBIDDEN).sort());
  });

  for (const [entry, forbidden] of Object.entries(FORBIDDEN)) {
    it(`${entry}: no server package, no registry or cli code, none of its forbidden dependencies`, async () => {
      const loaded = await loadedBy(entry);
      expect(loaded.workspace, 'workspace code loaded').toEqual(['core']);
      expect(loaded.packages.filter((name) => SERVER_PACKAGES.includes(name))).toEqual([]);
      expect(loaded.packages.filter(forbidden), `${entry} loads`).toEqual([]);
    }, 60_000);
  }

  it('the probe sees what an entry does load (a dependency the main entry imports statically)', async () => {
    const loaded = await loadedBy('@modelsec/core/bom');
    expect(loaded.packages).toContain('@cyclonedx/cyclonedx-library');
  }, 60_000);
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\/\/\/\s*<reference\s+path=)['"]([^'"]+)['"]/g;

/** Every module specifier a source file names (static and dynamic imports, re-exports, require, references). */
function specifiersOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  return [...text.matchAll(SPECIFIER)].map((m) => m[1] as string);
}

const within = (file: string, dir: string) => file === dir || file.startsWith(dir + sep);

describe('core source dependencies', () => {
  it('no file in packages/core/src imports registry or cli code', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(CORE_SRC)) {
      for (const spec of specifiersOf(file)) {
        const target = spec.startsWith('.') ? resolve(dirname(file), spec) : '';
        if (
          /^@modelsec\/(registry|cli)(\/|$)/.test(spec) ||
          within(target, join(REPO_ROOT, 'packages', 'registry')) ||
          within(target, join(REPO_ROOT, 'packages', 'cli'))
        )
          offenders.push(`${relative(REPO_ROOT, file)}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('formats imports only node: builtins, other formats files and core/errors (no npm package, no computed import)', () => {
    const formats = join(CORE_SRC, 'formats');
    const offenders: string[] = [];
    for (const file of sourceFiles(formats)) {
      const text = readFileSync(file, 'utf8');
      if (/\bcreateRequire\b|\bimport\s*\(\s*[^'"\s]/.test(text)) offenders.push(`${relative(REPO_ROOT, file)}: computed import`);
      for (const spec of specifiersOf(file)) {
        if (spec.startsWith('node:')) continue;
        const target = spec.startsWith('.') ? resolve(dirname(file), spec) : '';
        if (target && (within(target, formats) || within(target, join(CORE_SRC, 'errors')))) continue;
        offenders.push(`${relative(REPO_ROOT, file)}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('core/constants imports nothing outside itself (front ends show its values before loading any capability)', () => {
    const constants = join(CORE_SRC, 'constants');
    const offenders = sourceFiles(constants).flatMap((file) =>
      specifiersOf(file)
        .filter((spec) => !(spec.startsWith('.') && within(resolve(dirname(file), spec), constants)))
        .map((spec) => `${relative(REPO_ROOT, file)}: ${spec}`),
    );
    expect(sourceFiles(join(CORE_SRC, 'constants'))).not.toEqual([]);
    expect(offenders).toEqual([]);
  });

  it('core/hub imports nothing of core/bom (bom uses the hub client; the cycle stays broken)', () => {
    const bom = join(CORE_SRC, 'bom');
    const offenders = sourceFiles(join(CORE_SRC, 'hub')).flatMap((file) =>
      specifiersOf(file)
        .filter((spec) => spec.startsWith('.') && within(resolve(dirname(file), spec), bom))
        .map((spec) => `${relative(REPO_ROOT, file)}: ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});
