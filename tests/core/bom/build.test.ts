import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyXmlExtensions,
  type FileReport,
  fixedClock,
  type GenerateModelBomOptions,
  generateModelBom,
  normaliseLicense,
  readGitHead,
  scanReportsToAttachment,
  scoreCycloneDx,
  validateCycloneDx,
} from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const MODELS = join(REPO_ROOT, 'fixtures', 'models');
const HF_DIR = join(MODELS, 'hf-tiny-llama');
const clock = fixedClock('2024-06-01T00:00:00Z');
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: assertions walk BOM JSON of many shapes
type Json = Record<string, any>;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const COMBOS = [
  ['1.6', 'json'],
  ['1.7', 'json'],
  ['1.6', 'xml'],
  ['1.7', 'xml'],
] as const;

/** Generates all four spec/format combinations, checks each against the official schema, returns the 1.6 JSON. */
async function generateAll(target: string, options: GenerateModelBomOptions = {}) {
  let json16: Json | undefined;
  let warnings: { file: string; message: string }[] = [];
  for (const [spec, format] of COMBOS) {
    const result = await generateModelBom(target, { clock, deps: 'auto', ...options, spec, format });
    const check = validateCycloneDx(result.text);
    expect(check.errors, `${spec} ${format}`).toEqual([]);
    expect(check).toMatchObject({ valid: true, specVersion: spec, format });
    if (spec === '1.6' && format === 'json') {
      json16 = JSON.parse(result.text);
      warnings = result.warnings;
    }
  }
  return { bom: json16!, warnings };
}

const props = (c: Json) =>
  new Map<string, string[]>(
    (c.properties ?? []).reduce(
      (m: Map<string, string[]>, p: Json) => m.set(p.name, [...(m.get(p.name) ?? []), p.value]),
      new Map(),
    ),
  );
const prop = (c: Json, name: string) => props(c).get(name)?.[0];

