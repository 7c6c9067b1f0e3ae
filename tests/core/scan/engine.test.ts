import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSstiPatterns, memorySource, safetensors, scanPaths } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ggufBytes, safetensorsBytes } from '../../helpers/fixture-builders.js';

const dir = mkdtempSync(join(tmpdir(), 'modelsec-scan-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SSTI =
  "{% for c in ().__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').popen('id').read() }}{% endif %}{% endfor %}";
const BENIGN_TEMPLATE = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}";

function write(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

describe('safetensors parser and validator', () => {
  it('accepts a consistent header', async () => {
    const bytes = safetensorsBytes({ __metadata__: { format: 'pt' }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8);
    const header = await safetensors.readSafetensorsHeader(memorySource(bytes));
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(safetensors.validateSafetensors(header)).toEqual([]);
  });
  it('reports lying sizes, overlaps, gaps and offsets past EOF', async () => {
    const bytes = safetensorsBytes(
      {
        a: { dtype: 'F32', shape: [4], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        c: { dtype: 'U8', shape: [2], data_offsets: [10, 12] },
        d: { dtype: 'U8', shape: [100], data_offsets: [12, 112] },
      },
      12,
    );
    const kinds = safetensors
      .validateSafetensors(await safetensors.readSafetensorsHeader(memorySource(bytes)))
      .map((p) => p.kind);
    expect(kinds).toEqual(expect.arrayContaining(['size-mismatch', 'overlap', 'gap', 'offsets-past-eof']));
  });
  it('refuses a huge header length with LIMIT_EXCEEDED', async () => {
    const bytes = safetensorsBytes({}, 0, 1n << 40n);
    await expect(safetensors.readSafetensorsHeader(memorySource(bytes))).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });
});

describe('SSTI patterns', () => {
  it('flags the CVE-2024-34359 style payload and concatenation, not a benign template', () => {
    expect(findSstiPatterns(SSTI).map((h) => h.token)).toEqual(
      expect.arrayContaining(['__class__', '__subclasses__', '__builtins__']),
    );
    expect(findSstiPatterns("{{ ()|attr('__cla' ~ 'ss__') }}").length).toBeGreaterThan(0);
    expect(findSstiPatterns(BENIGN_TEMPLATE)).toEqual([]);
  });
});

describe('scanPaths', () => {
  it('gives the right verdict per file in a mixed directory and fails closed on unknown data', async () => {
    const root = join(dir, 'mixed');
    write('mixed/model.safetensors', safetensorsBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8));
    write('mixed/lying.safetensors', safetensorsBytes({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } }, 8));
    write('mixed/benign.gguf', ggufBytes({ 'general.name': 'tiny', 'tokenizer.chat_template': BENIGN_TEMPLATE }));
    write('mixed/ssti.gguf', ggufBytes({ 'tokenizer.chat_template': SSTI }));
    write('mixed/README.md', '# hello\n');
    write('mixed/sub/blob.bin', Uint8Array.from([0, 1, 2, 3, 0xff, 0xfe, 0, 9]));
    write('mixed/evil.txt', Uint8Array.from(Buffer.from('80026e6f73790a73797374656d0a', 'hex')));
    const report = await scanPaths([root]);
    const verdict = Object.fromEntries(
      report.files.map((f) => [f.path.slice(root.length + 1), `${f.format}:${f.findings[0]?.severity ?? 'clean'}`]),
    );
    expect(verdict).toMatchObject({
      'model.safetensors': 'safetensors:clean',
      'lying.safetensors': 'safetensors:medium',
      'benign.gguf': 'gguf:clean',
      'ssti.gguf': 'gguf:critical',
      'README.md': 'text:clean',
      'sub/blob.bin': 'unknown:medium',
    });
    expect(report.files.map((f) => f.path)).toEqual([...report.files.map((f) => f.path)].sort());
    expect(report.summary.files).toBe(7);
    expect(report.summary.maxSeverity).toBe('critical');
  });

  it('marks suppressed findings and keeps them listed', async () => {
    const path = write('supp/lying.safetensors', safetensorsBytes({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } }, 8));
    const report = await scanPaths([path], {
      config: {
        allowedGlobals: [],
        suppressions: [{ ruleId: 'MS-ST-001', path: '**/lying.safetensors', reason: 'known export bug' }],
      },
    });
    expect(report.files[0]?.findings[0]?.suppressed).toEqual({ reason: 'known export bug' });
    expect(report.summary.maxSeverity).toBeNull();
  });

  it('reports symlinks that leave the scanned root (never follows them) and lists links inside it', async () => {
    const outside = write('outside/secret.bin', Uint8Array.from([0, 1, 2, 0xff]));
    const root = join(dir, 'linkroot');
    write('linkroot/inside.json', '{}');
    symlinkSync(outside, join(root, 'escape.bin'));
    symlinkSync(join(root, 'inside.json'), join(root, 'alias.json'));
    const report = await scanPaths([root]);
    const byName = Object.fromEntries(report.files.map((f) => [f.path.slice(root.length + 1), f]));
    expect(Object.keys(byName)).toEqual(['alias.json', 'escape.bin', 'inside.json']);
    expect(byName['escape.bin']?.findings.map((f) => `${f.ruleId}:${f.severity}`)).toEqual(['MS-ENG-007:high']);
    expect(byName['escape.bin']?.symlink).toEqual({ target: outside, leavesRoot: true });
    expect(byName['alias.json']?.symlink).toEqual({ target: `${root}/inside.json` });
    expect(byName['alias.json']?.sha256).toBe(byName['inside.json']?.sha256);
  });
});

describe('whole-file read (hashed in steps while the next step is read)', () => {
  it('reports the sha256 of every byte and scans the same bytes, for a file of several steps and a partial last one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelsec-whole-read-'));
    try {
      // 5 MB + 3 bytes of noise (steps of 2 MB and a partial last one).
      const size = 5 * 1024 * 1024 + 3;
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
      writeFileSync(join(dir, 'noise.bin'), bytes);
      // A pickle read whole too: PROTO 2, then NONE, POP pairs, then NONE, STOP.
      const pickle = Buffer.alloc(5 * 1024 * 1024 + 4);
      pickle[0] = 0x80;
      pickle[1] = 2;
      for (let i = 2; i < pickle.length - 2; i += 2) {
        pickle[i] = 0x4e;
        pickle[i + 1] = 0x30;
      }
      pickle[pickle.length - 2] = 0x4e;
      pickle[pickle.length - 1] = 0x2e;
      writeFileSync(join(dir, 'nones.pkl'), pickle);
      const report = await scanPaths([dir]);
      const { createHash } = await import('node:crypto');
      const byName = Object.fromEntries(report.files.map((f) => [f.path.split(/[\\/]/).pop(), f]));
      expect(byName['noise.bin']?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(byName['noise.bin']?.size).toBe(size);
      expect(byName['nones.pkl']?.sha256).toBe(createHash('sha256').update(pickle).digest('hex'));
      expect(byName['nones.pkl']?.format).toBe('pickle');
      expect(byName['nones.pkl']?.verdict).toBe('clean');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
