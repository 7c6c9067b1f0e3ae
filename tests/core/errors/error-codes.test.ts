import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODE_NAMES, ERROR_CODES, isErrorCode, ModelsecError, toModelsecError } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_HELP } from '../../../packages/cli/src/exit-codes-help.js';
import { memorySource } from '../../../packages/core/src/formats/byte-source.js';
import { readZipEntries, readZipEntry, ZipFormatError, ZipLimitError } from '../../../packages/core/src/formats/zip/index.js';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { renderErrorDocs } from '../../../scripts/lib/error-docs.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { PickleBuilder, writeZip } from '../../helpers/fixture-builders.js';

/** The non-test TypeScript sources under `dir` (relative to the repository root). */
function sources(dir: string): string[] {
  return (readdirSync(join(REPO_ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(REPO_ROOT, dir, f));
}

/** Every `'CODE'` literal the pattern's first group captures, with the file and line it is on. */
function literals(files: readonly string[], pattern: RegExp): { code: string; where: string }[] {
  const found: { code: string; where: string }[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(pattern)) found.push({ code: m[1]!, where: `${relative(REPO_ROOT, file)}:${i + 1}` });
    });
  }
  return found;
}

describe('the error-code registry', () => {
  it('binds every code to an exit code 1-3 and an HTTP error status', () => {
    expect(ERROR_CODE_NAMES.length).toBeGreaterThan(10);
    for (const code of ERROR_CODE_NAMES) {
      const spec = ERROR_CODES[code];
      expect([1, 2, 3], code).toContain(spec.exit);
      expect(spec.http, code).toBeGreaterThanOrEqual(400);
      expect(spec.http, code).toBeLessThan(600);
      expect(spec.summary.length, code).toBeGreaterThan(10);
      expect(code, 'codes are SCREAMING_SNAKE_CASE').toMatch(/^[A-Z][A-Z0-9_]+$/);
    }
  });

  it('maps input errors to 4xx and exit 2, internal errors to 5xx and exit 3', () => {
    for (const code of ERROR_CODE_NAMES) {
      const spec = ERROR_CODES[code];
      if (spec.exit === 3) expect(spec.http, code).toBeGreaterThanOrEqual(500);
      if (spec.http >= 500 && code !== 'NOT_IMPLEMENTED') expect(spec.exit, code).toBe(3);
    }
  });

  it('is documented in docs/errors.md exactly as generated (npm run docs:errors)', () => {
    const docs = readFileSync(`${REPO_ROOT}docs/errors.md`, 'utf8');
    expect(docs).toBe(renderErrorDocs());
  });

  it('agrees with the exit codes the README and --help document', () => {
    const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');
    for (const line of EXIT_CODES_HELP.split('\n').slice(1)) {
      const [, code, text] = /^\s+(\d)\s+(.*)$/.exec(line) ?? [];
      expect(code, line).toBeDefined();
      expect(readme).toContain(`| \`${code}\` | ${text} |`);
    }
  });
});

describe('ModelsecError', () => {
  it('keeps code, details and cause and serialises to the wire shape', () => {
    const cause = new Error('root');
    const error = new ModelsecError('FILE_NOT_FOUND', 'gone', { details: { path: '/x' }, cause });
    expect(error.cause).toBe(cause);
    expect(error.exitCode).toBe(2);
    expect(error.httpStatus).toBe(404);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'FILE_NOT_FOUND', message: 'gone', details: { path: '/x' } });
  });

  it('turns file-system errors into input errors naming the path, anything else into INTERNAL', () => {
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/nope' });
    expect(toModelsecError(enoent)).toMatchObject({ code: 'FILE_NOT_FOUND', details: { path: '/nope' } });
    const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/secret' });
    expect(toModelsecError(eacces)).toMatchObject({ code: 'FILE_UNREADABLE', details: { path: '/secret', errno: 'EACCES' } });
    const other = toModelsecError(new TypeError('boom'));
    expect(other.code).toBe('INTERNAL');
    expect(other.exitCode).toBe(3);
    expect(toModelsecError('string thrown').code).toBe('INTERNAL');
  });
});

