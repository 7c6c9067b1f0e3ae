/**
 * Limits never end in silence and nothing costs more than linear time (issue 11): JSON over the size or depth
 * limit is incomplete, never "no finding"; 1 MB adversarial inputs for every reader of untrusted text (detection,
 * the JSON checker, the template judge, the Python parser, the shell lexer, XML, safetensors metadata) finish
 * in a time only a linear reader allows (the TOML-looking text that took minutes for 80 KB is one of them).
 * Timings are bounds generous enough for a loaded CI machine, far below what a quadratic reader needs at 1 MB.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileReport, scanFile } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_JSON_PARSE_BYTES } from '../../../packages/core/src/scan/handlers/templates.js';

const root = mkdtempSync(join(tmpdir(), 'modelsec-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
async function scan(name: string, content: string | Uint8Array): Promise<{ report: FileReport; ms: number }> {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  writeFileSync(join(dir, name), content);
  const start = performance.now();
  const report = await scanFile(join(dir, name));
  return { report, ms: performance.now() - start };
}

const MB = 1024 * 1024;
/**
 * A linear reader handles 1 MB in seconds even on a loaded 2-core machine (the Python parser is the slowest, a few
 * microseconds per character); a quadratic one needs minutes (the TOML regex took minutes for 80 KB).
 */
const LINEAR_MS = 30_000;

const ADVERSARIAL: Record<string, [string, string]> = {
  'TOML table then spaces without =': ['pyproject.toml', `[project]\n${' '.repeat(MB)}`],
  'TOML key then spaces without =': ['config.toml', `[a]\nkey${' '.repeat(MB)}\n`],
  'dotted key runs': ['x.toml', `[a]\n${'a.'.repeat(MB / 2)}\n`],
  'JSON opening brackets': ['data.json', '['.repeat(MB)],
  'JSON strings of escapes': ['data.json', `{"a": "${'\\u00'.repeat(MB / 4)}`],
  'Jinja template of concatenations': ['chat_template.jinja', `{{ ${"'_' ~ ".repeat(MB / 8)}'x' }}`],
  'Jinja template of parentheses': ['chat_template.jinja', `{{ ${'('.repeat(MB / 2)} }}`],
  'Jinja template of unterminated strings': ['chat_template.jinja', `{{ ${"'\\".repeat(MB / 2)} }}`],
  'Python of open parentheses': ['modeling_x.py', '('.repeat(MB)],
  'Python of nested calls': ['modeling_x.py', `${'f('.repeat(MB / 4)}`],
  'Python of string prefixes and quotes': ['modeling_x.py', `${"rb'''".repeat(MB / 6)}`],
  'Python of unmatched closers': ['modeling_x.py', ')'.repeat(MB)],
  'Python of colons (costly error recovery)': ['modeling_x.py', ':'.repeat(MB)],
  'Python of valid statements': ['modeling_x.py', 'x = y.z(1, "s")\n'.repeat(MB / 16)],
  'shell of command substitutions': ['run.sh', `echo ${'$('.repeat(MB / 2)}`],
  'shell of quotes': ['run.sh', `echo ${'"\\'.repeat(MB / 2)}`],
  'XML nesting': ['model.xml', `<net>${'<a>'.repeat(MB / 3)}`],
  'XML of many elements': ['model.xml', `<net>${'<a b="1"/>'.repeat(MB / 10)}</net>`],
  'class labels': ['labels.txt', 'cat\ndog\n'.repeat(MB / 8)],
  'pickle-looking text': ['requirements.txt', 'torch==2.3.1\n'.repeat(MB / 13)],
};

describe('no reader of untrusted text is super-linear', () => {
  it.each(Object.entries(ADVERSARIAL))('%s (1 MB) finishes fast', async (_label, [name, text]) => {
    expect(text.length).toBeGreaterThanOrEqual(MB / 2);
    const { report, ms } = await scan(name, text);
    expect(ms, `${name}: ${Math.round(ms)} ms`).toBeLessThan(LINEAR_MS);
    expect(['clean', 'findings', 'incomplete']).toContain(report.verdict);
  });

  it('safetensors metadata of 1 MB of code-looking text finishes fast', async () => {
    const value = `curl ${'a'.repeat(MB)} import ${' '.repeat(MB)}`;
    const header = Buffer.from(
      JSON.stringify({ __metadata__: { note: value }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }),
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const { ms } = await scan('model.safetensors', Buffer.concat([len, header, Buffer.alloc(4)]));
    expect(ms).toBeLessThan(LINEAR_MS);
  });
});

describe('limits end in incomplete, never in silence', () => {
  it('JSON nested deeper than the depth limit is incomplete', async () => {
    const deep = `{"chat_template": "x", "a": ${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const { report } = await scan('tokenizer_config.json', deep);
    expect(report.verdict).toBe('incomplete');
    const deeper = `${'['.repeat(MB)}${']'.repeat(MB)}`;
    expect((await scan('data.json', deeper)).report.verdict).toBe('incomplete');
  });

  it('JSON above MAX_JSON_PARSE_BYTES: incomplete when it holds a chat_template, clean when it holds only data', async () => {
    const filler = `"${'a'.repeat(MAX_JSON_PARSE_BYTES)}"`;
    const withTemplate = await scan('tokenizer_config.json', `{"pad": ${filler}, "chat_template": "{{ x.__class__ }}"}`);
    expect(withTemplate.report.verdict).toBe('incomplete');
    expect(withTemplate.report.findings.map((f) => f.evidence.limit)).toContain('MAX_JSON_PARSE_BYTES');
    const data = await scan('tokenizer.json', `{"vocab": ${filler}}`);
    expect([data.report.format, data.report.verdict]).toEqual(['json', 'clean']);
  });

  it('a template above MAX_TEMPLATE_CHARS is incomplete', async () => {
    const { report } = await scan('chat_template.jinja', `{{ bos_token }}${'x'.repeat(2 * MB)}`);
    expect(report.verdict).toBe('incomplete');
  });

  it('a text file whose tail is binary is not text: incomplete', async () => {
    const { report } = await scan('notes.txt', Buffer.concat([Buffer.from('a'.repeat(200 * 1024)), Buffer.from([0, 1, 2, 3])]));
    expect(report.verdict).toBe('incomplete');
  });
});