describe('ML-BOM of the Hugging Face style fixture directory', async () => {
  const { bom, warnings } = await generateAll(HF_DIR);
  const model = bom.metadata.component as Json;

  it('has no warnings and valid 1.6/1.7 JSON and XML (checked in generateAll)', () => {
    expect(warnings).toEqual([]);
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata.timestamp).toBe('2024-06-01T00:00:00.000Z');
  });

  it('lists every file with the SHA-256 sha256sum would print', () => {
    const files = (bom.components as Json[]).filter((c) => c.type === 'file');
    const names = files.map((f) => f.name).sort();
    expect(names).toEqual(
      [
        'README.md',
        'config.json',
        'generation_config.json',
        'model-00001-of-00002.safetensors',
        'model-00002-of-00002.safetensors',
        'model.safetensors.index.json',
        'poetry.lock',
        'pyproject.toml',
        'requirements.txt',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    for (const f of files) expect(f.hashes).toEqual([{ alg: 'SHA-256', content: sha256(join(HF_DIR, f.name)) }]);
  });

  it('describes the model from the card and config', () => {
    expect(model).toMatchObject({
      type: 'machine-learning-model',
      name: 'hf-tiny-llama',
      licenses: [{ license: { id: 'Apache-2.0' } }],
    });
    expect(model.authors).toEqual([{ name: 'Tiny Org Research' }]);
    expect(model.description).toMatch(/two-layer Llama/);
    expect(model.tags).toEqual(['llama', 'text-generation', 'tiny']);
    expect(model.pedigree.ancestors).toEqual([
      expect.objectContaining({
        type: 'machine-learning-model',
        group: 'tiny-org',
        name: 'tiny-llama-base',
        purl: 'pkg:huggingface/tiny-org/tiny-llama-base',
      }),
    ]);
    const mp = model.modelCard.modelParameters;
    expect(mp).toMatchObject({ task: 'text-generation', architectureFamily: 'llama', modelArchitecture: 'LlamaForCausalLM' });
    expect(mp.inputs).toEqual([{ format: 'text' }]);
    const dataRefs = mp.datasets.map((d: Json) => d.ref);
    const dataComponents = (bom.components as Json[]).filter((c) => c.type === 'data');
    expect(dataRefs).toEqual(dataComponents.map((c) => c['bom-ref']));
    expect(dataComponents.map((c) => c.data[0].name)).toEqual(['tiny-org/tiny-corpus', 'tiny-org/tiny-eval']);
    expect(model.modelCard.quantitativeAnalysis.performanceMetrics).toEqual([
      { type: 'accuracy', value: '0.42', slice: 'Tiny Eval (test)' },
      { type: 'perplexity', value: '12.3', slice: 'Tiny Eval (test)' },
    ]);
    const c = model.modelCard.considerations;
    expect(c.useCases).toHaveLength(2);
    expect(c.technicalLimitations[0]).toMatch(/random bytes/);
    expect(c.ethicalConsiderations[0].name).toMatch(/no learned bias/);
    expect(c.environmentalConsiderations.properties).toContainEqual({
      name: 'huggingface:co2_eq_emissions:emissions_grams',
      value: '12.5',
    });
  });

  it('reads parameters and dtypes from both safetensors shards, hyperparameters and the chat template', () => {
    // shard 1: 32*16 + 16*32 + 32*16 + 16*16 ; shard 2: 32*16 + 16*32 + 16*16 + 16 (all BF16 but the F32 norm)
    const bf16 = 512 + 512 + 512 + 256 + 512 + 512 + 256;
    expect(prop(model, 'cdx:ai-ml:model:parameter:count')).toBe(String(bf16 + 16));
    expect(prop(model, 'cdx:ai-ml:model:parameter:dtype:BF16')).toBe(String(bf16));
    expect(prop(model, 'cdx:ai-ml:model:parameter:dtype:F32')).toBe('16');
    expect(prop(model, 'cdx:ai-ml:model:hyperparameter:hidden_size')).toBe('16');
    expect(prop(model, 'cdx:ai-ml:model:hyperparameter:num_hidden_layers')).toBe('2');
    expect(prop(model, 'cdx:ai-ml:model:hyperparameter:tokenizer_class')).toBe('LlamaTokenizer');
    expect(prop(model, 'cdx:ai-ml:model:template:chat')).toMatch(/add_generation_prompt/);
    expect(props(model).get('cdx:ai-ml:model:language')).toEqual(['en', 'fr']);
  });

  it('includes lockfile packages with purls, hashes and the graph, and the framework', () => {
    const libs = new Map((bom.components as Json[]).filter((c) => c.type === 'library').map((c) => [c.purl, c]));
    expect([...libs.keys()]).toEqual(
      expect.arrayContaining([
        'pkg:pypi/transformers@4.44.0',
        'pkg:pypi/huggingface-hub@0.24.5',
        'pkg:pypi/torch@2.3.1',
        'pkg:pypi/pyyaml@6.0.2',
      ]),
    );
    const transformers = libs.get('pkg:pypi/transformers@4.44.0')!;
    expect(transformers.hashes).toEqual([
      { alg: 'SHA-256', content: createHash('sha256').update('transformers-4.44.0').digest('hex') },
    ]);
    const deps = new Map((bom.dependencies as Json[]).map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get('pkg:pypi/transformers@4.44.0')).toEqual(
      expect.arrayContaining(['pkg:pypi/huggingface-hub@0.24.5', 'pkg:pypi/safetensors@0.4.3']),
    );
    expect(deps.get('model')).toContain('pkg:pypi/transformers@4.44.0');
  });

  it('scores at least 85 with the completeness rubric', () => {
    const score = scoreCycloneDx(JSON.stringify(bom));
    expect(score.score).toBeGreaterThanOrEqual(85);
  });

  it('is byte-identical across runs for the same input and clock, and the serial follows the content', async () => {
    const a = await generateModelBom(HF_DIR, { clock, deps: 'auto' });
    const b = await generateModelBom(HF_DIR, { clock, deps: 'auto' });
    expect(a.text).toBe(b.text);
    const xml = await generateModelBom(HF_DIR, { clock, deps: 'auto', format: 'xml', spec: '1.7' });
    expect(xml.text).toContain(`serialNumber="${JSON.parse(a.text).serialNumber}"`);
    const other = await generateModelBom(HF_DIR, { clock, deps: 'none' });
    expect(JSON.parse(other.text).serialNumber).not.toBe(JSON.parse(a.text).serialNumber);
  });
});

describe('single model files', () => {
  it('GGUF: architecture, quantisation, context length, chat template, hashes on the model', async () => {
    const { bom, warnings } = await generateAll(join(MODELS, 'tiny.gguf'));
    expect(warnings).toEqual([]);
    const model = bom.metadata.component;
    expect(model.hashes).toEqual([{ alg: 'SHA-256', content: sha256(join(MODELS, 'tiny.gguf')) }]);
    expect(model.licenses).toEqual([{ license: { id: 'MIT' } }]);
    expect(model.modelCard.modelParameters.architectureFamily).toBe('llama');
    expect(prop(model, 'cdx:ai-ml:model:quantization')).toBe('F16');
    expect(prop(model, 'cdx:ai-ml:model:hyperparameter:context_length')).toBe('4096');
    expect(prop(model, 'cdx:ai-ml:model:parameter:count')).toBe(String(16 * 8 + 16));
    expect(prop(model, 'cdx:ai-ml:model:template:chat')).toMatch(/message\['role'\]/);
  });

  it('ONNX: opset and producer', async () => {
    const { bom } = await generateAll(join(MODELS, 'tiny.onnx'));
    const model = bom.metadata.component;
    expect(prop(model, 'cdx:ai-ml:model:onnx:opset')).toBe('17');
    expect(prop(model, 'cdx:ai-ml:model:onnx:producer')).toBe('modelsec-fixtures 1.0');
    expect(model.hashes[0].content).toBe(sha256(join(MODELS, 'tiny.onnx')));
  });

  it('PyTorch zip checkpoint: member and storage counts from the central directory', async () => {
    const { bom } = await generateAll(join(MODELS, 'tiny-checkpoint.pt'));
    const model = bom.metadata.component;
    expect(prop(model, 'cdx:ai-ml:model:pytorch:zip_members')).toBe('4');
    expect(prop(model, 'cdx:ai-ml:model:pytorch:tensor_storages')).toBe('1');
    // data.pkl through the symbolic pickle VM: one _rebuild_tensor_v2 call over a FloatStorage.
    expect(prop(model, 'cdx:ai-ml:model:pytorch:tensors')).toBe('1');
    expect(prop(model, 'cdx:ai-ml:model:pytorch:storage_dtypes')).toBe('F32');
  });
});

describe('hostile inputs: a warning naming the file and a still-valid BOM', () => {
  it.each([
    ['card-yaml-malformed', 'README.md', /malformed YAML/],
    ['config-not-json', 'config.json', /not valid JSON/],
    ['safetensors-header-lies', 'model.safetensors', /data_offsets .* lie outside/],
    ['lockfile-garbage', 'poetry.lock', /TOML/],
  ])('%s', async (dir, file, pattern) => {
    const { bom, warnings } = await generateAll(join(MODELS, 'hostile', dir));
    expect(warnings.some((w) => w.file === file && pattern.test(w.message) && w.message.includes(file))).toBe(true);
    expect(bom.metadata.component.type).toBe('machine-learning-model');
    if (dir === 'safetensors-header-lies')
      expect(prop(bom.metadata.component, 'cdx:ai-ml:model:parameter:count')).toBeUndefined();
  });
});

describe('a sharded checkpoint with a shard missing', () => {
  it('warns naming the index and the shard, and still builds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelsec-shards-'));
    scratch.push(dir);
    for (const f of ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors'])
      cpSync(join(HF_DIR, f), join(dir, f));
    const { bom, warnings } = await generateAll(dir);
    expect(warnings).toEqual([
      expect.objectContaining({
        file: 'model.safetensors.index.json',
        message: expect.stringContaining('model-00002-of-00002.safetensors'),
      }),
    ]);
    expect(bom.metadata.component.modelCard.modelParameters.architectureFamily).toBe('llama');
  });
});

