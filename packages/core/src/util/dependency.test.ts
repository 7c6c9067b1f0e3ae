import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { importDependency } from './dependency.js';

const ABSENT = 'modelsec-test-absent-package';

describe('importDependency', () => {
  it('names the missing npm package and how to install it (ESM import and CommonJS require)', async () => {
    const viaImport = importDependency(ABSENT, 'the test feature', () => import(ABSENT));
    await expect(viaImport).rejects.toMatchObject({ code: 'DEPENDENCY_MISSING', details: { package: ABSENT } });
    await expect(viaImport).rejects.toThrow(`the test feature needs the npm package ${ABSENT}, which is not installed`);
    const require = createRequire(import.meta.url);
    const viaRequire = importDependency(ABSENT, 'the test feature', async () => require(ABSENT) as unknown);
    await expect(viaRequire).rejects.toMatchObject({ code: 'DEPENDENCY_MISSING', exitCode: 3 });
  });

  it('returns the module when present and lets any other load failure through unchanged', async () => {
    const zlib = await importDependency('node:zlib', 'test', () => import('node:zlib'));
    expect(typeof zlib.crc32).toBe('function');
    const broken = new Error('package threw while loading');
    await expect(importDependency('some-package', 'test', () => Promise.reject(broken))).rejects.toBe(broken);
  });
});
