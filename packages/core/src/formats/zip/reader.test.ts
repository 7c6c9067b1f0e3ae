import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeZip } from '../../../../../fixtures/scripts/lib/zip-writer.js';
import { memorySource } from '../byte-source.js';
import { readZipEntries, readZipEntry, ZipFormatError, ZipLimitError } from './reader.js';

describe('zip reader (PyTorch-tolerant)', () => {
  it('lists stored and deflated members and reads them back with CRC checked', async () => {
    const zip = writeZip([
      { name: 'a/data.pkl', data: 'hello' },
      { name: 'a/b.txt', data: 'x'.repeat(1000), method: 'deflate' },
    ]);
    const source = memorySource(zip);
    const { entries, anomalies } = await readZipEntries(source);
    expect(entries.map((e) => [e.name, e.method, e.foundBy])).toEqual([
      ['a/data.pkl', 0, 'central'],
      ['a/b.txt', 8, 'central'],
    ]);
    expect(anomalies).toEqual([]);
    const b = entries[1];
    if (!b) throw new Error('missing');
    const data = await readZipEntry(source, b);
    expect(new TextDecoder().decode(data.bytes)).toBe('x'.repeat(1000));
    expect(data.crcOk).toBe(true);
  });

  it('reports name mismatches, flag bits, bad CRCs and local-only members without refusing the archive', async () => {
    const zip = writeZip([
      { name: 'a/version', localName: 'a/data.pkl', data: 'p', flags: 0x1, crcOverride: 1 },
      { name: 'hidden.pkl', data: 'q', omitFromCentral: true },
    ]);
    const source = memorySource(zip);
    const { entries, anomalies } = await readZipEntries(source);
    expect(anomalies.map((a) => a.kind).sort()).toEqual(['flag-bits', 'local-only-entry', 'name-mismatch']);
    expect(entries.map((e) => [e.name, e.localName, e.foundBy])).toEqual([
      ['a/version', 'a/data.pkl', 'central'],
      ['hidden.pkl', undefined, 'local-only'],
    ]);
    const first = entries[0];
    if (!first) throw new Error('missing');
    expect((await readZipEntry(source, first)).crcOk).toBe(false);
  });

  it('requireCentralDirectory: refuses an archive without one instead of walking its local headers', async () => {
    const zip = writeZip([{ name: 'a/data.pkl', data: 'p' }]);
    const headless = zip.subarray(0, zip.length - 22); // drop the end-of-central-directory record
    const walked = await readZipEntries(memorySource(headless));
    expect(walked.anomalies.map((a) => a.kind)).toContain('no-central-directory');
    expect(walked.entries.map((e) => e.name)).toEqual(['a/data.pkl']);
    await expect(readZipEntries(memorySource(headless), { requireCentralDirectory: true })).rejects.toBeInstanceOf(
      ZipFormatError,
    );
    const listed = await readZipEntries(memorySource(zip), { requireCentralDirectory: true });
    expect(listed.entries.map((e) => [e.name, e.foundBy])).toEqual([['a/data.pkl', 'central']]);
  });

  it('caps decompressed size (zip bomb) and refuses non-zips', async () => {
    const bomb = new Uint8Array(deflateRawSync(new Uint8Array(4 * 1024 * 1024)));
    const zip = writeZip([{ name: 'bomb', data: new Uint8Array(4 * 1024 * 1024), method: 'deflate' }]);
    expect(bomb.length).toBeLessThan(10_000);
    const source = memorySource(zip);
    const { entries } = await readZipEntries(source);
    const entry = entries[0];
    if (!entry) throw new Error('missing');
    await expect(readZipEntry(source, entry, { maxBytes: 1024 })).rejects.toBeInstanceOf(ZipLimitError);
    await expect(readZipEntries(memorySource(new TextEncoder().encode('not a zip at all')))).rejects.toBeInstanceOf(
      ZipFormatError,
    );
  });
});
