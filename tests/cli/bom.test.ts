import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCycloneDx, validateSpdx3 } from '@modelsec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { type FakeHub, filesFromDirectory, startFakeHub } from '../helpers/fake-hub.js';

const HF_DIR = 'fixtures/models/hf-tiny-llama';
const EPOCH = { SOURCE_DATE_EPOCH: '1717200000' };
const out = mkdtempSync(join(tmpdir(), 'modelsec-bom-cli-'));
const SHA = 'fedcba9876543210fedcba9876543210fedcba98';
let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub([{ id: 'tiny-org/hf-tiny-llama', sha: SHA, files: filesFromDirectory(join(REPO_ROOT, HF_DIR)) }]);
});
afterAll(async () => {
  await hub.close();
  rmSync(out, { recursive: true, force: true });
});

describe('modelsec bom (built CLI)', () => {
  it('prints a valid CycloneDX 1.6 JSON ML-BOM on stdout by default, byte-identical with SOURCE_DATE_EPOCH', async () => {
    const a = await runCli(['bom', HF_DIR], { env: EPOCH });
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const check = validateCycloneDx(a.stdout);
    expect(check).toMatchObject({ valid: true, specVersion: '1.6', format: 'json' });
    expect(JSON.parse(a.stdout).metadata.timestamp).toBe('2024-06-01T00:00:00.000Z');
    const b = await runCli(['bom', HF_DIR], { env: EPOCH });
    expect(b.stdout).toBe(a.stdout);
  });

  it('writes 1.7 XML with -o, then bom validate and bom score route to their subcommands', async () => {
    const file = join(out, 'model.cdx.xml');
    const built = await runCli(['bom', HF_DIR, '--spec', '1.7', '--format', 'xml', '-o', file, '--version', '2.0.0'], {
      env: EPOCH,
    });
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/wrote a valid CycloneDX 1\.7 XML ML-BOM \(11 file\(s\) hashed, 0 warning\(s\)\)/);
    const text = readFileSync(file, 'utf8');
    expect(validateCycloneDx(text)).toMatchObject({ valid: true, specVersion: '1.7', format: 'xml' });
    expect(text).toContain('<version>2.0.0</version>');
    const validated = await runCli(['bom', 'validate', file]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/valid CycloneDX 1\.7 XML/);

    const jsonFile = join(out, 'model.cdx.json');
    expect((await runCli(['bom', HF_DIR, '-o', jsonFile], { env: EPOCH })).code).toBe(0);
    const scored = await runCli(['bom', 'score', jsonFile, '--json']);
    expect(scored.code).toBe(0);
    expect((scored.json() as { score: number }).score).toBeGreaterThanOrEqual(85);
  });

  it('--deps-file adds the packages of a lockfile outside the model; --deps none skips the ones inside', async () => {
    const run = await runCli([
      'bom',
      'fixtures/models/tiny.onnx',
      '--deps',
      'none',
      '--deps-file',
      'fixtures/deps/npm/package-lock.json',
    ]);
    expect(run.code).toBe(0);
    const libraries = (text: string) =>
      (JSON.parse(text) as { components: { type: string; purl?: string }[] }).components
        .filter((c) => c.type === 'library')
        .map((c) => c.purl);
    const purls = libraries(run.stdout);
    expect(purls.length).toBeGreaterThan(0);
    expect(purls.every((p) => p?.startsWith('pkg:npm/'))).toBe(true);
    const none = await runCli(['bom', HF_DIR, '--deps', 'none']);
    expect(libraries(none.stdout)).toEqual([]);
  });

  it('--scan attaches verdicts per file and findings as vulnerabilities (JSON and XML stay valid)', async () => {
    const malicious = 'fixtures/scan/malicious/dotted-name-torch-os-system.pkl';
    const run = await runCli(['bom', malicious, '--scan']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/scan: 1 file\(s\), 1 finding\(s\)/);
    const bom = JSON.parse(run.stdout) as {
      components: { properties: { name: string; value: string }[] }[];
      vulnerabilities: { id: string; source: { name: string }; ratings: { severity: string }[]; affects: { ref: string }[] }[];
    };
    expect(validateCycloneDx(run.stdout).valid).toBe(true);
    expect(bom.components[0]!.properties).toContainEqual({ name: 'modelsec:scan:verdict', value: 'critical' });
    expect(bom.vulnerabilities).toEqual([
      expect.objectContaining({
        id: 'MS-PKL-001',
        source: { name: 'modelsec' },
        ratings: [expect.objectContaining({ severity: 'critical' })],
        affects: [{ ref: 'file:dotted-name-torch-os-system.pkl' }],
      }),
    ]);
    const xml = await runCli(['bom', malicious, '--scan', '--spec', '1.7', '--format', 'xml']);
    expect(validateCycloneDx(xml.stdout)).toMatchObject({ valid: true, specVersion: '1.7', format: 'xml' });
    const benign = await runCli(['bom', 'fixtures/models/tiny-checkpoint.pt', '--scan']);
    const props = (JSON.parse(benign.stdout) as { components: { properties: { name: string; value: string }[] }[] })
      .components[0]!.properties;
    expect(props).toContainEqual({ name: 'modelsec:scan:verdict', value: 'clean' });
  });

  it('--format spdx3 writes SPDX 3.0.1 JSON-LD that validates', async () => {
    const run = await runCli(['bom', HF_DIR, '--format', 'spdx3'], { env: EPOCH });
    expect(run.code).toBe(0);
    expect(validateSpdx3(JSON.parse(run.stdout)).valid).toBe(true);
  });

  it('hostile input: a warning naming the file on stderr and a valid BOM on stdout', async () => {
    const run = await runCli(['bom', 'fixtures/models/hostile/card-yaml-malformed']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning README\.md: malformed YAML front matter/);
    expect(validateCycloneDx(run.stdout).valid).toBe(true);
  });

  it('--json wraps the BOM with the warnings', async () => {
    const run = await runCli(['bom', 'fixtures/models/hostile/config-not-json', '--json']);
    expect(run.code).toBe(0);
    const body = run.json() as { ok: boolean; bom: { bomFormat: string }; warnings: { file: string }[] };
    expect(body.ok).toBe(true);
    expect(body.bom.bomFormat).toBe('CycloneDX');
    expect(body.warnings.map((w) => w.file)).toEqual(['config.json']);
  });

  it('hf:// reads the Hub named by HF_ENDPOINT', async () => {
    const run = await runCli(['bom', 'hf://tiny-org/hf-tiny-llama', '--deps', 'none'], {
      env: { ...EPOCH, HF_ENDPOINT: hub.url },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const model = JSON.parse(run.stdout).metadata.component;
    expect(model.purl).toBe(`pkg:huggingface/tiny-org/hf-tiny-llama@${SHA}`);
  });

  it('usage errors: no PATH, a missing path, an unknown spec', async () => {
    const none = await runCli(['bom', '--json']);
    expect(none.code).toBe(2);
    expect(none.json()).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    const missing = await runCli(['bom', 'no/such/model', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json()).toMatchObject({ ok: false, error: { code: 'FILE_NOT_FOUND' } });
    const spec = await runCli(['bom', HF_DIR, '--spec', '1.3']);
    expect(spec.code).toBe(2);
  });

  it('--help explains the command with examples', async () => {
    const run = await runCli(['bom', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toMatch(/--deps-file/);
    expect(run.stdout).toMatch(/validate/);
  });
});
