import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { corpusPath, itWithCorpus } from '../helpers/corpora.js';

const EXAMPLE = corpusPath('cyclonedx/examples/valid-machine-learning-1.6.json');
const dir = mkdtempSync(join(tmpdir(), 'modelsec-bom-score-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}

const model = {
  type: 'machine-learning-model',
  'bom-ref': 'model',
  name: 'tiny',
  version: '0123456789abcdef0123456789abcdef01234567',
  licenses: [{ license: { id: 'MIT' } }],
  hashes: [{ alg: 'SHA-256', content: 'a'.repeat(64) }],
  modelCard: { modelParameters: { task: 'text-generation', architectureFamily: 'llama' } },
};
const partial = write('partial.cdx.json', { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [model] });

describe('modelsec bom score', () => {
  it('prints the score, the category sub-scores and the missing fields by weight', async () => {
    const run = await runCli(['bom', 'score', partial]);
    expect(run.code, run.stderr).toBe(0);
    // model.component 5 + version 3 + integrity 5 + licenses 4 + task 4 + family 3 + fileHashes 3 + spec 2 = 29
    expect(run.stdout).toContain('score 29/100');
    expect(run.stdout).toContain('profile: minimal');
    expect(run.stdout).toMatch(/Model card\s+7\/40/);
    const missing = run.stdout.slice(run.stdout.indexOf('missing (by weight):'));
    const weights = [...missing.matchAll(/^\s+(\d+)\s+(critical|important|supplementary)/gm)].map((m) => Number(m[1]));
    expect(weights.length).toBeGreaterThan(10);
    expect(weights).toEqual([...weights].sort((a, b) => b - a));
    expect(missing).toContain('modelCard.datasets');
  });

  it('--json carries score, categories, fields and missing', async () => {
    const run = await runCli(['bom', 'score', partial, '--json']);
    const body = run.json<{ ok: boolean; score: number; missing: { id: string; weight: number }[]; categories: unknown[] }>();
    expect(body.ok).toBe(true);
    expect(body.score).toBe(29);
    expect(body.categories).toHaveLength(4);
    expect(body.missing[0]?.weight).toBe(5);
  });

  it('--min fails below the threshold', async () => {
    expect((await runCli(['bom', 'score', partial, '--min', '30'])).code).toBe(1);
    expect((await runCli(['bom', 'score', partial, '--min', '29'])).code).toBe(0);
    expect((await runCli(['bom', 'score', partial, '--min', 'lots'])).code).toBe(2);
  });

  it('marks fields inside invalid shapes and does not count them', async () => {
    const bad = write('invalid.cdx.json', {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [{ ...model, licenses: [{ license: { id: 'apache-2.0' } }] }],
    });
    const run = await runCli(['bom', 'score', bad]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('score 25/100');
    expect(run.stdout).toContain('does not validate');
    expect(run.stdout).toMatch(/model\.licenses.*\[present but invalid\]/);
  });

  it('exits 2 for a missing file or a non-BOM', async () => {
    expect((await runCli(['bom', 'score', join(dir, 'absent.json')])).code).toBe(2);
    expect((await runCli(['bom', 'score', write('x.json', '{"a":1}')])).code).toBe(2);
  });

  itWithCorpus('scores the official CycloneDX ML example (corpus)', EXAMPLE !== undefined, async () => {
    const run = await runCli(['bom', 'score', EXAMPLE!, '--json']);
    expect(run.code).toBe(0);
    const body = run.json<{ score: number; model: { name: string }; missing: { id: string }[] }>();
    expect(body.model.name).toBe('stable-diffusion');
    expect(body.score).toBeGreaterThan(0);
    expect(body.missing.map((m) => m.id)).toContain('model.licenses');
  });
});
