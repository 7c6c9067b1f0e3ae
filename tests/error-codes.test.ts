import { readFileSync } from 'node:fs';
import { ERROR_CODE_NAMES, ERROR_CODES, ModelsecError, toModelsecError } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_HELP } from '../packages/cli/src/exit-codes-help.js';
import { renderErrorDocs } from '../scripts/lib/error-docs.js';
import { REPO_ROOT } from './helpers/cli.js';

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
