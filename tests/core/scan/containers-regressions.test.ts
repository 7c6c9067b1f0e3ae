/**
 * Container and loader-dispatch bypass classes (issue 11), scanned through the engine entry the CLI uses
 * (scanFile). The fixtures under fixtures/scan/containers/ are written by fixtures/scripts/containers/
 * make_containers.py with the real libraries, which proves each hostile file runs its payload under the loader named
 * in MANIFEST.json and each benign twin loads.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../packages/core/src/formats/byte-source.js';
import { scanFile } from '../../../packages/core/src/scan/engine.js';
import { readTarListing } from '../../../packages/core/src/scan/tar-listing.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { writeZip } from '../../helpers/fixture-builders.js';

const DIR = join(REPO_ROOT, 'fixtures', 'scan', 'containers');
const manifest = JSON.parse(readFileSync(join(DIR, 'MANIFEST.json'), 'utf8')) as {
  files: Array<{ file: string; kind: 'malicious' | 'benign'; loader: string; proven: boolean }>;
};
const HIGH = new Set(['high', 'critical']);

describe('container bypass classes: each proven payload is caught, each benign twin passes', () => {
  for (const entry of manifest.files) {
    it(`${entry.file} (${entry.kind}, ${entry.loader})`, async () => {
      expect(entry.proven).toBe(true);
      const report = await scanFile(join(DIR, entry.file));
      const active = report.findings.filter((f) => !f.suppressed);
      if (entry.kind === 'malicious') {
        expect(
          active.some((f) => f.ruleId === 'MS-PKL-001' && f.severity === 'critical'),
          JSON.stringify(active.map((f) => f.ruleId)),
        ).toBe(true);
      } else {
        expect(active.filter((f) => HIGH.has(f.severity)).map((f) => f.message)).toEqual([]);
        expect(report.verdict).not.toBe('incomplete');
      }
    });
  }
});

function tmp(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'modelsec-containers-')), name);
  writeFileSync(path, bytes);
  return path;
}

describe('zip-overlapping-entries bomb', () => {
  it('ends fast (aliased spans read once) in a high overlap finding, however deep it nests', async () => {
    // 1 MiB of zeros deflated once; 200 central entries all point at that one local header, nested 6 levels deep.
    let inner: Uint8Array = writeZip([{ name: 'kernel', data: new Uint8Array(1 << 20), method: 'deflate' }]);
    for (let level = 0; level < 6; level++) {
      const kernel = new Uint8Array(deflateRawSync(inner));
      inner = writeZip([
        { name: 'z0.zip', data: inner, raw: { method: 8, bytes: kernel }, declaredSize: 0 },
        ...Array.from({ length: 199 }, (_, i) => ({ name: `z${i + 1}.zip`, data: inner, aliasOf: 0, declaredSize: 0 })),
      ]);
    }
    const started = Date.now();
    const report = await scanFile(tmp('bomb.zip', inner));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(report.findings.some((f) => f.ruleId === 'MS-ARC-002' && f.severity === 'high')).toBe(true);
  });

  it('entries declaring 0 bytes are decompressed for what they hold (a payload behind a 0 size is seen)', async () => {
    const payload = Buffer.from("cos\nsystem\n(S'touch /tmp/x'\ntR.", 'latin1');
    const zip = writeZip([
      { name: 'model.pkl', data: payload, raw: { method: 8, bytes: deflateRawSync(payload) }, declaredSize: 0 },
    ]);
    const report = await scanFile(tmp('zero.zip', zip));
    expect(report.findings.some((f) => f.ruleId === 'MS-PKL-001')).toBe(true);
  });
});

describe('tar listing past its limit', () => {
  it('reports the limit (found by reading one member past it), never a silent cut', async () => {
    const header = (name: string) => {
      const h = Buffer.alloc(512);
      h.write(name, 0);
      h.write('0000644\0', 100);
      h.write('00000000000\0', 124);
      h.write('0', 156);
      h.write('        ', 148);
      let sum = 0;
      for (const b of h) sum += b;
      h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      return h;
    };
    const tar = Buffer.concat([...Array.from({ length: 12 }, (_, i) => header(`m${i}`)), Buffer.alloc(1024)]);
    const listing = await readTarListing(memorySource(tar), 10);
    expect(listing.members).toHaveLength(10);
    expect(listing.anomalies.map((a) => a.kind)).toEqual(['limit']);
    const exact = await readTarListing(memorySource(tar), 12);
    expect([exact.members.length, exact.anomalies]).toEqual([12, []]);
  });
});
