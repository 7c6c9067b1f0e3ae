/**
 * Issue 11 (probe of 2026-12-03, scripts/probe-ordinary/repo4-tfjs.py): a TensorFlow.js model repo (tfjs-converter's
 * model.json + group1-shardNofM.bin) had every weight shard 'format not recognised' (incomplete, failing the gate):
 * the shards are raw tensor bytes with no header. They are now companions of the model.json whose weightsManifest
 * group accounts for exactly their total size (scan/companions.ts); a size off by one byte, a path that leaves the
 * directory, a weight that cannot be sized (`string`) name none, and a pickle named as a shard is still read as one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scanPaths } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'modelsec-tfjs-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

function place(files: Record<string, string | Uint8Array>): string {
  const dir = join(root, String(n++));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** posix.system('touch /tmp/pwned') as pickle.dumps(protocol=2) writes it. */
const PAYLOAD = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cposix\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.', 'latin1'),
]);

/** A layers-model model.json as tfjs-converter 4.x writes it (weights: a [4, 2] kernel, a [2] bias, a uint8 one). */
function modelJson(paths: string[], extra: object[] = []): string {
  return JSON.stringify({
    format: 'layers-model',
    generatedBy: 'keras v2.13.1',
    convertedBy: 'TensorFlow.js Converter v4.10.0',
    modelTopology: { class_name: 'Sequential', config: { name: 'sequential', layers: [] } },
    weightsManifest: [
      {
        paths,
        weights: [
          { name: 'dense/kernel', shape: [4, 2], dtype: 'float32' },
          { name: 'dense/bias', shape: [2], dtype: 'float32' },
          {
            name: 'q',
            shape: [3],
            dtype: 'float32',
            quantization: { dtype: 'uint8', scale: 0.1, min: -1, original_dtype: 'float32' },
          },
          ...extra,
        ],
      },
    ],
  });
}
const TOTAL = 4 * 2 * 4 + 2 * 4 + 3; // 43 bytes

describe('TensorFlow.js weight shards', () => {
  it('one shard or two of the size the manifest accounts for are tfjs-weights and clean; the gate passes', async () => {
    const one = await scanPaths([
      place({ 'model.json': modelJson(['group1-shard1of1.bin']), 'group1-shard1of1.bin': new Uint8Array(TOTAL).fill(1) }),
    ]);
    expect(one.files.map((f) => `${f.format}:${f.verdict}`).sort()).toEqual(['json:clean', 'tfjs-weights:clean']);
    const two = await scanPaths([
      place({
        'web_model/model.json': modelJson(['group1-shard1of2.bin', 'group1-shard2of2.bin']),
        'web_model/group1-shard1of2.bin': new Uint8Array(32).fill(2),
        'web_model/group1-shard2of2.bin': new Uint8Array(TOTAL - 32).fill(3),
      }),
    ]);
    expect(two.files.map((f) => `${f.format}:${f.verdict}`).sort()).toEqual([
      'json:clean',
      'tfjs-weights:clean',
      'tfjs-weights:clean',
    ]);
  });

  it('a size off by one, a string weight, a path out of the directory or a repeated shard name no companion', async () => {
    const cases: Array<Record<string, string | Uint8Array>> = [
      { 'model.json': modelJson(['w.bin']), 'w.bin': new Uint8Array(TOTAL + 1) },
      { 'model.json': modelJson(['w.bin'], [{ name: 's', shape: [1], dtype: 'string' }]), 'w.bin': new Uint8Array(TOTAL) },
      { 'm/model.json': modelJson(['../w.bin']), 'w.bin': new Uint8Array(TOTAL) },
      { 'model.json': modelJson(['w.bin', 'w.bin']), 'w.bin': new Uint8Array(TOTAL / 2 + 0.5) },
    ];
    for (const files of cases) {
      const r = await scanPaths([place(files)]);
      const bin = r.files.find((f) => f.path.endsWith('w.bin'));
      expect([bin?.format, bin?.verdict], JSON.stringify(Object.keys(files))).toEqual(['unknown', 'incomplete']);
    }
  });

  it('a pickle named as a shard, of the size the manifest accounts for, is still read as a pickle', async () => {
    const extra = [{ name: 'dense_1/kernel', shape: [16], dtype: 'float32' }];
    const shard = Buffer.concat([PAYLOAD, Buffer.alloc(TOTAL + 64 - PAYLOAD.length)]);
    const r = await scanPaths([
      place({ 'model.json': modelJson(['group1-shard1of1.bin'], extra), 'group1-shard1of1.bin': shard }),
    ]);
    const bin = r.files.find((f) => f.path.endsWith('.bin'));
    expect(bin?.format).toBe('pickle');
    expect(bin?.findings[0]?.severity).toBe('critical');
  });
});
