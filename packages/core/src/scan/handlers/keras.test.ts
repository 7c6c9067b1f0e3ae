import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from '#test-support/fixture-builders';
import { scanFile } from '../engine.js';

const dir = mkdtempSync(join(tmpdir(), 'modelsec-keras-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Keras 3 model.weights.h5: real HDF5 holding arrays only (built at test time; HDF5 stamps object times). */
function weightsH5(): Uint8Array {
  const path = join(dir, 'weights.h5');
  const file = new h5wasm.File(path, 'w');
  file.create_group('layers');
  file.create_dataset({ name: 'layers/kernel', data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] });
  file.close();
  return readFileSync(path);
}

function kerasArchive(name: string, weights: Uint8Array): string {
  const config = { module: 'keras', class_name: 'Sequential', config: { layers: [] }, registered_name: null };
  const path = join(dir, name);
  writeFileSync(
    path,
    writeZip([
      { name: 'metadata.json', data: JSON.stringify({ keras_version: '3.3.3' }) },
      { name: 'config.json', data: JSON.stringify(config) },
      { name: 'model.weights.h5', data: weights },
    ]),
  );
  return path;
}

describe('Keras .keras archives', () => {
  beforeAll(async () => {
    await h5wasm.ready;
  });

  it('scans model.weights.h5 as HDF5 and reports nothing for a benign archive', async () => {
    const report = await scanFile(kerasArchive('benign.keras', weightsH5()));
    expect(report.format).toBe('keras');
    expect(report.findings).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it('reports an uninspectable member even when it is named model.weights.h5', async () => {
    // 7z magic: the member is detected by content, not by name, and must not be waved through as weights.
    const sevenZip = Uint8Array.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04, 0, 0, 0, 0]);
    const report = await scanFile(kerasArchive('disguised.keras', sevenZip));
    expect(report.findings.map((f) => [f.ruleId, f.location.members])).toEqual([['MS-ENG-004', ['model.weights.h5']]]);
  });

  it('reports a corrupt model.weights.h5 (fails closed)', async () => {
    const whole = weightsH5();
    const cut = whole.subarray(0, Math.floor(whole.length / 2));
    const report = await scanFile(kerasArchive('corrupt.keras', cut));
    expect(report.findings.map((f) => [f.ruleId, f.severity, f.location.members])).toEqual([
      ['MS-ENG-002', 'medium', ['model.weights.h5']],
    ]);
  });
});
