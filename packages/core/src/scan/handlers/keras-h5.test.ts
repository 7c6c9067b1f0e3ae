import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from '../../../../../fixtures/scripts/lib/zip-writer.js';
import { scanFile } from '../engine.js';

// HDF5 files are built at test time with h5wasm (HDF5 records object times, so they cannot be byte-stable fixtures).
const dir = mkdtempSync(join(tmpdir(), 'modelsec-h5-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function h5(name: string, attributes: Record<string, string>): string {
  const path = join(dir, name);
  const file = new h5wasm.File(path, 'w');
  for (const [key, value] of Object.entries(attributes)) file.create_attribute(key, value);
  file.create_dataset({ name: 'weights', data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] });
  file.close();
  return path;
}

const lambdaConfig = JSON.stringify({
  class_name: 'Sequential',
  config: { layers: [{ class_name: 'Lambda', config: { function: "lambda x: eval('1')" } }] },
});
const denseConfig = JSON.stringify({
  class_name: 'Sequential',
  config: { layers: [{ class_name: 'Dense', config: { units: 2 } }] },
});

describe('Keras HDF5 (.h5) models', () => {
  beforeAll(async () => {
    await h5wasm.ready;
  });

  it('flags a Lambda layer in model_config at high', async () => {
    const report = await scanFile(h5('lambda.h5', { model_config: lambdaConfig }));
    expect(report.format).toBe('keras-h5');
    expect(report.findings.map((f) => [f.ruleId, f.severity])).toEqual([['MS-KERAS-001', 'high']]);
  });

  it('flags a module outside keras/tensorflow in model_config', async () => {
    const config = JSON.stringify({ class_name: 'Functional', module: 'builtins', config: {} });
    const report = await scanFile(h5('module.h5', { model_config: config }));
    expect(report.findings.some((f) => f.ruleId === 'MS-KERAS-002')).toBe(true);
  });

  it('passes a Dense-only model and a plain HDF5 data file', async () => {
    const dense = await scanFile(h5('dense.h5', { model_config: denseConfig }));
    expect(dense.findings).toEqual([]);
    const data = await scanFile(h5('data.h5', {}));
    expect(data.format).toBe('hdf5');
    expect(data.findings).toEqual([]);
  });

  it('fails closed on model_config that is not JSON', async () => {
    const report = await scanFile(h5('broken.h5', { model_config: '{not json' }));
    expect(report.findings.map((f) => [f.ruleId, f.severity])).toEqual([['MS-ENG-002', 'medium']]);
  });

  it('fails closed on a truncated HDF5 file', async () => {
    const whole = readFileSync(h5('whole.h5', { model_config: lambdaConfig }));
    const cut = join(dir, 'cut.h5');
    writeFileSync(cut, whole.subarray(0, 600));
    const report = await scanFile(cut);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((f) => f.severity === 'medium' || f.severity === 'high')).toBe(true);
  });

  it('scans an HDF5 model inside a zip archive (copied to a temp file for the HDF5 library)', async () => {
    const inner = readFileSync(h5('inner.h5', { model_config: lambdaConfig }));
    const zip = join(dir, 'bundle.zip');
    writeFileSync(zip, writeZip([{ name: 'models/model.h5', data: inner }]));
    const report = await scanFile(zip);
    const finding = report.findings.find((f) => f.ruleId === 'MS-KERAS-001');
    expect(finding?.severity).toBe('high');
    expect(finding?.location.members).toEqual(['models/model.h5']);
  });
});
