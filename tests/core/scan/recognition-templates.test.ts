/**
 * Chat templates judged as templates (issue 11, "templates judged as templates"): on a parse of the template after
 * Jinja2's string decoding and constant folding, through the engine entry (scanFile on temp files).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileReport, scanFile } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { judgeTemplate } from '../../../packages/core/src/scan/handlers/jinja-ssti.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { ggufBytes } from '../../helpers/fixture-builders.js';

const dir = mkdtempSync(join(tmpdir(), 'modelsec-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function scan(name: string, content: string | Uint8Array): Promise<FileReport> {
  const sub = join(dir, String(n++));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(sub);
  const path = join(sub, name);
  writeFileSync(path, content);
  return scanFile(path);
}
const rules = (r: FileReport) => r.findings.filter((f) => !f.suppressed).map((f) => `${f.ruleId}:${f.severity}`);

const REAL: Array<{ source: string; model: string; template: string }> = JSON.parse(
  readFileSync(join(REPO_ROOT, 'fixtures/scan/templates/real-chat-templates.json'), 'utf8'),
);

/** One SSTI walk written many ways: each must be judged critical. */
const OBFUSCATED: Record<string, string> = {
  'plain dunder walk': "{{ ''.__class__.__mro__[1].__subclasses__() }}",
  'empty tuple operand': '{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}',
  'attr filter': "{{ ()|attr('__class__') }}",
  'hex escapes': "{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
  'unicode escapes': "{{ ()|attr('\\u005f\\u005fclass\\u005f\\u005f') }}",
  'long unicode escapes': "{{ ()|attr('\\U0000005f\\U0000005fclass__') }}",
  'octal escapes': "{{ ()|attr('\\137\\137class__') }}",
  'named escapes': "{{ ()|attr('\\N{LOW LINE}\\N{low line}class__') }}",
  'case folding': "{{ ()|attr('__CLASS__'|lower) }}",
  'tilde concatenation': "{{ ()|attr('__cla' ~ 'ss__') }}",
  'plus concatenation': "{{ ()|attr('__cla' + 'ss__') }}",
  'join filter': "{{ ()|attr(['__cla', 'ss__']|join) }}",
  'percent format with %c': "{{ ()|attr(('%c' * 2)|format(95, 95) ~ 'class__') }}",
  'reverse filter': "{{ ()|attr('__ssalc__'|reverse) }}",
  'replace filter': "{{ ()|attr('XXclassXX'|replace('X', '_')) }}",
  'set variable built from pieces': "{% set u = '_' * 2 %}{{ x|attr(u ~ 'class' ~ u) }}",
  'dict keyword name': '{{ x[dict(__class__=1)|first] }}',
  'namespace accumulated in a loop':
    "{% set ns = namespace(n='') %}{% for c in ['_','_','c','l','a','s','s','_','_'] %}{% set ns.n = ns.n ~ c %}{% endfor %}{{ x|attr(ns.n) }}",
  'cycler globals': "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
  'concatenated subscripts on a jinja global': "{{ cycler['__in' ~ 'it__']['__glo' ~ 'bals__'].os.popen('id').read() }}",
  'template reference context': '{{ self._TemplateReference__context.cycler }}',
  'lipsum globals subscript': "{{ lipsum['__globals__']['os'].popen('id') }}",
  'str.format field lookup': "{{ '{0.__class__.__base__}'.format(x) }}",
  'macro parameter bound at the call': "{% macro g(o, n) %}{{ o[n] }}{% endmacro %}{{ g(x, '__cla' ~ 'ss__') }}",
  'attr of caller data': '{{ x|attr(messages[0].content) }}',
  'map attr filter': "{{ x|map('attr', '__class__')|list }}",
  'selectattr attribute name': "{{ x|selectattr('__class__') }}",
  'special token used as a name': '{{ x[bos_token] }}',
  'slice of a constant': "{% set k = '__ssalc'[::-1] %}{{ x['__' ~ k] }}",
};

