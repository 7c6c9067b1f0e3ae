/**
 * Bypasses found by the 2026-12-03 probe of containers and non-pickle formats (issue 11), one fixture per class,
 * built here and scanned through the engine entry the CLI uses (scanBytes), the default gate asserted. Each hostile
 * file was proven to reach its victim (the template rendered by jinja2 3.1 ran `os.popen('id')`) while the default
 * gate passed it (exit 0); each benign twin stays clean.
 *
 * The SSTI payload: `{{ cycler.__init__.__globals__.os.popen('id').read() }}`, rendered by `jinja2.Environment()`
 * (unsandboxed, as the templates reach the internals any Jinja render exposes).
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { atLeast } from '../../../packages/core/src/scan/types.js';

const SSTI = "{{ cycler.__init__.__globals__.os.popen('id').read() }}";
const BENIGN_TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

type Expect = 'critical' | 'incomplete' | 'clean';

async function check(name: string, bytes: Uint8Array, expected: Expect): Promise<void> {
  const report = await scanBytes(bytes, {}, name);
  const lines = `${report.verdict}\n${report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n')}`;
  const gate = evaluateGate([report], DEFAULT_GATE);
  if (expected === 'clean') {
    expect(
      report.findings.filter((f) => atLeast(f.severity, 'high')),
      lines,
    ).toEqual([]);
    expect(report.verdict, lines).not.toBe('incomplete');
    expect(gate.pass, lines).toBe(true);
    return;
  }
  expect(gate.pass, lines).toBe(false);
  if (expected === 'critical')
    expect(
      report.findings.some((f) => f.severity === 'critical'),
      lines,
    ).toBe(true);
  else expect(report.verdict, lines).toBe('incomplete');
}

/** A JSON object of `pad` bytes of padding then `key: value`, as one line (what json.dump writes). */
function bigJson(key: string, value: string, pad: number): Uint8Array {
  return text(`{"model_max_length": 512, "pad": "${'x'.repeat(pad)}", "${key}": ${JSON.stringify(value)}}`);
}

/** `chat_template` with every character written as a JSON \u escape: json.load and JSON.parse read the plain key. */
const ESCAPED_KEY = [...'chat_template'].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

