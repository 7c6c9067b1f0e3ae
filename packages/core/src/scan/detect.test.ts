import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memorySource } from '../formats/byte-source.js';
import { DETECT_HEAD_BYTES, detectFormat } from './detect.js';
import { scanFile } from './engine.js';

const detect = (text: string) => detectFormat(memorySource(new TextEncoder().encode(text)));

const PYPROJECT = `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
version = "0.1.0"
dependencies = ["torch>=2.1", "numpy"]

[[tool.mypy.overrides]]
module = "demo.*"
strict = true
`;

/** `text` repeated past DETECT_HEAD_BYTES, so only its head is read for detection. */
const long = (head: string, line: string) => head + line.repeat(Math.ceil((DETECT_HEAD_BYTES * 2) / line.length));

describe('detectFormat: JSON versus text that opens with { or [', () => {
  it('TOML (pyproject.toml) is text, not JSON', async () => {
    expect(await detect(PYPROJECT)).toBe('text');
    expect(await detect('[[tool.mypy.overrides]]\nmodule = "x"\n')).toBe('text');
    expect(await detect('["quoted table"] # comment\nkey = 1\n')).toBe('text');
  });

  it('TOML longer than the detection head is text', async () => {
    expect(await detect(long(PYPROJECT, 'extra_key_0123456789 = "some value"\n'))).toBe('text');
    expect(await detect(long('[tool.poetry]\n', 'name = "demo"\n'))).toBe('text');
    expect(await detect(long('["1.2"]\n', 'k = 1\n'))).toBe('text');
  });

  it('INI sections and Jinja opening with { are text', async () => {
    expect(await detect('[metadata]\nname = demo\n')).toBe('text');
    expect(await detect('{% for m in messages %}{{ m.content }}{% endfor %}')).toBe('text');
    expect(await detect('{{ bos_token }}')).toBe('text');
  });

  it('JSON stays JSON, whole or longer than the head', async () => {
    expect(await detect('{"model_type": "llama"}')).toBe('json');
    expect(await detect('  [1, 2, 3]\n')).toBe('json');
    expect(await detect('[]')).toBe('json');
    expect(await detect('[[true, false], null]')).toBe('json');
    expect(await detect(long('{\n  "vocab": {\n', '    "token": 1,\n'))).toBe('json');
    expect(await detect(long('[\n', '  {"a": 1},\n'))).toBe('json');
    expect(await detect(long('[[', '1, '))).toBe('json');
    expect(await detect(long('[true, ', 'false, '))).toBe('json');
  });
});

describe('scan report format for a pyproject.toml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelsec-detect-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports text and scans it as text (no findings)', async () => {
    const path = join(dir, 'pyproject.toml');
    writeFileSync(path, PYPROJECT);
    const report = await scanFile(path);
    expect(report.format).toBe('text');
    expect(report.findings).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it('a TOML file is not a chat template: text holding {{ is never judged as Jinja', async () => {
    const path = join(dir, 'template.toml');
    writeFileSync(path, `[chat]\ntemplate = "{{ ''.__class__.__mro__[1].__subclasses__() }}"\n`);
    const report = await scanFile(path);
    expect(report.format).toBe('text');
    expect(report.findings).toEqual([]);
  });

  it('the same payload in a .jinja template is critical', async () => {
    const path = join(dir, 'chat_template.jinja');
    writeFileSync(path, "{{ ''.__class__.__mro__[1].__subclasses__() }}");
    const report = await scanFile(path);
    expect(report.format).toBe('jinja');
    expect(report.findings.map((f) => [f.ruleId, f.severity])).toEqual([['MS-TPL-001', 'critical']]);
  });
});

describe('detectFormat: legacy-encoded text, user-block HDF5 and compiled code (probe 2026-12-04)', () => {
  const bytes = (...parts: Array<string | number[]>) =>
    memorySource(
      Uint8Array.from(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))))),
    );

  it('Latin-1 and UTF-16 (BOM) text is text; bytes with NUL or other controls are not', async () => {
    expect(await detectFormat(bytes('nom;ville\nRen\xe9;Z\xfcrich\n'))).toBe('text');
    expect(await detectFormat(bytes([0xff, 0xfe], 'h\0i\0\r\0\n\0'))).toBe('text');
    expect(await detectFormat(bytes('Ren\xe9', [0, 1, 2, 3]))).toBe('unknown');
    expect(await detectFormat(bytes([0xff, 0xfe], 'h\0\x01\0'))).toBe('unknown');
  });

  it('a compressed stream stays a compressed stream whatever its bytes (legacy text is asked last)', async () => {
    // bzip2 "BZh9" + block magic: all printable or high bytes, but a bz2 stream to every loader.
    expect(await detectFormat(bytes('BZh91AY&SY\xe9\xe9\xe9\xe9'))).toBe('joblib');
  });

  it('HDF5 is found behind a 512-byte user block (MATLAB v7.3), not past the file end', async () => {
    const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    const block = 'MATLAB 7.3 MAT-file'.padEnd(512, '\0');
    expect(await detectFormat(bytes(block, signature, '\0'.repeat(64)))).toBe('hdf5');
    expect(await detectFormat(bytes([0x07, 0x00], '\0'.repeat(300)))).toBe('unknown');
  });

  it('ELF, Mach-O, PE, .pyc and wasm headers are compiled code; Java class files (CAFEBABE, version >= 45) are not Mach-O', async () => {
    expect(await detectFormat(bytes('\x7fELF', [2, 1, 1], '\0'.repeat(60)))).toBe('elf');
    expect(await detectFormat(bytes([0xcf, 0xfa, 0xed, 0xfe], '\0'.repeat(40)))).toBe('macho');
    expect(await detectFormat(bytes([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52], '\0'.repeat(40)))).not.toBe('macho');
    expect(await detectFormat(bytes('\0asm', [1, 0, 0, 0]))).toBe('wasm');
    expect(await detectFormat(bytes([0xa7, 0x0d, 0x0d, 0x0a], '\0'.repeat(12), [0xe3], '\0'.repeat(20)))).toBe('pyc');
  });
});
