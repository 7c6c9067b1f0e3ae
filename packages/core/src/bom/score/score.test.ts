import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, describeWithCorpus } from '#test-support/corpora';
import type { ModelsecError } from '../../errors/index.js';
import { validateCycloneDx } from '../validate/validate.js';
import { RUBRIC, SCORE_CATEGORIES } from './rubric.js';
import { scoreCycloneDx, tierOf } from './score.js';

const EXAMPLES = corpusPath('cyclonedx/examples');
const DOCS = new URL('../../../../../docs/mlbom.md', import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: tests poke into a hand-written BOM
type AnyRecord = Record<string, any>;
type Bom = ReturnType<typeof fullBom> & { components: AnyRecord[] };

function score(bom: unknown) {
  return scoreCycloneDx(JSON.stringify(bom));
}

describe('the rubric', () => {
  it('has unique ids, weights summing to 100, and the documented category totals', () => {
    expect(new Set(RUBRIC.map((f) => f.id)).size).toBe(RUBRIC.length);
    expect(RUBRIC.reduce((s, f) => s + f.weight, 0)).toBe(100);
    const totals = Object.fromEntries(
      SCORE_CATEGORIES.map((c) => [c.id, RUBRIC.filter((f) => f.category === c.id).reduce((s, f) => s + f.weight, 0)]),
    );
    expect(totals).toEqual({ document: 10, model: 25, modelCard: 40, provenance: 25 });
  });

  it('is documented in docs/mlbom.md row by row (id, weight, tier, path, reason)', () => {
    const docs = readFileSync(DOCS, 'utf8');
    for (const f of RUBRIC) {
      expect(docs).toContain(`| \`${f.id}\` | ${f.weight} | ${tierOf(f.weight)} | \`${f.path}\` | ${f.why} |`);
    }
  });
});

describe('scoreCycloneDx', () => {
  it('gives 100 to a valid BOM with every field', () => {
    const bom = fullBom();
    expect(validateCycloneDx(JSON.stringify(bom)).errors).toEqual([]);
    const result = score(bom);
    expect(result.missing).toEqual([]);
    expect(result).toMatchObject({
      score: 100,
      profile: 'advanced',
      valid: true,
      model: { name: 'tiny-llama', bomRef: 'model' },
    });
  });

  it('lists what is missing, heaviest first, and sub-scores each category', () => {
    const bom = fullBom() as Bom;
    const model = bom.components[0] as Record<string, unknown>;
    delete model.licenses;
    delete model.description;
    delete (model.modelCard as AnyRecord).considerations.users;
    const result = score(bom);
    expect(result.score).toBe(100 - 4 - 2 - 1);
    expect(result.missing.map((m) => [m.id, m.weight, m.status])).toEqual([
      ['model.licenses', 4, 'absent'],
      ['model.description', 2, 'absent'],
      ['modelCard.users', 1, 'absent'],
    ]);
    expect(result.categories.find((c) => c.id === 'model')).toMatchObject({ score: 19, max: 25, percent: 76 });
  });

  it('scores nothing for a field inside an invalid shape (the OWASP generator ethicalConsiderations shape)', () => {
    const bom = fullBom() as Bom;
    (bom.components[0] as AnyRecord).modelCard.considerations.ethicalConsiderations = [
      { name: 'bias', description: 'not allowed in 1.6' },
    ];
    const result = score(bom);
    expect(result.valid).toBe(false);
    expect(result.missing).toEqual([expect.objectContaining({ id: 'modelCard.ethicalConsiderations', status: 'invalid' })]);
    expect(result.score).toBe(97);
  });

  it('does not credit weak hashes for integrity', () => {
    const bom = fullBom() as Bom;
    for (const c of bom.components) if (c.type === 'file') c.hashes = [{ alg: 'MD5', content: 'a'.repeat(32) }];
    const ids = score(bom).missing.map((m) => m.id);
    expect(ids).toContain('model.integrity');
    expect(ids).toContain('provenance.fileHashes');
  });

  it('scores a BOM without a model low, and refuses XML and non-BOMs', () => {
    const result = score({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'x' }] });
    expect(result.model).toBeUndefined();
    // Only the document category can score: spec version 1.6.
    expect(result.score).toBe(2);
    expect(result.categories.filter((c) => c.score > 0).map((c) => c.id)).toEqual(['document']);
    expect(result.profile).toBe('minimal');
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as ModelsecError).code;
      }
    };
    expect(code(() => scoreCycloneDx('<bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>'))).toBe('BOM_UNSUPPORTED_SPEC');
    expect(code(() => scoreCycloneDx('{"hello": 1}'))).toBe('BOM_NOT_RECOGNISED');
  });
});