describe('characters XML cannot carry', () => {
  it('are escaped visibly, so the XML BOM stays valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelsec-ctrl-'));
    scratch.push(dir);
    writeFileSync(
      join(dir, 'README.md'),
      '---\nlicense: mit\ntags: ["bell\\u0007"]\npipeline_tag: text-generation\n---\n\n# m\n\nNUL \u0000 here.\n\n## Limitations\n\n- form feed \f in a list\n',
    );
    writeFileSync(join(dir, 'config.json'), '{"model_type": "x\\ud800", "architectures": ["A\\u0001"]}');
    writeFileSync(join(dir, 'weird\u0002name.txt'), 'x');
    const { bom, warnings } = await generateAll(dir);
    expect(warnings).toEqual([]);
    const model = bom.metadata.component;
    expect(model.tags).toEqual(['bell\\u{0007}']);
    expect(model.modelCard.modelParameters.architectureFamily).toBe('x\\u{d800}');
    expect(model.modelCard.considerations.technicalLimitations).toEqual(['form feed \\u{000c} in a list']);
    expect((bom.components as Json[]).map((c) => c.name)).toContain('weird\\u{0002}name.txt');
  });
});

describe('git HEAD of a local clone (read from .git files, no git binary)', () => {
  it('sets version to the full commit SHA from a packed ref', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelsec-git-'));
    scratch.push(dir);
    cpSync(join(MODELS, 'tiny.onnx'), join(dir, 'model.onnx'));
    mkdirSync(join(dir, '.git'));
    const sha = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.git', 'packed-refs'), `# pack-refs with: peeled\n${sha} refs/heads/main\n`);
    expect(await readGitHead(dir)).toBe(sha);
    const { bom } = await generateAll(dir);
    expect(bom.metadata.component.version).toBe(sha);
    expect((bom.components as Json[]).map((c) => c.name)).toEqual(['model.onnx']);
  });
});

