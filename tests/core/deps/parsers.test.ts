import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  condaPurl,
  type DeclaredPackage,
  type DependencyParseResult,
  dependencyFileKind,
  findDependencyFiles,
  MAX_DEPENDENCY_FILE_BYTES,
  ModelsecError,
  normalizePypiName,
  npmPurl,
  parseCondaSpec,
  parseDependencyFile,
  parseRequirementsText,
  pypiPurl,
} from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const DEPS = join(REPO_ROOT, 'fixtures', 'deps');
const tmp = mkdtempSync(join(tmpdir(), 'modelsec-deps-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function parse(rel: string): Promise<DependencyParseResult> {
  return parseDependencyFile(join(DEPS, rel), { baseDir: DEPS });
}

function pkg(result: DependencyParseResult, purl: string): DeclaredPackage {
  const found = result.packages.find((p) => p.purl === purl);
  if (!found) throw new Error(`${purl} not in ${result.packages.map((p) => p.purl).join(', ')}`);
  return found;
}

describe('purls', () => {
  it('normalises PyPI names per PEP 503 and encodes npm scopes and conda qualifiers', () => {
    expect(normalizePypiName('Foo__Bar.baz-qux')).toBe('foo-bar-baz-qux');
    expect(pypiPurl('Safe_Tensors', '0.4.3')).toBe('pkg:pypi/safe-tensors@0.4.3');
    expect(pypiPurl('torch', '2.3.1+cu121')).toBe('pkg:pypi/torch@2.3.1%2Bcu121');
    expect(npmPurl('@xenova/transformers', '2.17.2')).toBe('pkg:npm/%40xenova/transformers@2.17.2');
    expect(npmPurl('long')).toBe('pkg:npm/long');
    expect(condaPurl('PyTorch', '2.3.1', { channel: 'pytorch', build: 'py3.11_0' })).toBe(
      'pkg:conda/pytorch@2.3.1?build=py3.11_0&channel=pytorch',
    );
  });
});

describe('file kind detection', () => {
  it.each([
    ['requirements.txt', 'requirements'],
    ['requirements-dev.txt', 'requirements'],
    ['dev-requirements.txt', 'requirements'],
    ['pyproject.toml', 'pyproject'],
    ['poetry.lock', 'poetry-lock'],
    ['uv.lock', 'uv-lock'],
    ['Pipfile.lock', 'pipfile-lock'],
    ['environment.yml', 'conda-environment'],
    ['environment.yaml', 'conda-environment'],
    ['package-lock.json', 'package-lock'],
    ['npm-shrinkwrap.json', 'package-lock'],
    ['config.json', undefined],
    ['requirements.md', undefined],
  ])('%s -> %s', (name, kind) => {
    expect(dependencyFileKind(name)).toBe(kind);
  });
});

describe('requirements.txt', () => {
  it('reads pins with hashes, ranges, extras, markers, continuations and -r includes', async () => {
    const r = await parse('requirements/requirements.txt');
    const torch = pkg(r, 'pkg:pypi/torch@2.3.1');
    expect(torch).toMatchObject({ ecosystem: 'pypi', name: 'torch', version: '2.3.1', scope: 'required' });
    expect(torch.hashes).toHaveLength(2);
    expect(torch.hashes.every((h) => h.alg === 'SHA-256' && /^[0-9a-f]{64}$/.test(h.content))).toBe(true);
    expect(pkg(r, 'pkg:pypi/transformers')).toMatchObject({
      versionRange: '>=4.40.0,<5',
      extras: ['sentencepiece', 'torch'],
      markers: 'python_version >= "3.9"',
    });
    expect(pkg(r, 'pkg:pypi/accelerate').versionRange).toBe('~=0.30');
    expect(pkg(r, 'pkg:pypi/numpy').versionRange).toBe('==1.26.*');
    expect(pkg(r, 'pkg:pypi/huggingface-hub').version).toBeUndefined();
    // From the -r include, attributed to the included file.
    expect(pkg(r, 'pkg:pypi/pyyaml@6.0.1').source).toBe('requirements/requirements-base.txt');
    expect(r.direct).toContain('pkg:pypi/torch@2.3.1');
    expect(r.warnings).toEqual([
      expect.objectContaining({ code: 'DEPS_UNSUPPORTED', file: 'requirements/requirements.txt', line: 13 }),
    ]);
  });

  it('marks dev requirements optional and keeps included runtime packages required', async () => {
    const r = await parse('requirements/requirements-dev.txt');
    expect(pkg(r, 'pkg:pypi/pytest@8.2.2').scope).toBe('optional');
    expect(pkg(r, 'pkg:pypi/torch@2.3.1').scope).toBe('required');
  });

  it('never follows includes out of the directory, through URLs, or in cycles', async () => {
    const r = await parse('hostile/requirements-include-traversal/requirements.txt');
    expect(r.packages.map((p) => p.purl)).toEqual(['pkg:pypi/torch@2.3.1']);
    expect(r.warnings.filter((w) => w.code === 'DEPS_INCLUDE_SKIPPED').map((w) => w.line)).toEqual([2, 3, 4, 5, 6]);
    expect(JSON.stringify(r)).not.toContain('root:');
  });

  it('warns on duplicates with different specs and on bad hashes, naming file and line', () => {
    const r = parseRequirementsText('torch==2.3.1\nTorch==2.2.0\nnumpy==1.0 --hash=sha256:abc\n', { source: 'r.txt' });
    expect(r.warnings).toEqual([
      expect.objectContaining({ code: 'DEPS_DUPLICATE', file: 'r.txt', line: 2 }),
      expect.objectContaining({ code: 'DEPS_FIELD_INVALID', file: 'r.txt', line: 3 }),
    ]);
  });
});

describe('pyproject.toml', () => {
  it('reads PEP 621 dependencies, optional-dependencies and dependency-groups', async () => {
    const r = await parse('pep621/pyproject.toml');
    expect(pkg(r, 'pkg:pypi/transformers@4.41.2')).toMatchObject({ scope: 'required', extras: ['torch'] });
    expect(pkg(r, 'pkg:pypi/torch').versionRange).toBe('>=2.2');
    expect(pkg(r, 'pkg:pypi/sentencepiece').markers).toBe("platform_system != 'Windows'");
    expect(pkg(r, 'pkg:pypi/optimum@1.20.0').scope).toBe('optional');
    expect(pkg(r, 'pkg:pypi/ruff@0.4.10').scope).toBe('optional');
    expect(r.warnings).toEqual([]);
  });

  it('reads Poetry dependencies (bare versions exact, python skipped, groups optional)', async () => {
    const r = await parse('poetry/pyproject.toml');
    expect(r.packages.map((p) => p.purl)).toEqual([
      'pkg:pypi/pytest',
      'pkg:pypi/scikit-learn',
      'pkg:pypi/torch@2.3.1',
      'pkg:pypi/transformers',
    ]);
    expect(pkg(r, 'pkg:pypi/transformers')).toMatchObject({ versionRange: '^4.40', extras: ['torch'] });
    expect(pkg(r, 'pkg:pypi/scikit-learn').scope).toBe('optional');
  });

  it('turns truncated TOML into a parse warning with the line', async () => {
    const r = await parse('hostile/truncated-toml/pyproject.toml');
    expect(r.packages).toEqual([]);
    expect(r.warnings[0]).toMatchObject({ code: 'DEPS_PARSE_ERROR', file: 'hostile/truncated-toml/pyproject.toml' });
  });
});

describe('poetry.lock', () => {
  it('reads packages, file hashes, the dependency graph, dev scope, and direct roots from pyproject.toml', async () => {
    const r = await parse('poetry/poetry.lock');
    expect(r.packages).toHaveLength(7);
    expect(pkg(r, 'pkg:pypi/requests@2.32.3').dependsOn).toEqual(['pkg:pypi/certifi@2024.6.2', 'pkg:pypi/urllib3@2.2.2']);
    expect(pkg(r, 'pkg:pypi/certifi@2024.6.2').hashes).toHaveLength(2);
    expect(pkg(r, 'pkg:pypi/pytest@8.2.2').scope).toBe('optional');
    expect(r.direct).toEqual(['pkg:pypi/pytest@8.2.2', 'pkg:pypi/torch@2.3.1', 'pkg:pypi/transformers@4.41.2']);
  });

  it('skips entries with wrong types, warning with the field', async () => {
    const r = await parse('hostile/type-confusion/poetry.lock');
    expect(r.packages.map((p) => p.purl)).toEqual(['pkg:pypi/ok-package@1.0.0']);
    const messages = r.warnings.map((w) => w.message).join('\n');
    expect(messages).toContain('package[0].version (torch)');
    expect(messages).toContain('package[1].name');
    expect(messages).toContain('package[2].dependencies');
  });
});

describe('uv.lock', () => {
  it('reads sdist and wheel hashes, edges, the root project as direct deps, dev-only packages optional', async () => {
    const r = await parse('uv/uv.lock');
    expect(r.packages.map((p) => p.name)).not.toContain('gguf-runner');
    expect(r.direct).toEqual(['pkg:pypi/llama-cpp-python@0.2.79', 'pkg:pypi/numpy@1.26.4', 'pkg:pypi/pytest@8.2.2']);
    expect(pkg(r, 'pkg:pypi/numpy@1.26.4').hashes).toHaveLength(3);
    expect(pkg(r, 'pkg:pypi/llama-cpp-python@0.2.79').dependsOn).toEqual(['pkg:pypi/diskcache@5.6.3', 'pkg:pypi/numpy@1.26.4']);
    expect(pkg(r, 'pkg:pypi/pytest@8.2.2').scope).toBe('optional');
    expect(pkg(r, 'pkg:pypi/iniconfig@2.0.0').scope).toBe('optional');
    expect(pkg(r, 'pkg:pypi/diskcache@5.6.3').scope).toBe('required');
  });

  it('survives a package that is a string and binary garbage', async () => {
    expect((await parse('hostile/type-confusion/uv.lock')).warnings[0]?.code).toBe('DEPS_FIELD_INVALID');
    expect((await parse('hostile/binary-garbage/uv.lock')).warnings[0]?.code).toBe('DEPS_PARSE_ERROR');
  });
});

describe('Pipfile.lock', () => {
  it('reads default and develop with hashes and markers', async () => {
    const r = await parse('pipenv/Pipfile.lock');
    expect(pkg(r, 'pkg:pypi/onnx@1.16.1')).toMatchObject({ scope: 'required', markers: "python_version >= '3.8'" });
    expect(pkg(r, 'pkg:pypi/onnx@1.16.1').hashes).toHaveLength(2);
    expect(pkg(r, 'pkg:pypi/pytest@8.2.2').scope).toBe('optional');
  });

  it('warns on wrong types', async () => {
    const r = await parse('hostile/type-confusion/Pipfile.lock');
    expect(r.warnings.map((w) => w.message)).toEqual([
      'default: expected an object, got an array',
      'develop.pytest.version: expected a string, got 8',
      'develop.pytest.hashes: expected an array, got "sha256:x"',
    ]);
  });
});

describe('conda environment.yml', () => {
  it('reads conda specs with channels, builds and subdirs, and the pip sub-list as PyPI', async () => {
    const r = await parse('conda/environment.yml');
    expect(r.packages.map((p) => p.purl)).toContain('pkg:conda/pytorch@2.3.1?build=py3.11_cuda12.1_cudnn8.9.2_0&channel=pytorch');
    expect(r.packages.map((p) => p.purl)).toContain('pkg:conda/cuda-runtime@12.1.0?build=0&channel=nvidia&subdir=linux-64');
    expect(pkg(r, 'pkg:conda/python').versionRange).toBe('=3.11');
    expect(pkg(r, 'pkg:pypi/openai-whisper@20231117').ecosystem).toBe('pypi');
    expect(r.direct).toHaveLength(r.packages.length);
  });

  it('parses the match-spec forms', () => {
    expect(parseCondaSpec('numpy==1.26.4')).toEqual({ name: 'numpy', version: '1.26.4' });
    expect(parseCondaSpec('numpy >=1.24,<2')).toEqual({ name: 'numpy', versionRange: '>=1.24,<2' });
    expect(parseCondaSpec('=1')).toHaveProperty('error');
  });

  it('follows -r includes of the pip sub-list in the same directory', async () => {
    const dir = join(tmp, 'conda-include');
    mkdirSync(dir);
    writeFileSync(join(dir, 'environment.yml'), 'dependencies:\n  - python=3.11\n  - pip:\n      - -r requirements.txt\n');
    writeFileSync(join(dir, 'requirements.txt'), 'torch==2.3.1\n');
    const r = await parseDependencyFile(join(dir, 'environment.yml'));
    expect(r.packages.map((p) => p.purl)).toEqual(['pkg:conda/python', 'pkg:pypi/torch@2.3.1']);
    expect(pkg(r, 'pkg:pypi/torch@2.3.1').source).toBe('requirements.txt');
  });

  it('refuses a YAML alias bomb without expanding it', async () => {
    const r = await parse('hostile/yaml-billion-laughs/environment.yml');
    expect(r.packages).toEqual([]);
    expect(r.warnings[0]).toMatchObject({ code: 'DEPS_PARSE_ERROR' });
  });
});

describe('package-lock.json', () => {
  it('reads v3 packages with SRI hashes, scopes, node-style edge resolution and direct deps', async () => {
    const r = await parse('npm/package-lock.json');
    expect(r.packages.map((p) => p.purl)).toEqual([
      'pkg:npm/%40xenova/transformers@2.17.2',
      'pkg:npm/long@4.0.0',
      'pkg:npm/onnxruntime-web@1.14.0',
      'pkg:npm/onnxruntime-web@1.18.0',
      'pkg:npm/sharp@0.32.6',
      'pkg:npm/vitest@1.6.0',
    ]);
    // The nested copy wins over the hoisted one for @xenova/transformers.
    expect(pkg(r, 'pkg:npm/%40xenova/transformers@2.17.2').dependsOn).toEqual([
      'pkg:npm/onnxruntime-web@1.14.0',
      'pkg:npm/sharp@0.32.6',
    ]);
    const long = pkg(r, 'pkg:npm/long@4.0.0');
    expect(long.hashes).toEqual([{ alg: 'SHA-512', content: expect.stringMatching(/^[0-9a-f]{128}$/) }]);
    expect(pkg(r, 'pkg:npm/vitest@1.6.0').scope).toBe('optional');
    expect(pkg(r, 'pkg:npm/sharp@0.32.6').scope).toBe('optional');
    expect(r.direct).toEqual(['pkg:npm/%40xenova/transformers@2.17.2', 'pkg:npm/onnxruntime-web@1.18.0', 'pkg:npm/vitest@1.6.0']);
  });

  it('skips wrong types and traversal keys, and explains lockfile v1', async () => {
    const r = await parse('hostile/type-confusion/package-lock.json');
    expect(r.packages.map((p) => p.purl)).toEqual(['pkg:npm/c@1.0.0']);
    expect(r.warnings.length).toBeGreaterThanOrEqual(4);
    const v1 = await parse('hostile/npm-lockfile-v1/package-lock.json');
    expect(v1.warnings[0]?.message).toContain('lockfileVersion 1');
  });
});

describe('limits and errors', () => {
  it('binary garbage gives one warning per file and no packages', async () => {
    for (const f of ['requirements.txt', 'package-lock.json']) {
      const r = await parse(`hostile/binary-garbage/${f}`);
      expect(r.packages).toEqual([]);
      expect(r.warnings).toEqual([expect.objectContaining({ code: 'DEPS_PARSE_ERROR', file: `hostile/binary-garbage/${f}` })]);
    }
  });

  it('refuses an oversized file without reading it', async () => {
    const big = join(tmp, 'big', 'requirements.txt');
    mkdirSync(join(tmp, 'big'));
    writeFileSync(big, '');
    truncateSync(big, MAX_DEPENDENCY_FILE_BYTES + 1);
    const r = await parseDependencyFile(big);
    expect(r.packages).toEqual([]);
    expect(r.warnings[0]).toMatchObject({ code: 'DEPS_LIMIT_EXCEEDED', file: 'requirements.txt' });
  });

  it('caps warnings per file', () => {
    const r = parseRequirementsText('!!!\n'.repeat(500), { source: 'r.txt' });
    expect(r.warnings.length).toBeLessThanOrEqual(51);
    expect(r.warnings.at(-1)?.message).toContain('suppressed');
  });

  it('throws for missing files and unrecognised names', async () => {
    await expect(parseDependencyFile(join(tmp, 'absent', 'requirements.txt'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    const other = join(tmp, 'notes.md');
    writeFileSync(other, 'x');
    await expect(parseDependencyFile(other)).rejects.toBeInstanceOf(ModelsecError);
  });
});

describe('findDependencyFiles', () => {
  it('finds dependency files two levels deep, sorted, skipping node_modules, hidden dirs and symlinks', async () => {
    const root = join(tmp, 'model');
    for (const d of ['a/b/c', 'node_modules/x', '.git', 'serving']) mkdirSync(join(root, d), { recursive: true });
    for (const f of [
      'requirements.txt',
      'config.json',
      'serving/uv.lock',
      'a/b/package-lock.json',
      'a/b/c/poetry.lock',
      'node_modules/x/package-lock.json',
      '.git/requirements.txt',
    ])
      writeFileSync(join(root, f), '');
    symlinkSync(join(root, 'serving'), join(root, 'link'));
    const found = (await findDependencyFiles(root)).map((p) => p.slice(root.length + 1));
    expect(found).toEqual(['a/b/package-lock.json', 'requirements.txt', 'serving/uv.lock']);
  });

  it('lists every fixture kind in fixtures/deps', async () => {
    const found = await findDependencyFiles(DEPS);
    expect(found.length).toBeGreaterThanOrEqual(10);
  });
});
