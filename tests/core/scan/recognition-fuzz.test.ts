/**
 * The structural readers of scan-recognition on hostile bytes: every data format's header followed by random and
 * mutated bytes, scanned through the engine. No reader crashes (errors are FORMAT_INVALID/LIMIT_EXCEEDED); nothing that fails its structure
 * is clean unless it is another format's valid reading; every finding names a known rule.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RULES, scanFile } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'modelsec-recognition-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const known = new Set(RULES.map((r) => r.id));

let seed = 0x9e3779b9;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
}
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

/** Heads that select each structural reader (detect.ts), to be followed by hostile bytes. */
const HEADS: Record<string, number[]> = {
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52],
  jpeg: [0xff, 0xd8, 0xff, 0xe0],
  gif: [...Buffer.from('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0],
  webp: [...Buffer.from('RIFF'), 64, 0, 0, 0, ...Buffer.from('WEBP')],
  bmp: [...Buffer.from('BM'), 0, 1, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0],
  tiff: [0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0],
  ico: [0, 0, 1, 0, 2, 0, 16, 16, 0, 0],
  parquet: [...Buffer.from('PAR1')],
  tflite: [16, 0, 0, 0, ...Buffer.from('TFL3')],
  dsstore: [0, 0, 0, 1, ...Buffer.from('Bud1')],
  coremlWeights: [2, 0, 0, 0, 2, 0, 0, 0, ...new Array(56).fill(0), 0xef, 0xbe, 0xad, 0xde],
  msgpack: [0x82, 0xa6, ...Buffer.from('params')],
  ubjson: [0x7b, 0x69, 3, ...Buffer.from('key')],
  ctranslate2: [6, 0, 0, 0, 12, 0, ...Buffer.from('WhisperSpec'), 0],
  word2vec: [...Buffer.from('3 4\n')],
  xgboost: [...Buffer.from('binf'), ...new Array(136).fill(0), 15, 0, 0, 0, 0, 0, 0, 0],
  paddle: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0x08, 0x05, 0x10, 0x02],
  onnx: [0x08, 0x08, 0x3a, 0x10],
  savedModel: [0x08, 0x01, 0x12, 0x20, 0x12, 0x1e],
  sentencepiece: [0x0a, 0x0b, 0x0a, 0x05, ...Buffer.from('<unk>'), 0x15],
  tfrecord: [5, 0, 0, 0, 0, 0, 0, 0],
  gguf: [...Buffer.from('GGUF'), 3, 0, 0, 0],
};

describe('structural readers on hostile bytes (through the engine)', () => {
  it.each(Object.keys(HEADS))('%s head + 40 random tails and truncations: no throw, known rules, a verdict', async (name) => {
    const head = Uint8Array.from(HEADS[name] as number[]);
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 40; i++) {
      const tail = bytes(Math.floor(rand() * 600));
      const file = Buffer.concat([head, tail]).subarray(0, i % 5 === 0 ? Math.floor(rand() * (head.length + 8)) : undefined);
      const path = join(dir, `${i}.bin`);
      writeFileSync(path, file);
      const report = await scanFile(path);
      for (const f of report.findings) expect(known.has(f.ruleId), `${name}#${i}: ${f.ruleId}`).toBe(true);
      // A reader that crashed (a TypeError, a RangeError) instead of refusing the bytes as FORMAT_INVALID/LIMIT.
      for (const e of report.errors) expect(e.code, `${name}#${i}: ${e.message}`).not.toBe('INTERNAL');
      expect(['clean', 'findings', 'incomplete']).toContain(report.verdict);
      if (report.verdict === 'clean') expect(report.format, `${name}#${i} clean as ${report.format}`).not.toBe('unknown');
    }
  });
});