describe('a local clone of a Hub repo', () => {
  it('takes the repo id from the origin URL in .git/config and the commit from HEAD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelsec-clone-'));
    scratch.push(dir);
    cpSync(join(MODELS, 'tiny.gguf'), join(dir, 'model.gguf'));
    mkdirSync(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    const sha = '0123456789abcdef0123456789abcdef01234567';
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), `${sha}\n`);
    writeFileSync(join(dir, '.git', 'config'), '[remote "origin"]\n\turl = https://huggingface.co/some-org/some-model\n');
    const { bom } = await generateAll(dir);
    expect(bom.metadata.component).toMatchObject({
      group: 'some-org',
      name: 'some-model',
      version: sha,
      purl: `pkg:huggingface/some-org/some-model@${sha}`,
    });
  });
});

describe('scan results attached (the --scan seam)', () => {
  it('adds per-file properties and findings as vulnerabilities with the tool as source, valid in every format', async () => {
    const { bom } = await generateAll(join(MODELS, 'tiny-checkpoint.pt'), {
      scan: async (facts) => ({
        tool: { name: 'modelsec', version: '0.1.0' },
        files: facts.files.map((f) => ({ path: f.path, properties: [{ name: 'modelsec:scan:verdict', value: 'unsafe' }] })),
        findings: [
          {
            id: 'PICKLE_GLOBAL_UNSAFE',
            file: 'tiny-checkpoint.pt',
            severity: 'critical',
            description: 'os.system imported by a pickle',
            detail: 'data.pkl offset 2',
          },
        ],
      }),
    });
    expect(bom.components[0].properties).toContainEqual({ name: 'modelsec:scan:verdict', value: 'unsafe' });
    expect(bom.vulnerabilities).toEqual([
      expect.objectContaining({
        id: 'PICKLE_GLOBAL_UNSAFE',
        source: { name: 'modelsec' },
        ratings: [{ severity: 'critical', method: 'other' }],
        affects: [{ ref: 'file:tiny-checkpoint.pt' }],
      }),
    ]);
  });
});

