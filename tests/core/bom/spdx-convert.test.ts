import { readFileSync } from 'node:fs';
import {
  cycloneDxToSpdx3,
  fixedClock,
  licenseExpression,
  type ModelsecError,
  stableJson,
  validateCycloneDx,
  validateSpdx3,
} from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { corpusPath, describeWithCorpus } from '../../helpers/corpora.js';

const EXAMPLES = corpusPath('cyclonedx/examples');
type Node = Record<string, unknown>;

function mlBom(): Node {
  const sha = (c: string) => ({ alg: 'SHA-256', content: c.repeat(64) });
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    metadata: {
      timestamp: '2024-06-01T12:34:56.789Z',
      tools: { components: [{ type: 'application', name: 'modelsec', version: '0.1.0' }] },
    },
    components: [
      {
        type: 'machine-learning-model',
        'bom-ref': 'model',
        group: 'example',
        name: 'tiny-llama',
        version: '0123456789abcdef0123456789abcdef01234567',
        purl: 'pkg:huggingface/example/tiny-llama@0123456789abcdef0123456789abcdef01234567',
        supplier: { name: 'Example Org' },
        authors: [{ name: 'Ada' }],
        licenses: [{ license: { id: 'Apache-2.0' } }],
        hashes: [sha('c')],
        properties: [
          { name: 'cdx:ai-ml:model:hyperparameter:hidden_size', value: '64' },
          { name: 'cdx:ai-ml:model:parameter:count', value: '1100000' },
        ],
        externalReferences: [{ type: 'website', url: 'https://huggingface.co/example/tiny-llama' }],
        pedigree: { ancestors: [{ type: 'machine-learning-model', 'bom-ref': 'base', name: 'llama-base' }] },
        modelCard: {
          modelParameters: {
            approach: { type: 'self-supervised' },
            task: 'text-generation',
            architectureFamily: 'llama',
            modelArchitecture: 'LlamaForCausalLM',
            datasets: [{ ref: 'train-data' }, { type: 'dataset', name: 'inline-corpus', classification: 'public' }],
          },
          quantitativeAnalysis: { performanceMetrics: [{ type: 'accuracy', value: '0.61', slice: 'eval-data test' }] },
          considerations: {
            useCases: ['chat'],
            technicalLimitations: ['hallucinates'],
            ethicalConsiderations: [{ name: 'bias', mitigationStrategy: 'evaluate' }],
            environmentalConsiderations: {
              energyConsumptions: [
                {
                  activity: 'training',
                  energyProviders: [
                    { organization: { name: 'grid' }, energySource: 'unknown', energyProvided: { value: 1, unit: 'kWh' } },
                  ],
                  activityEnergyCost: { value: 12.5, unit: 'kWh' },
                },
              ],
            },
          },
        },
      },
      {
        type: 'data',
        'bom-ref': 'train-data',
        name: 'train-data',
        data: [{ type: 'dataset', name: 'train-data', classification: 'public' }],
      },
      { type: 'data', 'bom-ref': 'eval-data', name: 'eval-data' },
      { type: 'file', 'bom-ref': 'file-weights', name: 'model.safetensors', hashes: [sha('a')] },
      {
        type: 'library',
        'bom-ref': 'lib-torch',
        name: 'torch',
        version: '2.3.1',
        purl: 'pkg:pypi/torch@2.3.1',
        licenses: [{ license: { name: 'BSD 3 clause style' } }],
      },
    ],
    dependencies: [{ ref: 'model', dependsOn: ['eval-data', 'file-weights', 'lib-torch', 'train-data'] }],
  };
}

function graph(doc: Node): Node[] {
  return doc['@graph'] as Node[];
}

function byType(doc: Node, type: string): Node[] {
  return graph(doc).filter((n) => n.type === type);
}

function rel(doc: Node, type: string): Node[] {
  return byType(doc, 'Relationship').filter((r) => r.relationshipType === type);
}