describe('probe 2026-12-03: containers and non-pickle formats, through the engine', () => {
  // Class "streamed-json-escaped-key": a tokenizer_config.json above MAX_JSON_PARSE_BYTES (64 MiB) is checked by the
  // streaming reader, clean when it holds none of the judged keys. The reader recorded keys by their RAW text capped
  // at 64 characters, so `"\u0063\u0068...\u0065"` (78 raw characters for `chat_template`) was never recorded and the
  // file passed as data. Proof: json.load(open(path)) gives d['chat_template'] == SSTI, which transformers renders;
  // jinja2 rendered it and ran `id`. Fix: keys are bounded by their decoded length (raw cap 6x).
  it('incomplete: streamed-json-escaped-key (65 MiB tokenizer_config.json)', async () => {
    await check('tokenizer_config.json', bigJson(ESCAPED_KEY, SSTI, 65 * 1024 * 1024), 'incomplete');
  });
  it('benign: a 65 MiB JSON without judged keys stays clean', async () => {
    await check('tokenizer.json', bigJson('\\u006dodel_type', 'bert', 65 * 1024 * 1024), 'clean');
  });

  // Class "yaml-chat-template-key-forms": YAML text was parsed for a top-level chat_template only when a line opened
  // with `chat_template:`, with the YAML 1.2 core schema (no merge keys). PyYAML's yaml.safe_load (proven, PyYAML
  // 6 on Python 3.11) gives d['chat_template'] == SSTI for every form below; each passed clean.
  const yamlForms: ReadonlyArray<[string, string]> = [
    ['merge-key', 'base: &b\n  chat_template: "%s"\n<<: *b\n'],
    ['space-before-colon', 'chat_template : "%s"\n'],
    ['flow-mapping', '{chat_template: "%s"}\n'],
    ['explicit-key', '? chat_template\n: "%s"\n'],
    ['quoted-key', '\'chat_template\': "%s"\n'],
    ['named-list', 'chat_template:\n  - name: default\n    template: "%s"\n'],
  ];
  for (const [form, yaml] of yamlForms) {
    it(`critical: yaml-chat-template-key-forms (${form})`, async () => {
      await check(`${form}.yaml`, text(yaml.replace('%s', SSTI.replace(/"/g, '\\"'))), 'critical');
    });
  }
  // Class "yaml-escaped-key": PyYAML decodes double-quoted escapes in keys, so `"chat\x5ftemplate"` is the key; the
  // literal-name pre-check passed such a file clean (proven: yaml.safe_load returns {'chat_template': ...}).
  for (const [form, key] of [
    ['x-escape', '"chat\\x5ftemplate"'],
    ['u-escape', '"\\u0063hat_template"'],
    ['U-escape', '"chat_templat\\U00000065"'],
  ] as const) {
    it(`critical: yaml-escaped-key (${form})`, async () => {
      await check(`${form}.yaml`, text(`${key}: "${SSTI.replace(/"/g, '\\"')}"\n`), 'critical');
    });
  }
  // Class "yaml-parse-cost": the yaml library costs ~8 µs per byte on `a: a: a: ...`; above MAX_YAML_TEMPLATE_BYTES
  // (512 KiB) a YAML naming chat_template is not parsed (incomplete, at once) instead of taking minutes.
  it('incomplete: yaml-parse-cost (600 KB of nested implicit keys naming chat_template)', async () => {
    await check('costly.yaml', text(`chat_template: x\n${'a: '.repeat(200_000)}`), 'incomplete');
  });
  // Class "yaml-size-limit-silence": YAML above MAX_YAML_TEMPLATE_BYTES was clean without a look (issue 11 point 6).
  it('incomplete: yaml-size-limit-silence (17 MiB YAML holding a chat_template)', async () => {
    const yaml = `pad: "${'x'.repeat(17 * 1024 * 1024)}"\nchat_template: "${SSTI}"\n`;
    await check('serve.yaml', text(yaml), 'incomplete');
  });
  it('benign: YAML with a merged ordinary chat template, escapes and prose mentions stay clean', async () => {
    await check('merged.yaml', text(`base: &b\n  chat_template: "${BENIGN_TEMPLATE.replace(/\n/g, '\\n')}"\n<<: *b\n`), 'clean');
    await check('escapes.yaml', text('name: "caf\\xe9"\npath: "C:\\\\models"\n'), 'clean');
    await check(
      'README.md',
      text('# Usage\n```bash\npip install \\\n  foo\n```\nSet a chat_template: see below.\n- [x\n'),
      'clean',
    );
    await check('big-notes.txt', text(`${'plain words\n'.repeat(1_500_000)}`), 'clean');
  });
});

/** One 512-byte tar header (ustar magic, octal fields, checksum filled in). */
function tarHeader(name: string, size: number, type: string): Uint8Array {
  const h = new Uint8Array(512);
  const put = (at: number, s: string) => h.set(Buffer.from(s, 'latin1'), at);
  put(0, name);
  put(100, '0000644\0');
  put(108, '0000000\0');
  put(116, '0000000\0');
  put(124, `${size.toString(8).padStart(11, '0')}\0`);
  put(136, '00000000000\0');
  put(148, '        ');
  put(156, type);
  put(257, 'ustar\0');
  put(263, '00');
  put(
    148,
    `${h
      .reduce((a, b) => a + b, 0)
      .toString(8)
      .padStart(6, '0')}\0 `,
  );
  return h;
}
const padded = (b: Uint8Array) => Uint8Array.from(Buffer.concat([b, new Uint8Array((512 - (b.length % 512)) % 512)]));

describe('probe 2026-12-03: linear time on tar names', () => {
  // Class "tar-name-trailing-slash-regex": pax `path` (and directory names) were trimmed with /\/+$/, quadratic on a
  // run of slashes that does not end the name: a 200 KB archive (tarfile lists it at once) hung the scan for minutes.
  it('a pax path of 200,000 slashes is listed in well under a second', async () => {
    const path = `a${'/'.repeat(200_000)}b`;
    const body = `path=${path}\n`;
    let len = body.length + 2;
    while (`${len} ${body}`.length !== len) len = `${len} ${body}`.length;
    const record = text(`${len} ${body}`);
    const data = text('hello');
    const tar = Uint8Array.from(
      Buffer.concat([
        tarHeader('PaxHeader', record.length, 'x'),
        padded(record),
        tarHeader('x', data.length, '0'),
        padded(data),
        new Uint8Array(1024),
      ]),
    );
    const started = Date.now();
    await check('slashes.tar', tar, 'clean');
    expect(Date.now() - started).toBeLessThan(3000);
  });
  // Class "tar-sparse-map-rescan": a pax sparse 1.0 map line was searched for its newline from its start after every
  // 512-byte block (quadratic): 2.5 MB of digits without a newline took 44 s. Now linear, and a line longer than
  // CPython's int() reads is refused (the archive ends there, as tarfile's does).
  it('a 2.5 MB sparse 1.0 map number is refused in well under a second', async () => {
    const rec = (k: string, v: string) => {
      const body = `${k}=${v}\n`;
      let len = body.length + 2;
      while (`${len} ${body}`.length !== len) len = `${len} ${body}`.length;
      return `${len} ${body}`;
    };
    const record = text(rec('GNU.sparse.major', '1') + rec('GNU.sparse.minor', '0') + rec('GNU.sparse.realsize', '10'));
    const data = text('1'.repeat(5000 * 512));
    const tar = Uint8Array.from(
      Buffer.concat([
        tarHeader('PaxHeader', record.length, 'x'),
        padded(record),
        tarHeader('x', data.length, '0'),
        padded(data),
        new Uint8Array(1024),
      ]),
    );
    const started = Date.now();
    const report = await scanBytes(tar, {}, 'sparse.tar');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.findings.some((f) => f.ruleId === 'MS-ARC-002')).toBe(true);
  });
});
