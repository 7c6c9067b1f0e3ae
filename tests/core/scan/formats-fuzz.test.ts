import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf, ModelsecError, memorySource, safetensors, scanPaths } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { xorshift32 } from '../../helpers/fixture-builders.js';

const SEEDS = ['benign', 'malicious'].flatMap((d) =>
  readdirSync(join(REPO_ROOT, 'fixtures/scan/formats', d))
    .sort()
    .map((f) => join(REPO_ROOT, 'fixtures/scan/formats', d, f))
    .filter((p) => statSync(p).isFile())
    .map((p) => readFileSync(p)),
);
const tmp = mkdtempSync(join(tmpdir(), 'modelsec-scan-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function mutate(bytes: Uint8Array, next: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const mode = next() % 3;
  if (mode === 0) for (let i = 0; i < 1 + (next() % 8); i++) out[next() % out.length] = next() & 0xff;
  if (mode === 1) return out.subarray(0, next() % out.length);
  if (mode === 2 && out.length > 16)
    out.set(
      Uint8Array.from({ length: 8 }, () => next() & 0xff),
      next() % (out.length - 8),
    );
  return out;
}

describe('format parsers under random and mutated input (bounded)', () => {
  it('safetensors and GGUF readers return or throw a ModelsecError, never anything else', async () => {
    const next = xorshift32(42);
    for (let i = 0; i < 600; i++) {
      const seed = SEEDS[next() % SEEDS.length] as Uint8Array;
      const input = i % 5 === 0 ? Uint8Array.from({ length: next() % 300 }, () => next() & 0xff) : mutate(seed, next);
      for (const read of [safetensors.readSafetensorsHeader, gguf.readGgufHeader]) {
        try {
          const header = await read(memorySource(input));
          if ('tensors' in header && 'dataStart' in header) safetensors.validateSafetensors(header);
        } catch (error) {
          expect(error).toBeInstanceOf(ModelsecError);
        }
      }
    }
  });

  it('the engine never crashes and never reports an unparseable file as clean', async () => {
    const next = xorshift32(7);
    for (let i = 0; i < 150; i++) {
      const seed = SEEDS[next() % SEEDS.length] as Uint8Array;
      writeFileSync(join(tmp, `m${i}.bin`), mutate(seed, next));
    }
    const report = await scanPaths([tmp]);
    expect(report.files).toHaveLength(150);
    for (const file of report.files) {
      // Parse errors never leave a file clean: it has findings, and a parse error of a recognised format is
      // incomplete unless a finding explains it.
      if (file.errors.length > 0) {
        expect(file.findings.length, file.path).toBeGreaterThan(0);
        expect(file.verdict, file.path).not.toBe('clean');
      }
    }
  });
});
