/** `modelsec deps` as a child process: exit codes as `scan`, text/json/sarif, errors naming the bad input. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const AUDIT = join(REPO_ROOT, 'fixtures', 'deps', 'audit');
const OSV = ['--osv', 'osv/PyPI/all.zip', '--osv', 'osv/npm/all.zip'];
const tmp = mkdtempSync(join(tmpdir(), 'modelsec-deps-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const deps = (args: string[]) => runCli(['deps', ...args], { cwd: AUDIT });

interface SarifResult {
  ruleId: string;
  level: string;
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
}

describe('modelsec deps', () => {
  it('fails (exit 1) on a malicious package and prints each finding under its file with its line', async () => {
    const run = await deps(['projects/requirements', ...OSV]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^projects\/requirements\/requirements\.txt$/m);
    expect(run.stdout).toMatch(
      /CRITICAL MS-DEP-002 {2}line 5 +torchtriton 3\.0\.0 is a known malicious package \(MAL-0000-torchtriton\)/,
    );
    expect(run.stdout).toContain('gate: FAIL (--fail-on high)');
    expect(run.stdout).toContain('OSV: 8 record(s) read, 5 naming the project');
    // Progress goes to stderr (a bar on a terminal; the database being read, always).
    expect(run.stderr).toContain(`reading OSV database ${join(AUDIT, 'osv/PyPI/all.zip')}...`);
  });

  it('passes (exit 0) on the clean ML lockfile', async () => {
    const run = await deps(['projects/clean', ...OSV]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 file(s), 37 package(s): 0 critical, 0 high, 0 medium, 0 low, 0 info');
    expect(run.stdout).toContain('gate: PASS');
  });

  it('--fail-on decides the exit code; without --osv the report says what was not checked', async () => {
    expect((await deps(['projects/npm', ...OSV, '--fail-on', 'critical'])).code).toBe(1);
    const lenient = await deps(['projects/conda', '--fail-on', 'critical']);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('no OSV database (--osv): known vulnerable and malicious packages not checked');
    expect((await deps(['projects/conda', '--fail-on', 'low'])).code).toBe(1);
  });

  it('--format json carries the report and the gate', async () => {
    const run = await deps(['projects/npm', ...OSV, '--format', 'json']);
    expect(run.code).toBe(1);
    const json = run.json<{
      findings: { ruleId: string; package?: { purl: string }; line?: number }[];
      gate: { pass: boolean; failOn: string; failures: unknown[] };
      files: { path: string; kind: string }[];
    }>();
    expect(json.gate).toMatchObject({ pass: false, failOn: 'high' });
    expect(json.gate.failures).toHaveLength(2);
    expect(json.files).toEqual([{ path: 'projects/npm/package-lock.json', kind: 'package-lock', packages: 4 }]);
    expect(json.findings.map((f) => [f.ruleId, f.package?.purl, f.line])).toEqual([
      ['MS-DEP-002', 'pkg:npm/flatmap-stream@0.1.1', 22],
      ['MS-DEP-005', 'pkg:npm/onnxruntime-nod@1.18.0', 27],
      ['MS-DEP-001', 'pkg:npm/semver@7.5.1', 32],
    ]);
  });

  it('--format sarif locates each result at the line of the requirement, with the rules described', async () => {
    const out = join(tmp, 'deps.sarif');
    const run = await deps(['projects/requirements', ...OSV, '--format', 'sarif', '-o', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const sarif = JSON.parse(readFileSync(out, 'utf8')) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string; help: { text: string } }[] } }; results: SarifResult[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const [runResult] = sarif.runs;
    const torch = runResult?.results.find((r) => r.ruleId === 'MS-DEP-001');
    expect(torch?.level).toBe('error');
    expect(torch?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'projects/requirements/requirements.txt' },
      region: { startLine: 4 },
    });
    expect(runResult?.tool.driver.rules.map((r) => r.id)).toEqual([
      'MS-DEP-001',
      'MS-DEP-002',
      'MS-DEP-003',
      'MS-DEP-004',
      'MS-DEP-005',
    ]);
  });

  it('a corrupt OSV export is exit 2 naming the file, never "no findings"', async () => {
    const run = await deps(['projects/clean', '--osv', 'hostile/truncated.zip', '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({
      ok: false,
      error: { code: 'DEPS_OSV_INVALID', message: expect.stringContaining('truncated.zip') },
    });
    const text = await deps(['projects/clean', '--osv', 'hostile/not-osv.zip']);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/\[DEPS_OSV_INVALID\] .*not-osv\.zip: entry GHSA-xxxx\.json: not an OSV record/);
  });

  it('a garbage lockfile is exit 2 naming it; a missing path is exit 2', async () => {
    const run = await deps(['hostile/garbage/requirements.txt']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\[DEPS_INPUT_INVALID\] hostile\/garbage\/requirements\.txt: not a readable requirements file/);
    const missing = await deps(['no/such/dir']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('FILE_NOT_FOUND');
  });

  it('--site-packages and --workflows add their findings', async () => {
    const run = await deps([
      'projects/clean',
      '--site-packages',
      'site-packages',
      '--workflows',
      'workflows/.github/workflows',
      '--format',
      'json',
    ]);
    expect(run.code).toBe(1);
    const rules = new Set(run.json<{ findings: { ruleId: string }[] }>().findings.map((f) => f.ruleId));
    expect([...rules].sort()).toEqual([
      'MS-DEP-010',
      'MS-DEP-011',
      'MS-DEP-012',
      'MS-DEP-013',
      'MS-DEP-014',
      'MS-DEP-015',
      'MS-PKL-001',
    ]);
  });

  it('is listed by --help', async () => {
    const run = await runCli(['--help']);
    expect(run.stdout).toMatch(/^ {2}deps\b/m);
  });
});