describeWithCorpus('official CycloneDX ML examples (corpus)', EXAMPLES !== undefined, () => {
  it.each(['valid-machine-learning-1.6.json', 'valid-machine-learning-1.7.json'])(
    '%s: rich card, no identity or provenance',
    (f) => {
      const result = scoreCycloneDx(readFileSync(`${EXAMPLES}/${f}`, 'utf8'));
      expect(result.valid).toBe(true);
      expect(result.model?.name).toBe('stable-diffusion');
      const missing = result.missing.map((m) => m.id);
      expect(missing).toEqual(
        expect.arrayContaining(['model.integrity', 'model.licenses', 'model.purl', 'provenance.dependencyGraph']),
      );
      expect(missing).not.toContain('modelCard.task');
      expect(result.categories.find((c) => c.id === 'modelCard')?.score).toBeGreaterThanOrEqual(30);
      expect(result.score).toBe(100 - result.missing.reduce((s, m) => s + m.weight, 0));
    },
  );
});

/** A hand-written CycloneDX 1.6 ML-BOM with every field of the rubric present and valid (test helper). */
function fullBom(): Record<string, unknown> {
  const sha = (c: string) => ({ alg: 'SHA-256', content: c.repeat(64).slice(0, 64) });
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    metadata: {
      timestamp: '2024-06-01T00:00:00Z',
      tools: { components: [{ type: 'application', name: 'modelsec', version: '0.1.0' }] },
      component: { type: 'application', name: 'serving', 'bom-ref': 'app' },
    },
    components: [
      {
        type: 'machine-learning-model',
        'bom-ref': 'model',
        name: 'tiny-llama',
        group: 'example',
        version: '0123456789abcdef0123456789abcdef01234567',
        purl: 'pkg:huggingface/example/tiny-llama@0123456789abcdef0123456789abcdef01234567',
        description: 'A tiny llama for tests.',
        supplier: { name: 'Example' },
        licenses: [{ license: { id: 'Apache-2.0' } }],
        tags: ['text-generation'],
        properties: [{ name: 'cdx:ai-ml:model:parameter:count', value: '1100000' }],
        externalReferences: [{ type: 'model-card', url: 'https://huggingface.co/example/tiny-llama' }],
        pedigree: { ancestors: [{ type: 'machine-learning-model', name: 'llama-base' }] },
        modelCard: {
          modelParameters: {
            approach: { type: 'self-supervised' },
            task: 'text-generation',
            architectureFamily: 'llama',
            modelArchitecture: 'LlamaForCausalLM',
            datasets: [{ ref: 'dataset' }],
            inputs: [{ format: 'text' }],
            outputs: [{ format: 'text' }],
          },
          quantitativeAnalysis: { performanceMetrics: [{ type: 'accuracy', value: '0.5', slice: 'hellaswag' }] },
          considerations: {
            users: ['researchers'],
            useCases: ['text completion'],
            technicalLimitations: ['hallucinates'],
            performanceTradeoffs: ['small and fast, less accurate'],
            ethicalConsiderations: [{ name: 'bias', mitigationStrategy: 'evaluate before use' }],
            environmentalConsiderations: { properties: [{ name: 'co2_eq_emissions', value: '10' }] },
          },
        },
      },
      {
        type: 'data',
        'bom-ref': 'dataset',
        name: 'tiny-corpus',
        data: [{ type: 'dataset', name: 'tiny-corpus', classification: 'public' }],
      },
      { type: 'file', 'bom-ref': 'file-weights', name: 'model.safetensors', hashes: [sha('a')] },
      { type: 'file', 'bom-ref': 'file-config', name: 'config.json', hashes: [sha('b')] },
      { type: 'library', 'bom-ref': 'lib-torch', name: 'torch', version: '2.3.1', purl: 'pkg:pypi/torch@2.3.1' },
    ],
    dependencies: [{ ref: 'model', dependsOn: ['dataset', 'file-config', 'file-weights', 'lib-torch'] }],
  };
}