describe('templates judged as templates', () => {
  it(`${REAL.length} real chat templates (Llama 3, Mistral, Gemma, Qwen, Phi-3, ChatML...) are clean`, () => {
    expect(REAL.length).toBeGreaterThanOrEqual(100);
    const models = REAL.map((t) => t.model).join(' ');
    for (const family of ['Llama-3', 'Mistral', 'gemma', 'Qwen2.5', 'phi3', '_base']) expect(models).toContain(family);
    const dirty = REAL.map((t) => [t.model, judgeTemplate(t.template)] as const).filter(([, v]) => !v.ok || v.hits.length > 0);
    expect(dirty).toEqual([]);
  });

  it.each(Object.entries(OBFUSCATED))('jinja obfuscation: %s is critical in tokenizer_config.json', async (_name, template) => {
    const report = await scan('tokenizer_config.json', JSON.stringify({ chat_template: template, bos_token: '<s>' }));
    expect(rules(report)).toEqual(['MS-TPL-001:critical']);
    expect(report.verdict).toBe('findings');
  });

  it('the same walks in a GGUF tokenizer.chat_template are MS-GGUF-001 critical; a real template is clean', async () => {
    const bad = await scan('m.gguf', ggufBytes({ 'tokenizer.chat_template': OBFUSCATED['hex escapes'] as string }));
    expect(rules(bad)).toEqual(['MS-GGUF-001:critical']);
    const named = await scan('n.gguf', ggufBytes({ 'tokenizer.chat_template.tool_use': OBFUSCATED['join filter'] as string }));
    expect(rules(named)).toEqual(['MS-GGUF-001:critical']);
    const good = await scan('g.gguf', ggufBytes({ 'tokenizer.chat_template': (REAL[0] as { template: string }).template }));
    expect(good.verdict).toBe('clean');
  });

  it('chat_template lists (name/template) and chat_template.json / .jinja files are judged; benign twins are clean', async () => {
    const list = await scan(
      'tokenizer_config.json',
      JSON.stringify({
        chat_template: [
          { name: 'default', template: '{{ bos_token }}' },
          { name: 'x', template: OBFUSCATED['attr filter'] },
        ],
      }),
    );
    expect(rules(list)).toEqual(['MS-TPL-001:critical']);
    expect((await scan('chat_template.json', JSON.stringify({ chat_template: OBFUSCATED['case folding'] }))).verdict).toBe(
      'findings',
    );
    const jinja = await scan('chat_template.jinja', OBFUSCATED['tilde concatenation'] as string);
    expect([jinja.format, ...rules(jinja)]).toEqual(['jinja', 'MS-TPL-001:critical']);
    for (const t of REAL.slice(0, 10)) {
      expect((await scan('chat_template.jinja', t.template)).verdict, t.model).toBe('clean');
      expect((await scan('tokenizer_config.json', JSON.stringify({ chat_template: t.template }))).verdict, t.model).toBe('clean');
    }
  });

  it('a template the parser cannot read is incomplete (MS-TPL-002), never clean', async () => {
    for (const broken of ['{% for x in %}', "{{ 'unterminated }}", '{% include "x.j2" %}', "{{ '\\xZZ' }}"]) {
      const report = await scan('tokenizer_config.json', JSON.stringify({ chat_template: broken }));
      expect(rules(report), broken).toEqual(['MS-TPL-002:medium']);
      expect(report.verdict, broken).toBe('incomplete');
    }
  });

  it('tokenizer_config.json with Python-only JSON (NaN) is still parsed and its template judged', async () => {
    const text = `{"chat_template": ${JSON.stringify(OBFUSCATED['attr filter'])}, "model_max_length": NaN, "x": -Infinity}`;
    expect(rules(await scan('tokenizer_config.json', text))).toEqual(['MS-TPL-001:critical']);
  });

  it('Python, Markdown and YAML workflows holding {{ are never SSTI findings', async () => {
    const py = await scan(
      'tokenization_tiny.py',
      "class T:\n    def __init__(self):\n        # subprocess and __globals__ in a comment\n        self.t = '{{ message.__class__ }}'\n        '''docstring naming __globals__ and os.system'''\n",
    );
    expect(rules(py)).toEqual(['MS-CODE-001:low']);
    const md = await scan(
      'README.md',
      "---\nwidget:\n- text: '{{ ''.__class__.__mro__ }}'\n---\n# Model\n`{{ __globals__ }}` {% raw %}\n",
    );
    expect(md.findings).toEqual([]);
    const yaml = await scan(
      'ci.yml',
      [
        'on: push',
        'jobs:',
        '  t:',
        `    runs-on: $${'{{'} matrix.os }}`,
        `      - run: echo "$${'{{'} github.event.__class__ }}"`,
        '',
      ].join('\n'),
    );
    expect(yaml.findings).toEqual([]);
    const json = await scan(
      'config.json',
      JSON.stringify({ prompt_template: OBFUSCATED['attr filter'], note: '{{ x.__class__ }}' }),
    );
    expect(json.findings).toEqual([]);
  });
});
