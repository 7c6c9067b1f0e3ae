import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lineageFromMlbom, lineageFromProvenance } from '@modelsec/core';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, signedModel, tempDir, testRegistry } from '../../../packages/registry/src/test-support.js';
import { runCli } from '../../helpers/cli.js';

const DATASET = 'd'.repeat(64);

function bomDerivedFrom(baseDigest: string) {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      component: {
        type: 'machine-learning-model',
        'bom-ref': 'model',
        name: 'bert-finetuned',
        pedigree: {
          ancestors: [{ type: 'machine-learning-model', name: 'bert-base', hashes: [{ alg: 'SHA-256', content: baseDigest }] }],
        },
        modelCard: { modelParameters: { datasets: [{ ref: 'ds' }] } },
      },
    },
    components: [{ type: 'data', 'bom-ref': 'ds', name: 'squad', hashes: [{ alg: 'SHA-256', content: DATASET }] }],
  };
}

describe('lineage extraction (core)', () => {
  it('reads pedigree ancestors and datasets from an ML-BOM and resolvedDependencies from SLSA provenance', () => {
    const edges = lineageFromMlbom(bomDerivedFrom('a'.repeat(64)));
    expect(edges.map((e) => [e.relation, e.target.kind, e.target.key])).toEqual([
      ['derived-from', 'model', `sha256:${'a'.repeat(64)}`],
      ['trained-on', 'dataset', `sha256:${DATASET}`],
    ]);
    const prov = lineageFromProvenance({
      _type: 'https://in-toto.io/Statement/v1',
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          resolvedDependencies: [
            { uri: 'hf://datasets/rajpurkar/squad', digest: { sha256: DATASET } },
            { uri: 'hf://google-bert/bert-base-uncased', name: 'base model', digest: { sha256: 'b'.repeat(64) } },
          ],
        },
      },
    });
    expect(prov.map((e) => [e.relation, e.target.kind])).toEqual([
      ['derived-from', 'model'],
      ['trained-on', 'dataset'],
    ]);
    expect(lineageFromMlbom('not a bom')).toEqual([]);
  });
});

describe('lineage queries over the registry', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  let url: string;
  beforeAll(async () => {
    registry = await testRegistry();
    url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { required: false } } });
    const base = await signedModel({ 'weights.bin': 'base-weights' });
    const pushedBase = await pushModel(admin, base.dir, parseModelRef('acme/bert-base@1.0.0'), {
      signaturePath: base.signaturePath,
      publicKeyPem: base.key.publicKeyPem,
    });
    const tuned = await signedModel({ 'weights.bin': 'tuned-weights' });
    const bomPath = path.join(tempDir(), 'bom.json');
    writeFileSync(bomPath, JSON.stringify(bomDerivedFrom(pushedBase.rootDigest)));
    await pushModel(admin, tuned.dir, parseModelRef('acme/bert-tuned@2.0.0'), {
      signaturePath: tuned.signaturePath,
      publicKeyPem: tuned.key.publicKeyPem,
      bomPath,
    });
  });
  afterAll(async () => registry.app.close());

  it('answers ancestors, descendants and derived-from-dataset', async () => {
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    const tuned = await admin.json<{ ancestors: { version?: { model: string }; node: { kind: string } }[] }>(
      'GET',
      '/v1/lineage/acme/bert-tuned/2.0.0',
    );
    expect(tuned.ancestors.map((a) => [a.node.kind, a.version?.model ?? null])).toEqual([
      ['model', 'bert-base'],
      ['dataset', null],
    ]);
    const base = await admin.json<{ descendants: { model: string }[] }>('GET', '/v1/lineage/acme/bert-base/1.0.0');
    expect(base.descendants.map((d) => d.model)).toEqual(['bert-tuned']);
    const derived = await admin.json<{ versions: { model: string }[] }>('GET', `/v1/lineage/derived?digest=${DATASET}`);
    expect(derived.versions.map((d) => d.model)).toEqual(['bert-tuned']);
    const anonymous = await fetch(`${url}/v1/lineage/derived?digest=${DATASET}`);
    expect(((await anonymous.json()) as { versions: unknown[] }).versions).toEqual([]);
  });

  it('finds the versions derived from a dataset or base model by a fragment of its name, only where readable', async () => {
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    type Named = { targets: { node: { kind: string; name?: string }; versions: { model: string }[] }[]; truncated?: true };
    const squad = await admin.json<Named>('GET', '/v1/lineage/derived?name=SQu');
    expect(squad.targets.map((t) => [t.node.kind, t.node.name, t.versions.map((v) => v.model)])).toEqual([
      ['dataset', 'squad', ['bert-tuned']],
    ]);
    expect(squad.truncated).toBeUndefined();
    const base = await admin.json<Named>('GET', '/v1/lineage/derived?name=bert-base');
    expect(base.targets.map((t) => [t.node.kind, t.versions.map((v) => v.model)])).toEqual([['model', ['bert-tuned']]]);
    expect((await admin.json<Named>('GET', '/v1/lineage/derived?name=%25')).targets).toEqual([]);
    // acme is private: an anonymous reader learns nothing of its lineage.
    const anonymous = await fetch(`${url}/v1/lineage/derived?name=squad`);
    expect(((await anonymous.json()) as Named).targets).toEqual([]);
    // Exactly one of digest and name.
    expect((await fetch(`${url}/v1/lineage/derived?name=squad&digest=${DATASET}`)).status).toBe(400);
    expect((await fetch(`${url}/v1/lineage/derived`)).status).toBe(400);
    expect((await fetch(`${url}/v1/lineage/derived?name=${'a'.repeat(257)}`)).status).toBe(400);
  });

  it('modelsec lineage prints the tree, dot and mermaid', async () => {
    const env = { MODELSEC_TOKEN: ADMIN };
    const text = await runCli(['lineage', 'acme/bert-tuned@2.0.0', '--registry', url], { env });
    // Only the warning that the registry URL is plain http:// (loopback here).
    expect(text.stderr).toMatch(/^warning: http:\/\/127\.0\.0\.1:\d+ is plain http:\/\/[^\n]*\n$/);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('acme/bert-tuned@2.0.0');
    expect(text.stdout).toMatch(/derived-from .*acme\/bert-base@1\.0\.0/);
    expect(text.stdout).toMatch(/trained-on .*squad/);
    const dot = await runCli(['lineage', 'acme/bert-tuned@2.0.0', '--registry', url, '--format', 'dot'], { env });
    expect(dot.stdout).toMatch(/^digraph lineage \{/);
    expect(dot.stdout).toContain('"acme/bert-tuned@2.0.0" -> "acme/bert-base@1.0.0"');
    const mermaid = await runCli(['lineage', 'acme/bert-tuned@2.0.0', '--registry', url, '--format', 'mermaid'], { env });
    expect(mermaid.stdout).toMatch(/^graph BT/);
  });
});
