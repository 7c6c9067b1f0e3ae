import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeZip } from '#test-support/fixture-builders';
import { memorySource } from '../byte-source.js';
import { readZipEntries, readZipEntry, readZipMember, torchRecord, ZipFormatError, ZipLimitError } from './reader.js';

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
    expect(anomalies.map((a) => a.kind).sort()).toEqual(['encrypted', 'local-only-entry', 'name-mismatch']);
    expect(entries.map((e) => [e.name, e.localName, e.foundBy, e.readers])).toEqual([
      ['a/version', 'a/data.pkl', 'central', ['zipfile', 'miniz']],
      ['hidden.pkl', undefined, 'local-only', []],
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

  it("corrects offsets for prepended bytes as zipfile computes concat, and lists PyTorch's uncorrected reading too", async () => {
    const zip = writeZip([{ name: 'archive/data.pkl', data: 'payload' }], {
      prepend: new TextEncoder().encode('#!/bin/sh\n'.repeat(3)),
    });
    const source = memorySource(zip);
    const listing = await readZipEntries(source);
    expect(listing.concat).toBe(30);
    const zipfileView = listing.entries.find((e) => e.readers.includes('zipfile'));
    expect(zipfileView?.localHeaderOffset).toBe(30);
    if (!zipfileView) throw new Error('missing');
    expect(new TextDecoder().decode((await readZipEntry(source, zipfileView)).bytes)).toBe('payload');
    expect(listing.anomalies.map((a) => a.kind)).toContain('prepended-data');
  });

  it('lists every entry of a duplicated or case-folded name, and resolves PyTorch records case-insensitively under the archive prefix', async () => {
    const zip = writeZip([
      { name: 'archive/data.pkl', data: 'first' },
      { name: 'archive/version', data: '3\n' },
      { name: 'ARCHIVE/DATA.PKL', data: 'folded' },
      { name: 'archive/data.pkl', data: 'last' },
      { name: 'other/data.pkl', data: 'outside the prefix' },
    ]);
    const listing = await readZipEntries(memorySource(zip));
    expect(listing.entries.map((e) => e.name)).toEqual([
      'archive/data.pkl',
      'archive/version',
      'ARCHIVE/DATA.PKL',
      'archive/data.pkl',
      'other/data.pkl',
    ]);
    expect(listing.anomalies.filter((a) => a.kind === 'duplicate-name')).toHaveLength(2);
    expect(torchRecord(listing, 'data.pkl').map((e) => e.index)).toEqual([0, 2, 3]);
    expect(torchRecord(listing, 'VERSION').map((e) => e.name)).toEqual(['archive/version']);
  });

  it("names an entry as zipfile does (cut at a NUL) and keeps PyTorch's whole-name comparison", async () => {
    const zip = writeZip([{ name: 'archive/data.pkl\0.txt', data: 'p' }]);
    const listing = await readZipEntries(memorySource(zip));
    expect(listing.entries.map((e) => [e.name, e.origName])).toEqual([['archive/data.pkl', 'archive/data.pkl\0.txt']]);
    expect(torchRecord(listing, 'data.pkl')).toEqual([]);
    expect(listing.anomalies.map((a) => a.kind)).toContain('nul-in-name');
  });

  it('reports entries sharing bytes (overlap) and decompresses what an entry declaring 0 bytes really holds', async () => {
    const body = new TextEncoder().encode('A'.repeat(50_000));
    const zip = writeZip([
      { name: 'a', data: body, method: 'deflate' },
      { name: 'b', data: body, aliasOf: 0 },
    ]);
    const listing = await readZipEntries(memorySource(zip));
    expect(listing.anomalies.map((a) => a.kind)).toContain('overlap');
    const zeroDeclared = writeZip([{ name: 'z', data: body, raw: { method: 8, bytes: deflateRawSync(body) }, declaredSize: 0 }]);
    const zsource = memorySource(zeroDeclared);
    const [entry] = (await readZipEntries(zsource)).entries;
    if (!entry) throw new Error('missing');
    expect(entry.uncompressedSize).toBe(0);
    const read = await readZipMember(zsource, entry, 1 << 20);
    expect(read.bytes.length).toBe(50_000);
  });

  it('reads bzip2 and lzma members only through the decoder the caller passes (formats loads no npm decoder)', async () => {
    const zip = writeZip([{ name: 'b.bin', data: 'x', raw: { method: 12, bytes: new Uint8Array([1, 2, 3]) } }]);
    const source = memorySource(zip);
    const [entry] = (await readZipEntries(source)).entries;
    if (!entry) throw new Error('missing');
    await expect(readZipMember(source, entry, 1024)).rejects.toThrow(/entry b\.bin: bzip2 members need a decoder/);
    await expect(readZipEntry(source, entry)).rejects.toBeInstanceOf(ZipFormatError);
    const seen: string[] = [];
    const read = await readZipEntry(source, entry, {
      decompress: async (codec, input) => {
        seen.push(`${codec}:${input.length}`);
        return { bytes: new TextEncoder().encode('x'), status: 'complete', prefixExact: true };
      },
    });
    expect(seen).toEqual(['bzip2:3']);
    expect(new TextDecoder().decode(read.bytes)).toBe('x');
  });
});
