/**
 * Loading OSV databases: osv.dev's zip export layout (zip64 past 65,535 records), directories of JSON, single
 * records; only records naming the project's packages are kept; corrupt or non-OSV input is an error naming the
 * file (and entry), never an empty database.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOsv, ModelsecError, packageKey } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { writeOsvExport } from '../../helpers/fixture-builders.js';

const AUDIT = join(REPO_ROOT, 'fixtures', 'deps', 'audit');
const tmp = mkdtempSync(join(tmpdir(), 'modelsec-osv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const wanted = (...names: string[]) => new Set(names.map((n) => packageKey('pypi', n)));

async function loadError(path: string, names = wanted('torch')): Promise<ModelsecError> {
  try {
    await loadOsv([path], { wanted: names });
  } catch (error) {
    if (error instanceof ModelsecError) return error;
    throw error;
  }
  throw new Error(`${path} loaded without error`);
}

function record(id: string, name: string, ecosystem = 'PyPI'): string {
  return JSON.stringify({
    id,
    modified: '2025-01-01T00:00:00Z',
    affected: [{ package: { ecosystem, name }, versions: ['1.0'] }],
  });
}

describe('the OSV export zip', () => {
  it('reads the fixture export and keeps only the records naming wanted packages', async () => {
    const index = await loadOsv([join(AUDIT, 'osv/PyPI/all.zip')], { wanted: wanted('torch', 'Safetensors') });
    expect(index.sources).toEqual([{ path: join(AUDIT, 'osv/PyPI/all.zip'), format: 'zip', records: 6, kept: 2 }]);
    expect(index.recordsFor(packageKey('pypi', 'torch')).map((r) => r.id)).toEqual(['GHSA-53q9-r3pm-6pq6']);
    expect(index.recordsFor(packageKey('pypi', 'safetensors')).map((r) => r.id)).toEqual(['MAL-0000-safetensors-withdrawn']);
    expect(index.recordsFor(packageKey('pypi', 'requests'))).toEqual([]);
  });

  it('reads a zip64 export of more than 65,535 records and reports progress', async () => {
    const path = join(tmp, 'big.zip');
    const entries = function* () {
      for (let i = 0; i < 66_000; i++) yield { name: `PYSEC-${i}.json`, data: record(`PYSEC-${i}`, `pkg-${i}`) };
    };
    writeFileSync(path, writeOsvExport(entries(), 'store'));
    const progress: number[] = [];
    const index = await loadOsv([path], { wanted: wanted('pkg-65999', 'pkg-7'), onProgress: (p) => progress.push(p.done) });
    expect(index.sources[0]).toMatchObject({ records: 66_000, kept: 2 });
    expect(index.recordsFor(packageKey('pypi', 'pkg-65999')).map((r) => r.id)).toEqual(['PYSEC-65999']);
    expect(progress.at(-1)).toBe(66_000);
  });

  it('a large export (read by worker threads) names a garbage entry anywhere in it', async () => {
    const path = join(tmp, 'garbage-inside.zip');
    const entries = function* () {
      for (let i = 0; i < 25_000; i++)
        yield { name: `PYSEC-${i}.json`, data: i === 23_456 ? '<html>oops</html>' : record(`PYSEC-${i}`, `pkg-${i}`) };
    };
    writeFileSync(path, writeOsvExport(entries(), 'store'));
    const error = await loadError(path, wanted('pkg-1'));
    expect(error.code).toBe('DEPS_OSV_INVALID');
    expect(error.message).toMatch(/garbage-inside\.zip: entry PYSEC-23456\.json: not JSON/);
  });

  it('a record held by two sources is kept once, the most recently modified copy', async () => {
    const dir = join(tmp, 'twice');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'a.json'),
      JSON.stringify({ ...JSON.parse(record('GHSA-1', 'torch')), modified: '2024-01-01T00:00:00Z', summary: 'old' }),
    );
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({ ...JSON.parse(record('GHSA-1', 'torch')), modified: '2025-01-01T00:00:00Z', summary: 'new' }),
    );
    const index = await loadOsv([dir], { wanted: wanted('torch') });
    expect(index.recordsFor(packageKey('pypi', 'torch')).map((r) => r.summary)).toEqual(['new']);
    expect(index.size).toBe(1);
  });
});

describe('bad OSV input is an error naming the file', () => {
  it('a truncated export', async () => {
    const error = await loadError(join(AUDIT, 'hostile/truncated.zip'));
    expect(error.code).toBe('DEPS_OSV_INVALID');
    expect(error.message).toContain('truncated.zip');
    expect(error.exitCode).toBe(2);
  });

  it('a zip entry that is JSON but not OSV, even when it names no wanted package', async () => {
    const error = await loadError(join(AUDIT, 'hostile/not-osv.zip'));
    expect(error.code).toBe('DEPS_OSV_INVALID');
    expect(error.message).toMatch(/not-osv\.zip: entry GHSA-xxxx\.json: not an OSV record/);
    expect(error.details).toMatchObject({ entry: 'GHSA-xxxx.json' });
  });

  it('a JSON file that is an HTML page', async () => {
    const error = await loadError(join(AUDIT, 'hostile/not-osv.json'));
    expect(error.code).toBe('DEPS_OSV_INVALID');
    expect(error.message).toMatch(/not-osv\.json: not JSON/);
  });

  it('a record naming a wanted package with a broken range names the field', async () => {
    const path = join(tmp, 'bad-range.json');
    writeFileSync(
      path,
      JSON.stringify({
        id: 'GHSA-2',
        affected: [{ package: { ecosystem: 'PyPI', name: 'torch' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: 1 }] }] }],
      }),
    );
    const error = await loadError(path);
    expect(error.message).toMatch(/bad-range\.json: not an OSV record: "affected\[0\]"\.ranges\[0\]\.events\[0\]/);
  });

  it('a record with an entry that inflates past its declared size, or a bad compression method', async () => {
    const zip = writeOsvExport([{ name: 'A.json', data: record('A', 'torch') }]);
    zip.writeUInt16LE(12, 8); // local header method
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt16LE(12, central + 10);
    const path = join(tmp, 'method.zip');
    writeFileSync(path, zip);
    expect((await loadError(path)).message).toMatch(
      /method\.zip: not a readable OSV zip export: entry A\.json: compression method 12/,
    );
  });

  it('a file that is not there is FILE_NOT_FOUND', async () => {
    expect((await loadError(join(tmp, 'missing.zip'))).code).toBe('FILE_NOT_FOUND');
  });
});
