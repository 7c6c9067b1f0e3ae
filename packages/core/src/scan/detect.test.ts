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
