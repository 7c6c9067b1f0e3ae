/**
 * The decision model in every output of `modelsec scan` (built CLI): text names each file's verdict and why the gate
 * failed; JSON carries the gate and validates against schemas/scan-report.schema.json; SARIF shows incomplete files as
 * error results a code-scanning user sees, and stays valid SARIF 2.1.0. Engine limits end in incomplete findings:
 * the walk limit, special files, per-file budgets.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ajv as AjvClass, Options } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { createScanBudget } from '../../../packages/core/src/scan/budget.js';
import { scanPaths } from '../../../packages/core/src/scan/engine.js';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { PickleBuilder } from '../../helpers/fixture-builders.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as new (options: Options) => AjvClass;
const tmp = mkdtempSync(join(tmpdir(), 'modelsec-scan-output-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, bytes: Uint8Array | string): string {
  const path = join(tmp, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

const dir = join(tmp, 'model');
write('model/config.json', '{"model_type":"tiny"}');
write('model/weights.pkl', new PickleBuilder().proto(2).global('os', 'system').unicode('id').tuple1().reduce().stop().bytes());
write('model/blob.dat', Uint8Array.from([0, 0x13, 0x37, 0xfe, 0xed, 0, 1, 2]));

function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/vendor/sarif-2.1.0/sarif-schema-2.1.0.json'), 'utf8'));
  schema.$id = schema.id;
  delete schema.id;
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

describe('scan outputs show the decision model', () => {
  it('text: per-file verdicts, the incomplete count and each reason the gate failed', async () => {
    const run = await runCli(['scan', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${dir}/blob.dat  [unknown, 8 bytes]  incomplete (medium)`);
    expect(run.stdout).toContain(`${dir}/config.json  [json, 21 bytes]  clean`);
    expect(run.stdout).toContain(`${dir}/weights.pkl  [pickle, `);
    expect(run.stdout).toMatch(
      /3 file\(s\) scanned: 1 critical, 0 high, 1 medium, 0 low, 0 info; 1 file\(s\) at or above high; 1 incomplete/,
    );
    expect(run.stdout).toContain('gate: FAIL (--fail-on high; incomplete files fail)');
    expect(run.stdout).toContain(`  ${dir}/blob.dat: incomplete: not fully inspected (MS-ENG-001)`);
    expect(run.stdout).toContain(`  ${dir}/weights.pkl: critical finding at or above high (MS-PKL-001)`);
    const allowed = await runCli(['scan', `${dir}/blob.dat`, `${dir}/config.json`, '--allow-incomplete']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('gate: PASS (--fail-on high; incomplete files allowed (--allow-incomplete))');
  });

  it('JSON: the gate (options, pass, failures) is in the report and the report validates against its schema', async () => {
    const run = await runCli(['scan', dir, '--format', 'json', '--fail-on', 'critical']);
    expect(run.code).toBe(1);
    const report = run.json<Record<string, unknown>>();
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/scan-report.schema.json'), 'utf8'));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.gate).toEqual({
      pass: false,
      failOn: 'critical',
      allowIncomplete: false,
      failures: [
        { path: `${dir}/blob.dat`, reason: 'incomplete', maxSeverity: 'medium', rules: ['MS-ENG-001'] },
        { path: `${dir}/weights.pkl`, reason: 'severity', maxSeverity: 'critical', rules: ['MS-PKL-001'] },
      ],
    });
    // The schema can fail: a gate failure with an unknown reason is refused.
    const bad = structuredClone(report) as { gate: { failures: { reason: string }[] } };
    (bad.gate.failures[0] as { reason: string }).reason = 'maybe';
    expect(validate(bad)).toBe(false);
  });

  it('SARIF: incomplete findings are error results with the verdict; the run carries the gate; valid SARIF 2.1.0', async () => {
    const out = join(tmp, 'scan.sarif');
    const run = await runCli(['scan', dir, '--format', 'sarif', '--output', out]);
    expect(run.code).toBe(1);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const results = sarif.runs[0].results as {
      ruleId: string;
      level: string;
      message: { text: string };
      properties: { verdict: string; incomplete?: boolean };
    }[];
    const incomplete = results.find((r) => r.ruleId === 'MS-ENG-001');
    expect(incomplete?.level).toBe('error');
    expect(incomplete?.message.text).toMatch(/^Not fully inspected \(the file is incomplete and fails the gate\)/);
    expect(incomplete?.properties).toMatchObject({ verdict: 'incomplete', incomplete: true });
    expect(results.find((r) => r.ruleId === 'MS-PKL-001')?.properties.verdict).toBe('findings');
    expect(sarif.runs[0].properties.gate).toMatchObject({ pass: false, failOn: 'high', allowIncomplete: false });
    const rule = (sarif.runs[0].tool.driver.rules as { id: string; defaultConfiguration: { level: string } }[]).find(
      (r) => r.id === 'MS-ENG-001',
    );
    expect(rule?.defaultConfiguration.level).toBe('error');
  });
});

describe('engine limits end in incomplete findings, never silence', () => {
  it('the walk limit: the entry past it is reported (MS-ENG-009, hashed, not scanned) and the walk stops', async () => {
    const root = join(tmp, 'many');
    for (let i = 0; i < 5; i++) write(`many/f${i}.json`, `{"i":${i}}`);
    const report = await scanPaths([root], { maxWalkFiles: 3 });
    expect(report.files.map((f) => [f.path.slice(root.length + 1), f.verdict, f.findings.map((x) => x.ruleId).join()])).toEqual([
      ['f0.json', 'clean', ''],
      ['f1.json', 'clean', ''],
      ['f2.json', 'clean', ''],
      ['f3.json', 'incomplete', 'MS-ENG-009'],
    ]);
    expect(report.files[3]?.sha256).toBe(createHash('sha256').update('{"i":3}').digest('hex'));
    expect(report.summary.verdicts.incomplete).toBe(1);
  });

  it('a FIFO under a scanned directory is reported (MS-ENG-010) without being opened', async () => {
    const root = join(tmp, 'fifo');
    write('fifo/config.json', '{}');
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const report = await scanPaths([root]);
    const pipe = report.files.find((f) => f.path.endsWith('/pipe'));
    expect(pipe?.findings.map((f) => f.ruleId)).toEqual(['MS-ENG-010']);
    expect(pipe?.verdict).toBe('incomplete');
  });

  it('the per-file budget records what it refused (the engine turns it into MS-ENG-008)', () => {
    const budget = createScanBudget({ decompressedBytes: 100, entries: 2 });
    expect(budget.chargeDecompressed(60)).toBe(true);
    expect(budget.chargeDecompressed(60)).toBe(false);
    expect(budget.remainingDecompressed).toBe(0);
    expect(budget.chargeEntries(2)).toBe(true);
    expect(budget.chargeEntries(1)).toBe(false);
    expect(budget.chargeEntries(Number.NaN)).toBe(false);
    expect(budget.exhausted).toEqual(['decompressed', 'entries']);
    // Limits only lower the defaults.
    expect(createScanBudget({ entries: 10 ** 12 }).remainingEntries).toBe(200_000);
  });
});