describe('scanner reports converted for the BOM', () => {
  it('gives verdicts per file (worst unsuppressed severity, unscannable on errors) and findings as vulnerabilities', async () => {
    const reports: FileReport[] = [
      {
        path: 'tiny-checkpoint.pt',
        format: 'pytorch-zip' as FileReport['format'],
        size: 1,
        sha256: 'x',
        verdict: 'findings',
        findings: [
          {
            ruleId: 'MS-PKL-001',
            severity: 'critical',
            message: 'imports os.system',
            location: { members: ['tiny-checkpoint/data.pkl'], offset: 2 },
            evidence: { module: 'os', name: 'system' },
            references: [{ id: 'CWE-502' }],
          },
          {
            ruleId: 'MS-PKL-009',
            severity: 'low',
            message: 'suppressed one',
            location: {},
            evidence: {},
            references: [],
            suppressed: { reason: 'ok' },
          },
        ],
        errors: [],
      },
    ];
    const attachment = scanReportsToAttachment(reports, { name: 'modelsec', version: '0.1.0' });
    expect(attachment.files[0]!.properties).toContainEqual({ name: 'modelsec:scan:verdict', value: 'critical' });
    expect(attachment.findings).toEqual([
      expect.objectContaining({
        id: 'MS-PKL-001',
        severity: 'critical',
        description: 'imports os.system in tiny-checkpoint/data.pkl',
      }),
    ]);
    const unscannable = scanReportsToAttachment(
      [{ ...reports[0]!, findings: [], errors: [{ code: 'FORMAT_INVALID', message: 'cut' }] }],
      { name: 'modelsec', version: '0' },
    );
    expect(unscannable.files[0]!.properties).toContainEqual({ name: 'modelsec:scan:verdict', value: 'unscannable' });
    const { bom } = await generateAll(join(MODELS, 'tiny-checkpoint.pt'), { scan: async () => attachment });
    expect(bom.vulnerabilities).toHaveLength(1);
  });
});

describe('a PEFT adapter with a custom license', () => {
  it('names the license with its link and the adapter base model as an ancestor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelsec-adapter-'));
    scratch.push(dir);
    writeFileSync(
      join(dir, 'README.md'),
      '---\nlicense: other\nlicense_name: tiny-community-license\nlicense_link: https://example.org/LICENSE\n---\n# adapter\n',
    );
    writeFileSync(
      join(dir, 'adapter_config.json'),
      JSON.stringify({ base_model_name_or_path: 'tiny-org/tiny-llama-base', peft_type: 'LORA' }),
    );
    const { bom } = await generateAll(dir);
    const model = bom.metadata.component;
    expect(model.licenses).toEqual([{ license: { name: 'tiny-community-license', url: 'https://example.org/LICENSE' } }]);
    expect(model.pedigree.ancestors.map((a: Json) => a.purl)).toEqual(['pkg:huggingface/tiny-org/tiny-llama-base']);
  });
});

describe('license normalisation', () => {
  it('maps Hugging Face slugs to SPDX ids and keeps others as names', () => {
    expect(normaliseLicense('apache-2.0')).toEqual({ id: 'Apache-2.0' });
    expect(normaliseLicense('mit')).toEqual({ id: 'MIT' });
    expect(normaliseLicense('gpl-3.0')).toEqual({ id: 'GPL-3.0-only' });
    expect(normaliseLicense('llama2')).toEqual({ name: 'llama2' });
    expect(normaliseLicense('openrail++')).toEqual({ name: 'openrail++' });
  });
});

describe('XML extension placement', () => {
  it('inserts extensions at their XSD position among the library elements', () => {
    const component = {
      type: 'element' as const,
      name: 'component',
      attributes: { type: 'machine-learning-model', 'bom-ref': 'm' },
      children: [
        { type: 'element' as const, name: 'supplier', children: [] },
        { type: 'element' as const, name: 'name', children: 'x' },
        { type: 'element' as const, name: 'externalReferences', children: [] },
        { type: 'element' as const, name: 'properties', children: [] },
      ],
    };
    const bom = {
      type: 'element' as const,
      name: 'bom',
      children: [{ type: 'element' as const, name: 'metadata', children: [component] }],
    };
    applyXmlExtensions(
      bom,
      new Map([
        [
          'm',
          { authors: [{ name: 'A' }], pedigree: { ancestors: [] }, modelCard: { modelParameters: { task: 't' } }, tags: ['x'] },
        ],
      ]),
    );
    expect((component.children as { name: string }[]).map((c) => c.name)).toEqual([
      'supplier',
      'authors',
      'name',
      'pedigree',
      'externalReferences',
      'properties',
      'modelCard',
      'tags',
    ]);
  });
});
