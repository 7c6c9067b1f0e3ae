import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ajv as AjvClass, Options } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as new (options: Options) => AjvClass;
const MIXED = 'fixtures/scan/mixed';
const tmp = mkdtempSync(join(tmpdir(), 'modelsec-scan-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Expected verdict per file of fixtures/scan/mixed: detected format and highest severity (or clean). */
const EXPECTED: Record<string, string> = {
  'README.md': 'text:clean',
  'archive.zip': 'zip:critical',
  'blob.dat': 'unknown:medium',
  'chat.gguf': 'gguf:clean',
  'config.json': 'json:clean',
  'lying.safetensors': 'safetensors:medium',
  'model.keras': 'keras:clean',
  'model.onnx': 'onnx:clean',
  'model.safetensors': 'safetensors:clean',
  'ssti.gguf': 'gguf:critical',
  'traversal.onnx': 'onnx:high',
  'weights.bin': 'pickle:critical',
};

interface JsonReport {
  files: Array<{ path: string; format: string; findings: Array<{ severity: string; ruleId: string; suppressed?: unknown }> }>;
  summary: { maxSeverity: string | null };
}

function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/vendor/sarif-2.1.0/sarif-schema-2.1.0.json'), 'utf8'));
  // Draft-04 schema: ajv 8 reads it once `id` is `$id` and the draft-04 meta reference is dropped.
  schema.$id = schema.id;
  delete schema.id;
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

describe('modelsec scan (built CLI)', () => {
  it('JSON: right verdict per file, validates against schemas/scan-report.schema.json, exit 1', async () => {
    const run = await runCli(['scan', MIXED, '--format', 'json']);
    expect(run.code).toBe(1);
    const report = run.json<JsonReport>();
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/scan-report.schema.json'), 'utf8'));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    const verdicts = Object.fromEntries(
      report.files.map((f) => [f.path.slice(MIXED.length + 1), `${f.format}:${f.findings[0]?.severity ?? 'clean'}`]),
    );
    expect(verdicts).toEqual(EXPECTED);
  });

  it('text: one block per file and a summary line', async () => {
    const run = await runCli(['scan', MIXED]);
    expect(run.code).toBe(1);
    for (const name of Object.keys(EXPECTED)) expect(run.stdout).toContain(`${MIXED}/${name}  [`);
    expect(run.stdout).toMatch(/12 file\(s\) scanned: 3 critical, 1 high, 2 medium/);
    expect(run.stdout).toContain('MS-GGUF-001');
  });

  it('SARIF validates against the SARIF 2.1.0 schema', async () => {
    const out = join(tmp, 'scan.sarif');
    const run = await runCli(['scan', MIXED, '--format', 'sarif', '--output', out]);
    expect(run.code).toBe(1);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false); // the validator can fail (no tool)
    expect(sarif.runs[0].results.length).toBe(6);
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toContain('MS-GGUF-001');
  });

  it('exit codes: 0 on clean files, --fail-on medium fails on integrity, 2 on a missing path', async () => {
    expect((await runCli(['scan', `${MIXED}/model.safetensors`, `${MIXED}/chat.gguf`])).code).toBe(0);
    expect((await runCli(['scan', `${MIXED}/lying.safetensors`])).code).toBe(0);
    expect((await runCli(['scan', `${MIXED}/lying.safetensors`, '--fail-on', 'medium'])).code).toBe(1);
    expect((await runCli(['scan', 'does/not/exist'])).code).toBe(2);
    expect((await runCli(['scan', MIXED, '--fail-on', 'bogus'])).code).toBe(2);
  });

  it('--config suppressions keep the finding listed as suppressed', async () => {
    const config = join(tmp, 'cfg.json');
    writeFileSync(
      config,
      JSON.stringify({
        scan: { suppressions: [{ ruleId: 'MS-ST-001', path: '**/lying.safetensors', reason: 'known exporter bug' }] },
      }),
    );
    const run = await runCli([
      'scan',
      `${MIXED}/lying.safetensors`,
      '--config',
      config,
      '--format',
      'json',
      '--fail-on',
      'medium',
    ]);
    expect(run.code).toBe(0);
    expect(run.json<JsonReport>().files[0]?.findings[0]?.suppressed).toEqual({ reason: 'known exporter bug' });
    writeFileSync(config, JSON.stringify({ scan: { suppressions: [{ ruleId: 'MS-ST-001', path: '*' }] } }));
    expect((await runCli(['scan', MIXED, '--config', config])).code).toBe(2);
  });
});
