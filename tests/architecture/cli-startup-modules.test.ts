/**
 * What each `modelsec` command loads (issue 13): the built CLI runs in a child process with an `--import` hook that
 * records every module it resolves (ESM, through a module.register resolve hook) and every CommonJS module in
 * require.cache at exit. `--version` and `--help` load no @modelsec/core capability beyond errors and constants, nor any heavy
 * dependency; `verify` and `check --offline` of a real signed model load neither fastify nor a database driver nor the
 * registry server.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, signedScannedModel } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'modelsec-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The hook: ESM resolutions from the loader thread, CommonJS modules at exit, one file URL per line. */
const RESOLVE_HOOK = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.MODELSEC_MODULE_LOG, result.url + '\\n');
  return result;
}
`;
const RECORDER = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('./resolve-hook.mjs', import.meta.url);
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const urls = Object.keys(require.cache).map((file) => pathToFileURL(file).href + '\\n');
  appendFileSync(process.env.MODELSEC_MODULE_LOG, urls.join(''));
});
`;

let runs = 0;
/** Runs the built CLI with the recorder; returns its exit code, output and every module URL it loaded. */
function loadedBy(args: string[]): { code: number | null; stdout: string; stderr: string; modules: string[] } {
  const log = path.join(work, `modules-${++runs}.txt`);
  writeFileSync(log, '');
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(work, 'record.mjs')).href, CLI_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', MODELSEC_MODULE_LOG: log },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const modules = [
    ...new Set(
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file:')),
    ),
  ];
  return { code: child.status, stdout: child.stdout, stderr: child.stderr, modules };
}

/** Modules whose URL contains any of `parts`. */
const matching = (modules: readonly string[], parts: readonly string[]) =>
  modules.filter((url) => parts.some((part) => url.includes(part)));

/** Heavy or native dependencies a start-up must not pay for. */
const HEAVY = [
  '/node_modules/@sigstore/',
  '/node_modules/@cyclonedx/',
  '/node_modules/h5wasm/',
  '/node_modules/libxmljs2/',
  '/node_modules/ajv/',
];
/** The registry server and its drivers: only `registry serve` and `log witness serve` load them. */
const SERVER = [
  '/node_modules/fastify/',
  '/node_modules/better-sqlite3/',
  '/node_modules/pg/',
  '/packages/registry/dist/server/',
  '/packages/registry/dist/app.js',
];

/** The @modelsec/core capabilities (dist/<capability>/) a module list reaches. */
function coreCapabilities(modules: readonly string[]): string[] {
  const found = new Set<string>();
  for (const url of modules) {
    const m = /\/packages\/core\/dist\/([^/]+)/.exec(url);
    if (m) found.add((m[1] as string).replace(/\.js$/, ''));
  }
  return [...found].sort();
}

const model = path.join(work, 'model');
const signer = path.join(work, 'signer');

beforeAll(async () => {
  writeFileSync(path.join(work, 'resolve-hook.mjs'), RESOLVE_HOOK);
  writeFileSync(path.join(work, 'record.mjs'), RECORDER);
  await signedScannedModel(model, signer);
}, 120_000);

describe('modules each command loads (built CLI, child process)', () => {
  it('the recorder sees the modules a command loads (the checks below could fail)', () => {
    const run = loadedBy(['verify', 'key', model, '--public-key', `${signer}.pub`]);
    expect(run.code, run.stderr).toBe(0);
    // Key verification loads commander and core's signing capability (Sigstore itself loads only for keyless).
    expect(matching(run.modules, ['/node_modules/commander/'])).not.toEqual([]);
    expect(coreCapabilities(run.modules)).toContain('signing');
    expect(matching(run.modules, ['/node_modules/'])).not.toEqual(matching(run.modules, ['/node_modules/commander/']));
  });

  for (const args of [['--version'], ['--help'], ['help', 'scan'], ['verify', 'key', '--help']]) {
    it(`modelsec ${args.join(' ')} loads no core capability beyond errors and constants, and no heavy dependency`, () => {
      const run = loadedBy(args);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).not.toBe('');
      // `constants` is a module of plain values that imports nothing (the help text shows them).
      expect(coreCapabilities(run.modules).filter((c) => !['errors', 'version', 'constants'].includes(c))).toEqual([]);
      expect(matching(run.modules, [...HEAVY, ...SERVER, '/packages/registry/'])).toEqual([]);
    });
  }

  it('verify of a signed model loads neither fastify, a database driver nor the registry server', () => {
    const run = loadedBy(['verify', 'key', model, '--public-key', `${signer}.pub`, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, valid: true });
    expect(matching(run.modules, SERVER)).toEqual([]);
  });

  it('check --offline of a signed, scan-attested model loads neither fastify, a database driver nor the server', () => {
    const run = loadedBy(['check', model, '--offline', '--public-key', `${signer}.pub`, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, verified: true, offline: true });
    expect(matching(run.modules, SERVER)).toEqual([]);
    expect(matching(run.modules, ['/packages/registry/dist/client/'])).not.toEqual([]);
  });

  it('check against a registry that is not there still loads no server code (the online path)', () => {
    const run = loadedBy(['check', model, '--public-key', `${signer}.pub`, '--registry', 'http://127.0.0.1:9', '--json']);
    expect(run.code).not.toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false });
    expect(matching(run.modules, SERVER)).toEqual([]);
  });

  it('scan of one small pickle loads the scanner and nothing of signing, BOMs or the registry', () => {
    const run = loadedBy(['scan', path.join(model, 'weights.pkl')]);
    expect(run.code, run.stderr).toBe(0);
    expect(coreCapabilities(run.modules)).toContain('scan');
    expect(coreCapabilities(run.modules).filter((c) => ['signing', 'bom', 'tlog', 'evidence'].includes(c))).toEqual([]);
    // The Hub reference parser is part of the scan entry; the Hub client loads only for hf:// paths.
    expect(matching(run.modules, [...HEAVY, ...SERVER, '/packages/registry/', '/node_modules/@huggingface/'])).toEqual([]);
    // Handlers load after detection, only the one the file needs: the pickle's, none of the other formats'.
    expect(matching(run.modules, ['/scan/handlers/pickle.js'])).not.toEqual([]);
    const otherHandlers = ['onnx', 'keras', 'keras-h5', 'tf-savedmodel', 'gguf', 'safetensors', 'templates', 'code', 'numpy']
      .concat(['data-formats', 'pytorch-zip', 'pytorch-tar', 'joblib', 'index', 'other-formats', 'pickle-family'])
      .map((name) => `/scan/handlers/${name}.js`);
    expect(matching(run.modules, otherHandlers)).toEqual([]);
  });
});
