import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cycloneDxToSpdx3, fixedClock } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { corpusPath, itWithCorpus } from '../helpers/corpora.js';

const EXAMPLES = corpusPath('cyclonedx/examples');
const dir = mkdtempSync(join(tmpdir(), 'modelsec-bom-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

const validJson = write(
  'valid.cdx.json',
  JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    components: [{ type: 'machine-learning-model', name: 'tiny', modelCard: { modelParameters: { task: 'text-generation' } } }],
  }),
);
const invalidJson = write(
  'invalid.cdx.json',
  JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    components: [
      {
        type: 'machine-learning-model',
        name: 'tiny',
        modelCard: { considerations: { ethicalConsiderations: [{ name: 'bias', description: 'not in the schema' }] } },
      },
    ],
  }),
);
const validXml = write(
  'valid.cdx.xml',
  '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.7" version="1"><components><component type="data"><name>d</name></component></components></bom>\n',
);
const invalidXml = write(
  'invalid.cdx.xml',
  '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">\n<components><component type="no-such-type"><name>d</name></component></components></bom>\n',
);

describe('modelsec bom validate', () => {
  it('exits 0 for a valid JSON BOM and says which schema it used', async () => {
    const run = await runCli(['bom', 'validate', validJson]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('valid CycloneDX 1.6 JSON');
  });

  it('exits 0 for a valid XML BOM, validated by XSD', async () => {
    const run = await runCli(['bom', 'validate', validXml, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, valid: true, specVersion: '1.7', format: 'xml', method: 'xsd', errors: [] });
  });

  it('exits 1 for an invalid JSON BOM and lists the schema errors with their paths', async () => {
    const run = await runCli(['bom', 'validate', invalidJson]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('INVALID CycloneDX 1.6 JSON');
    expect(run.stdout).toContain(
      "/components/0/modelCard/considerations/ethicalConsiderations/0: must NOT have additional properties: 'description'",
    );
  });

  it('exits 1 for an invalid XML BOM with --json carrying the errors', async () => {
    const run = await runCli(['bom', 'validate', invalidXml, '--json']);
    expect(run.code).toBe(1);
    const body = run.json<{ ok: boolean; error: { code: string; details: { errors: { path: string; message: string }[] } } }>();
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('BOM_INVALID');
    expect(body.error.details.errors[0]?.path).toBe('line 3');
    expect(body.error.details.errors[0]?.message).toContain('no-such-type');
  });

  it('--spec validates against another version than the declared one (before or after FILE)', async () => {
    // isExternal exists in CycloneDX 1.7 only.
    const bom17 = write(
      'external-1.7.cdx.json',
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.7',
        version: 1,
        components: [{ type: 'library', name: 'x', isExternal: true }],
      }),
    );
    expect((await runCli(['bom', 'validate', bom17])).code).toBe(0);
    for (const args of [
      ['bom', 'validate', bom17, '--spec', '1.6', '--json'],
      ['bom', 'validate', '--spec', '1.6', bom17, '--json'],
    ]) {
      const run = await runCli(args);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.json()).toMatchObject({ ok: false, error: { code: 'BOM_INVALID', details: { specVersion: '1.6' } } });
    }
  });

  it('--spec takes the older versions too (1.4, 1.5), which `bom` itself does not build', async () => {
    const bom14 = write(
      'plain-1.4.cdx.json',
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.4', version: 1, components: [{ type: 'library', name: 'x' }] }),
    );
    for (const spec of ['1.4', '1.5']) {
      const run = await runCli(['bom', 'validate', bom14, '--spec', spec, '--json']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.json()).toMatchObject({ ok: true, specVersion: spec });
    }
    const build = await runCli(['bom', dir, '--spec', '1.5', '--json']);
    expect(build.code).toBe(2);
    expect(build.json()).toMatchObject({ ok: false, error: { code: 'USAGE', details: { flag: '--spec' } } });
  });
  it('--format xml forces the XML reading', async () => {
    const run = await runCli(['bom', 'validate', validJson, '--format', 'xml', '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 'BOM_NOT_RECOGNISED' } });
  });

  it('exits 2 for a missing file, a non-BOM and an unsupported version', async () => {
    expect((await runCli(['bom', 'validate', join(dir, 'absent.json')])).code).toBe(2);
    const notBom = await runCli(['bom', 'validate', write('notes.txt', 'hello'), '--json']);
    expect(notBom.code).toBe(2);
    expect(notBom.json()).toMatchObject({ ok: false, error: { code: 'BOM_NOT_RECOGNISED' } });
    const spdx = await runCli(['bom', 'validate', write('spdx.json', '{"spdxVersion":"SPDX-2.3"}')]);
    expect(spdx.code).toBe(2);
    expect(spdx.stderr).toContain('bomFormat');
    const old = await runCli(['bom', 'validate', write('old.json', '{"bomFormat":"CycloneDX","specVersion":"1.2"}'), '--json']);
    expect(old.code).toBe(2);
    expect(old.json()).toMatchObject({ error: { code: 'BOM_UNSUPPORTED_SPEC' } });
  });

  it('recognises SPDX 3.0.1 JSON-LD and validates it against the SPDX schema', async () => {
    const spdx = cycloneDxToSpdx3(
      {
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        version: 1,
        components: [{ type: 'machine-learning-model', name: 'm', 'bom-ref': 'm' }],
      },
      { clock: fixedClock(0) },
    );
    const good = await runCli(['bom', 'validate', write('model.spdx.json', JSON.stringify(spdx)), '--json']);
    expect(good.code).toBe(0);
    expect(good.json()).toMatchObject({ ok: true, valid: true, specVersion: 'SPDX-3.0.1', format: 'spdx3' });
    const graph = spdx['@graph'] as Record<string, unknown>[];
    (graph.find((n) => n.type === 'ai_AIPackage') as Record<string, unknown>).software_primaryPurpose = 'weights';
    const bad = await runCli(['bom', 'validate', write('bad.spdx.json', JSON.stringify(spdx))]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('INVALID SPDX 3.0.1');
  });

  itWithCorpus('accepts the official ML examples (corpus)', EXAMPLES !== undefined, async () => {
    for (const file of ['valid-machine-learning-1.6.json', 'valid-machine-learning-1.7.xml']) {
      const run = await runCli(['bom', 'validate', join(EXAMPLES!, file)]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
  });
});
