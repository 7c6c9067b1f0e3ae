/**
 * The composite GitHub Action (action.yml at the repository root): its shell step is run here as a runner would run
 * it, with `${{ inputs.* }}` replaced by the inputs (defaults from action.yml) and `npx` replaced by a shim that runs
 * the built CLI of this checkout (no network). Checks the offline gate end to end (exit codes, the `result` output,
 * the SARIF file), and that the action pins what it runs.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI_BIN, REPO_ROOT, signedScannedModel } from '../helpers/cli.js';

interface ActionYaml {
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; steps: { id?: string; uses?: string; env?: Record<string, string>; run?: string }[] };
}
const action = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionYaml;
const work = mkdtempSync(path.join(os.tmpdir(), 'modelsec-action-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A bin directory whose `npx` runs this checkout's CLI: `npx --yes @modelsec/cli@VERSION ARGS...` → `modelsec ARGS...`. */
const shimBin = path.join(work, 'bin');
const npxCalls = path.join(work, 'npx-calls.txt');

/** Runs the action's check step with `inputs`; returns its exit code, stdout/stderr and the files it wrote. */
function runAction(inputs: Record<string, string>) {
  const step = action.runs.steps.find((s) => s.id === 'check');
  if (!step?.run || !step.env) throw new Error('action.yml has no check step');
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) values[name] = inputs[name] ?? spec.default ?? '';
  const env: Record<string, string> = {};
  for (const [name, template] of Object.entries(step.env)) {
    env[name] = template.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, input: string) => {
      if (!(input in values)) throw new Error(`action.yml step uses undeclared input ${input}`);
      return values[input] as string;
    });
  }
  const dir = mkdtempSync(path.join(work, 'run-'));
  const output = path.join(dir, 'output.txt');
  const summary = path.join(dir, 'summary.md');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const child = spawnSync('bash', ['-e', '-c', step.run], {
    cwd: work,
    env: {
      ...process.env,
      ...env,
      PATH: `${shimBin}${path.delimiter}${process.env.PATH}`,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      NO_COLOR: '1',
      MODELSEC_CONFIG_DIR: path.join(dir, 'config'),
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const out = readFileSync(output, 'utf8');
  const result = /^result<<MODELSEC_EOF\n([\s\S]*?)\nMODELSEC_EOF$/m.exec(out)?.[1];
  return { code: child.status, stdout: child.stdout, stderr: child.stderr, result, summary: readFileSync(summary, 'utf8') };
}

const model = path.join(work, 'model');
const signer = path.join(work, 'signer');

beforeAll(async () => {
  mkdirSync(shimBin);
  writeFileSync(
    path.join(shimBin, 'npx'),
    `#!/usr/bin/env bash\necho "$*" >> ${JSON.stringify(npxCalls)}\n[ "$1" = "--yes" ] && shift\nshift\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BIN)} "$@"\n`,
  );
  chmodSync(path.join(shimBin, 'npx'), 0o755);
  await signedScannedModel(model, signer);
}, 120_000);

describe('the GitHub Action (action.yml)', () => {
  it('pins every action it uses by full commit SHA, and runs the modelsec release it was made with by default', () => {
    expect(action.runs.using).toBe('composite');
    const uses = action.runs.steps.flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses).not.toEqual([]);
    for (const u of uses) expect(u, 'a tag can move; a commit cannot').toMatch(/@[0-9a-f]{40}$/);
    const cli = JSON.parse(readFileSync(path.join(REPO_ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string };
    expect(action.inputs.version?.default).toBe(cli.version);
  });

  it('offline: a signed, scan-attested model passes (exit 0), with the JSON result as output and an empty SARIF report', () => {
    const sarif = path.join(work, 'ok.sarif');
    const run = runAction({ 'model-path': model, offline: 'true', 'public-key': `${signer}.pub`, 'sarif-file': sarif });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.result ?? 'null')).toMatchObject({ ok: true, verified: true, offline: true });
    expect(run.summary).toContain('### modelsec check');
    const report = JSON.parse(readFileSync(sarif, 'utf8')) as { version: string; runs: { results: unknown[] }[] };
    expect(report.version).toBe('2.1.0');
    expect(report.runs[0]?.results).toEqual([]);
    expect(readFileSync(npxCalls, 'utf8')).toContain(`@modelsec/cli@${action.inputs.version?.default} check`);
  });

  it('offline: a changed file fails the job (exit 1), the output says why and the SARIF report locates it', () => {
    const tampered = path.join(work, 'tampered');
    mkdirSync(tampered);
    for (const f of ['weights.pkl', 'config.json', 'model.sig', 'model.scan.att.sig']) {
      writeFileSync(path.join(tampered, f), readFileSync(path.join(model, f)));
    }
    writeFileSync(path.join(tampered, 'config.json'), '{"architectures": ["Other"]}\n');
    const sarif = path.join(work, 'bad.sarif');
    const run = runAction({ 'model-path': tampered, offline: 'true', 'public-key': `${signer}.pub`, 'sarif-file': sarif });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.result ?? 'null')).toMatchObject({ verified: false, failed: [{ rule: 'local-files' }] });
    const report = JSON.parse(readFileSync(sarif, 'utf8')) as {
      runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    expect(report.runs[0]?.results.map((r) => [r.ruleId, r.locations[0]?.physicalLocation.artifactLocation.uri])).toEqual([
      ['check/local-files', 'config.json'],
    ]);
  });

  it('offline: a model that is a git checkout fails on its unsigned .git/ unless the ignore input names it', () => {
    const checkout = path.join(work, 'checkout');
    mkdirSync(path.join(checkout, '.git'), { recursive: true });
    for (const f of ['weights.pkl', 'config.json', 'model.sig', 'model.scan.att.sig'])
      writeFileSync(path.join(checkout, f), readFileSync(path.join(model, f)));
    writeFileSync(path.join(checkout, '.git', 'config'), '[core]\n\tfsmonitor = "echo pwned"\n');
    const inputs = { 'model-path': checkout, offline: 'true', 'public-key': `${signer}.pub` };
    const refused = runAction(inputs);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.result ?? 'null')).toMatchObject({ verified: false, failed: [{ code: 'SIGNING_FILE_EXTRA' }] });
    const ignored = runAction({ ...inputs, ignore: '.git\n' });
    expect(ignored.code, ignored.stderr).toBe(0);
  });

  it('neither a registry nor offline: a usage error (exit 2) before anything runs', () => {
    const run = runAction({ 'model-path': model });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('::error::modelsec check: give registry, or offline: true');
  });
});