describe('cycloneDxToSpdx3', () => {
  const doc = cycloneDxToSpdx3(mlBom());
  const model = byType(doc, 'ai_AIPackage').find((n) => n.name === 'example/tiny-llama') as Node;
  const idByName = (name: string) => graph(doc).find((n) => n.name === name)?.spdxId;

  it('starts from a schema-valid CycloneDX 1.6 BOM', () => {
    expect(validateCycloneDx(JSON.stringify(mlBom())).errors).toEqual([]);
  });

  it('validates against the SPDX 3.0.1 JSON schema and resolves every reference', () => {
    const result = validateSpdx3(doc);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc['@context']).toBe('https://spdx.org/rdf/3.0.1/spdx-context.jsonld');
  });

  it('maps the model to an AIPackage with its AI profile properties', () => {
    expect(model).toMatchObject({
      software_packageVersion: '0123456789abcdef0123456789abcdef01234567',
      software_packageUrl: 'pkg:huggingface/example/tiny-llama@0123456789abcdef0123456789abcdef01234567',
      software_primaryPurpose: 'model',
      ai_typeOfModel: ['llama', 'LlamaForCausalLM'],
      ai_domain: ['text-generation'],
      ai_hyperparameter: [{ type: 'DictionaryEntry', key: 'hidden_size', value: '64' }],
      ai_metric: [{ type: 'DictionaryEntry', key: 'accuracy (eval-data test)', value: '0.61' }],
      ai_informationAboutApplication: 'chat',
      verifiedUsing: [{ type: 'Hash', algorithm: 'sha256', hashValue: 'c'.repeat(64) }],
      ai_energyConsumption: {
        type: 'ai_EnergyConsumption',
        ai_trainingEnergyConsumption: [
          { type: 'ai_EnergyConsumptionDescription', ai_energyQuantity: 12.5, ai_energyUnit: 'kilowattHour' },
        ],
      },
    });
    expect(model.ai_limitation).toContain('hallucinates');
    expect(model.ai_limitation).toContain('bias (mitigation: evaluate)');
    expect(model.ai_informationAboutTraining).toBe('approach: self-supervised; datasets: train-data, inline-corpus');
    expect(model.suppliedBy).toBe(idByName('Example Org'));
    expect(model.originatedBy).toEqual([idByName('Ada')]);
    // Non-hyperparameter properties keep their CycloneDX names in the CycloneDX extension.
    expect(JSON.stringify(model.extension)).toContain('cdx:ai-ml:model:parameter:count');
  });

  it('makes datasets DatasetPackages with trainedOn and testedOn relationships', () => {
    const datasets = byType(doc, 'dataset_DatasetPackage');
    expect(datasets.map((d) => d.name).sort()).toEqual(['eval-data', 'inline-corpus', 'train-data']);
    expect(datasets.every((d) => Array.isArray(d.dataset_datasetType))).toBe(true);
    expect(datasets.find((d) => d.name === 'train-data')?.dataset_confidentialityLevel).toBe('clear');
    expect(rel(doc, 'trainedOn')).toEqual([
      expect.objectContaining({ from: model.spdxId, to: [idByName('inline-corpus'), idByName('train-data')].sort() }),
    ]);
    expect(rel(doc, 'testedOn')).toEqual([expect.objectContaining({ from: model.spdxId, to: [idByName('eval-data')] })]);
  });

  it('treats a referenced dataset that a metric was measured on as evaluation data (testedOn, not trainedOn)', () => {
    const bom = mlBom();
    const model = (bom.components as Node[])[0] as Node;
    const card = model.modelCard as {
      modelParameters: { datasets: unknown[] };
      quantitativeAnalysis: { performanceMetrics: Node[] };
    };
    card.modelParameters.datasets.push({ ref: 'eval-data' });
    (card.quantitativeAnalysis.performanceMetrics[0] as Node).slice = 'Eval Data (test split)';
    (bom.dependencies as Node[])[0] = { ref: 'model', dependsOn: ['file-weights', 'lib-torch'] };
    const out = cycloneDxToSpdx3(bom);
    const id = (name: string) => graph(out).find((n) => n.name === name)?.spdxId;
    const [trained] = rel(out, 'trainedOn');
    const [tested] = rel(out, 'testedOn');
    expect(trained?.to).toEqual([id('inline-corpus'), id('train-data')].sort());
    expect(tested?.to).toEqual([id('eval-data')]);
    expect(validateSpdx3(out).errors).toEqual([]);
  });

  it('maps files, licences, dependencies and the base model', () => {
    expect(rel(doc, 'contains')).toEqual([expect.objectContaining({ from: model.spdxId, to: [idByName('model.safetensors')] })]);
    expect(byType(doc, 'software_File')[0]).toMatchObject({
      software_fileKind: 'file',
      verifiedUsing: [{ algorithm: 'sha256' }],
    });
    expect(rel(doc, 'dependsOn')).toEqual([expect.objectContaining({ from: model.spdxId, to: [idByName('torch')] })]);
    const expressions = byType(doc, 'simplelicensing_LicenseExpression').map((l) => l.simplelicensing_licenseExpression);
    expect(expressions.sort()).toEqual(['Apache-2.0', 'LicenseRef-BSD-3-clause-style']);
    expect(rel(doc, 'hasDeclaredLicense')).toHaveLength(2);
    expect(rel(doc, 'ancestorOf')).toEqual([expect.objectContaining({ from: idByName('llama-base'), to: [model.spdxId] })]);
  });

  it('takes CreationInfo from the BOM timestamp (whole seconds) and lists every element in the document', () => {
    const info = byType(doc, 'CreationInfo')[0] as Node;
    expect(info).toMatchObject({ '@id': '_:creationinfo', specVersion: '3.0.1', created: '2024-06-01T12:34:56Z' });
    const document = byType(doc, 'SpdxDocument')[0] as Node;
    expect(document.rootElement).toEqual([model.spdxId]);
    const ids = graph(doc)
      .filter((n) => typeof n.spdxId === 'string' && n.type !== 'SpdxDocument')
      .map((n) => n.spdxId);
    expect(document.element).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is deterministic: same BOM, same bytes; without a timestamp the injected clock is used', () => {
    expect(stableJson(cycloneDxToSpdx3(mlBom()))).toBe(stableJson(doc));
    const bom = mlBom();
    delete (bom.metadata as Node).timestamp;
    const out = cycloneDxToSpdx3(bom, { clock: fixedClock('2020-01-02T03:04:05Z') });
    expect(byType(out, 'CreationInfo')[0]?.created).toBe('2020-01-02T03:04:05Z');
  });

  it('refuses non-BOMs and CycloneDX before 1.6', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as ModelsecError).code;
      }
    };
    expect(code(() => cycloneDxToSpdx3('{"spdxVersion":"SPDX-2.3"}'))).toBe('BOM_NOT_RECOGNISED');
    expect(code(() => cycloneDxToSpdx3({ ...mlBom(), specVersion: '1.5' }))).toBe('BOM_UNSUPPORTED_SPEC');
  });
});