describe('every code the sources use is in the table (no free-string codes)', () => {
  const ALL = ['packages/core/src', 'packages/cli/src', 'packages/registry/src'].flatMap(sources);
  // Scan issues, zip errors and the registry's failed rules and error bodies: every `code: 'X'` (and `?? 'X'`
  // fallback of a code) in the scanner, the parsers and the registry.
  const ISSUE_AND_RULE_SOURCES = ['packages/core/src/scan', 'packages/core/src/formats', 'packages/registry/src'].flatMap(
    sources,
  );

  it('ModelsecError is only ever built with a code of the table', () => {
    const used = literals(ALL, /ModelsecError\(\s*'([A-Za-z0-9_]+)'/g);
    expect(used.length, 'the pattern finds the constructions').toBeGreaterThan(100);
    expect(used.filter((u) => !isErrorCode(u.code))).toEqual([]);
  });

  it('ScanIssue.code, FailedRule.code and the registry error body come from the table', () => {
    const used = [
      ...literals(ISSUE_AND_RULE_SOURCES, /\bcode: '([A-Za-z0-9_]+)'/g),
      ...literals(ISSUE_AND_RULE_SOURCES, /\bcode\b[^;]*\?\? '([A-Za-z0-9_]+)'/g),
      ...literals(ISSUE_AND_RULE_SOURCES, /\bcode: ErrorCode = '([A-Za-z0-9_]+)'/g),
    ];
    expect(used.length, 'the patterns find the codes').toBeGreaterThan(40);
    for (const expected of ['SCAN_KERAS_CONFIG', 'FORMAT_INVALID', 'POLICY_DENIED', 'REGISTRY_BLOB_MISSING'])
      expect(used.map((u) => u.code)).toContain(expected);
    expect(used.filter((u) => !isErrorCode(u.code))).toEqual([]);
  });

  it('the zip parser throws ModelsecErrors: FORMAT_INVALID (exit 2, 400) and LIMIT_EXCEEDED (exit 2, 413)', async () => {
    const notZip = readZipEntries(memorySource(new TextEncoder().encode('not a zip at all')));
    await expect(notZip).rejects.toBeInstanceOf(ZipFormatError);
    await expect(notZip).rejects.toMatchObject({ code: 'FORMAT_INVALID', exitCode: 2, httpStatus: 400 });
    await expect(notZip).rejects.toBeInstanceOf(ModelsecError);

    const zip = writeZip([{ name: 'bomb', data: new Uint8Array(64 * 1024), method: 'deflate' }]);
    const entry = (await readZipEntries(memorySource(zip))).entries[0]!;
    const bomb = readZipEntry(memorySource(zip), entry, { maxBytes: 1024 });
    await expect(bomb).rejects.toBeInstanceOf(ZipLimitError);
    await expect(bomb).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      exitCode: 2,
      httpStatus: 413,
      details: { entry: 'bomb', limit: 1024 },
    });
    expect(toModelsecError(new ZipFormatError('x')).code, 'kept as is, never INTERNAL').toBe('FORMAT_INVALID');
  });

  it('a scan report carries only codes of the table in its issues (a cut pickle, a zip member in an unknown method)', async () => {
    const whole = new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().stop().bytes();
    const pickle = whole.subarray(0, whole.length - 3);
    // A member in a compression method no loader reads (99): the zip reader's ZipFormatError becomes the issue.
    const zip = writeZip([{ name: 'notes.txt', data: 'x', raw: { method: 99, bytes: new Uint8Array([1, 2, 3]) } }]);
    for (const [bytes, name] of [
      [pickle, 'cut.pkl'],
      [zip, 'broken.zip'],
    ] as const) {
      const report = await scanBytes(bytes, {}, name);
      const codes = report.errors.map((e) => e.code);
      expect(codes.length, `${name}: ${JSON.stringify(report.errors)}`).toBeGreaterThan(0);
      for (const code of codes) expect(isErrorCode(code), `${name}: ${code}`).toBe(true);
    }
  });
});