describe('validateSpdx3 catches what it must', () => {
  it('a DatasetPackage without datasetType, an unknown relationship type and a dangling reference', () => {
    const doc = cycloneDxToSpdx3(mlBom());
    const g = graph(doc);
    delete (g.find((n) => n.type === 'dataset_DatasetPackage') as Node).dataset_datasetType;
    (g.find((n) => n.type === 'Relationship') as Node).relationshipType = 'trainedWith';
    (g.find((n) => n.relationshipType === 'contains') as Node).to = ['urn:modelsec:spdx:nowhere'];
    const result = validateSpdx3(doc);
    expect(result.valid).toBe(false);
    expect(result.errors.some((e) => e.message.includes('not in the graph'))).toBe(true);
    expect(result.errors.length).toBeGreaterThan(2);
  });

  it('licenseExpression joins ids, names and expressions', () => {
    expect(licenseExpression([{ license: { id: 'MIT' } }, { license: { name: 'Custom Licence v2' } }])).toBe(
      'MIT AND LicenseRef-Custom-Licence-v2',
    );
    expect(licenseExpression([{ expression: 'Apache-2.0 OR MIT' }])).toBe('Apache-2.0 OR MIT');
    expect(licenseExpression([])).toBeUndefined();
  });
});

describeWithCorpus('official CycloneDX ML examples convert to valid SPDX 3.0.1 (corpus)', EXAMPLES !== undefined, () => {
  it.each([
    'valid-machine-learning-1.6.json',
    'valid-machine-learning-1.7.json',
    'valid-machine-learning-considerations-env-1.6.json',
    'valid-component-data-1.7.json',
  ])('%s', (file) => {
    const doc = cycloneDxToSpdx3(readFileSync(`${EXAMPLES}/${file}`, 'utf8'), { clock: fixedClock(0) });
    expect(validateSpdx3(doc).errors).toEqual([]);
  });
});
