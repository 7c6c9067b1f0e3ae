import { isRecord } from '../deps/shape.js';
import { child, type Located, type ScoreContext } from './context.js';

export type ScoreCategory = 'document' | 'model' | 'modelCard' | 'provenance';

export const SCORE_CATEGORIES: readonly { id: ScoreCategory; title: string }[] = [
  { id: 'document', title: 'BOM document' },
  { id: 'model', title: 'Model identity and integrity' },
  { id: 'modelCard', title: 'Model card' },
  { id: 'provenance', title: 'Data, lineage and dependencies' },
];

/** One scored field. `locate` returns where the field is present (empty = absent). */
export interface RubricField {
  id: string;
  category: ScoreCategory;
  weight: number;
  /** Where the field lives, for humans (JSONPath-like). */
  path: string;
  /** Why it matters, one sentence (also in docs/mlbom.md). */
  why: string;
  locate(ctx: ScoreContext): Located[];
  /** When several places are located: all must be valid (true) or one valid place suffices (default). */
  requireAll?: boolean;
}

const STRONG_HASHES = new Set([
  'SHA-256',
  'SHA-384',
  'SHA-512',
  'SHA3-256',
  'SHA3-384',
  'SHA3-512',
  'BLAKE2b-256',
  'BLAKE2b-384',
  'BLAKE2b-512',
  'BLAKE3',
]);

function one(located: Located | undefined): Located[] {
  return located ? [located] : [];
}

function modelCard(ctx: ScoreContext, ...keys: string[]): Located[] {
  return one(child(ctx.model, 'modelCard', ...keys));
}

function hasStrongHash(component: Record<string, unknown>): boolean {
  return Array.isArray(component.hashes) && component.hashes.some((h) => isRecord(h) && STRONG_HASHES.has(String(h.alg)));
}

function fileComponents(ctx: ScoreContext): Located<Record<string, unknown>>[] {
  return ctx.components.filter((c) => c.value.type === 'file');
}

/**
 * The rubric: 34 fields in four categories, weights summing to 100. Tiers: weight >= 4 critical, 2-3 important,
 * 1 supplementary. docs/mlbom.md explains each; tests keep the two in step.
 */
export const RUBRIC: readonly RubricField[] = [
  // ── document (10) ──
  {
    id: 'bom.serialNumber',
    category: 'document',
    weight: 2,
    path: '$.serialNumber',
    why: 'Lets VEX documents, signatures and other BOMs refer to this exact BOM.',
    locate: (c) => one(child({ pointer: '', value: c.doc }, 'serialNumber')),
  },
  {
    id: 'bom.timestamp',
    category: 'document',
    weight: 2,
    path: '$.metadata.timestamp',
    why: 'Says when the facts were true; models and their repos change.',
    locate: (c) => one(child({ pointer: '', value: c.doc }, 'metadata', 'timestamp')),
  },
  {
    id: 'bom.tools',
    category: 'document',
    weight: 2,
    path: '$.metadata.tools',
    why: 'Names the generator, so a reader can judge how the facts were gathered.',
    locate: (c) => one(child({ pointer: '', value: c.doc }, 'metadata', 'tools')),
  },
  {
    id: 'bom.subject',
    category: 'document',
    weight: 2,
    path: '$.metadata.component',
    why: 'States what the BOM describes; without it a reader must guess the subject.',
    locate: (c) => one(child({ pointer: '', value: c.doc }, 'metadata', 'component')),
  },
  {
    id: 'bom.specVersion',
    category: 'document',
    weight: 2,
    path: '$.specVersion >= 1.6',
    why: 'CycloneDX 1.6 completed the ML-BOM fields (environmental considerations, data governance, tags).',
    locate: (c) => (['1.6', '1.7'].includes(c.specVersion) ? one(child({ pointer: '', value: c.doc }, 'specVersion')) : []),
  },

  // ── model (25) ──
  {
    id: 'model.component',
    category: 'model',
    weight: 5,
    path: 'component[type=machine-learning-model]',
    why: 'An ML-BOM without a model component describes no model; every model field depends on it.',
    locate: (c) => one(child(c.model, 'type')),
  },
  {
    id: 'model.version',
    category: 'model',
    weight: 3,
    path: 'model.version',
    why: 'Pins the exact revision (ideally the full commit SHA); "latest" cannot be audited.',
    locate: (c) => one(child(c.model, 'version')),
  },
  {
    id: 'model.purl',
    category: 'model',
    weight: 3,
    path: 'model.purl',
    why: 'A package URL identifies the model globally (pkg:huggingface/ORG/NAME@SHA) for matching advisories.',
    locate: (c) => one(child(c.model, 'purl')),
  },
  {
    id: 'model.integrity',
    requireAll: true,
    category: 'model',
    weight: 5,
    path: 'model.hashes or every file component hashes',
    why: 'Hashes (SHA-256 or stronger) let anyone check that the weights they hold are the ones described.',
    locate: (c) => {
      if (!c.model) return [];
      if (hasStrongHash(c.model.value)) return one(child(c.model, 'hashes'));
      const files = fileComponents(c);
      return files.length > 0 && files.every((f) => hasStrongHash(f.value))
        ? files.map((f) => ({ pointer: `${f.pointer}/hashes`, value: f.value.hashes }))
        : [];
    },
  },
  {
    id: 'model.licenses',
    category: 'model',
    weight: 4,
    path: 'model.licenses',
    why: 'Whether the model may be used, modified or shipped at all is a licence question.',
    locate: (c) => one(child(c.model, 'licenses')),
  },
  {
    id: 'model.supplier',
    category: 'model',
    weight: 3,
    path: 'model.supplier or manufacturer or authors or author or publisher',
    why: 'Someone accountable: who to ask, whom to trust, whose advisories to watch.',
    locate: (c) =>
      ['supplier', 'manufacturer', 'authors', 'author', 'publisher'].flatMap((k) => one(child(c.model, k))).slice(0, 1),
  },
  {
    id: 'model.description',
    category: 'model',
    weight: 2,
    path: 'model.description',
    why: 'A human summary of what the model is.',
    locate: (c) => one(child(c.model, 'description')),
  },

  // ── modelCard (40) ──
  {
    id: 'modelCard.task',
    category: 'modelCard',
    weight: 4,
    path: 'model.modelCard.modelParameters.task',
    why: 'What the model does decides where it may be deployed and which risks apply.',
    locate: (c) => modelCard(c, 'modelParameters', 'task'),
  },
  {
    id: 'modelCard.architectureFamily',
    category: 'modelCard',
    weight: 3,
    path: 'model.modelCard.modelParameters.architectureFamily',
    why: 'The family (llama, bert...) tells which known weaknesses and loaders apply.',
    locate: (c) => modelCard(c, 'modelParameters', 'architectureFamily'),
  },
  {
    id: 'modelCard.modelArchitecture',
    category: 'modelCard',
    weight: 3,
    path: 'model.modelCard.modelParameters.modelArchitecture',
    why: 'The exact architecture class is what code loads; it must match the runtime.',
    locate: (c) => modelCard(c, 'modelParameters', 'modelArchitecture'),
  },
  {
    id: 'modelCard.approach',
    category: 'modelCard',
    weight: 2,
    path: 'model.modelCard.modelParameters.approach.type',
    why: 'Supervised, self-supervised...: how the model learned shapes what it can be trusted with.',
    locate: (c) => modelCard(c, 'modelParameters', 'approach', 'type'),
  },
  {
    id: 'modelCard.datasets',
    category: 'modelCard',
    weight: 5,
    path: 'model.modelCard.modelParameters.datasets',
    why: 'Training data provenance: licensing, privacy, poisoning and bias all trace back to it.',
    locate: (c) => modelCard(c, 'modelParameters', 'datasets'),
  },
  {
    id: 'modelCard.inputs',
    category: 'modelCard',
    weight: 2,
    path: 'model.modelCard.modelParameters.inputs',
    why: 'Input formats define the attack surface and correct use.',
    locate: (c) => modelCard(c, 'modelParameters', 'inputs'),
  },
  {
    id: 'modelCard.outputs',
    category: 'modelCard',
    weight: 2,
    path: 'model.modelCard.modelParameters.outputs',
    why: 'Output formats tell downstream code what it must handle.',
    locate: (c) => modelCard(c, 'modelParameters', 'outputs'),
  },
  {
    id: 'modelCard.performanceMetrics',
    category: 'modelCard',
    weight: 5,
    path: 'model.modelCard.quantitativeAnalysis.performanceMetrics',
    why: 'Measured quality, with its dataset slice, is the evidence the model is fit for purpose.',
    locate: (c) => modelCard(c, 'quantitativeAnalysis', 'performanceMetrics'),
  },
  {
    id: 'modelCard.useCases',
    category: 'modelCard',
    weight: 3,
    path: 'model.modelCard.considerations.useCases',
    why: 'Intended uses bound what the publisher vouches for.',
    locate: (c) => modelCard(c, 'considerations', 'useCases'),
  },
  {
    id: 'modelCard.technicalLimitations',
    category: 'modelCard',
    weight: 3,
    path: 'model.modelCard.considerations.technicalLimitations',
    why: 'Known limitations are the first thing a deployer must read.',
    locate: (c) => modelCard(c, 'considerations', 'technicalLimitations'),
  },
  {
    id: 'modelCard.ethicalConsiderations',
    category: 'modelCard',
    weight: 3,
    path: 'model.modelCard.considerations.ethicalConsiderations or fairnessAssessments',
    why: 'Bias and risk statements (with mitigations) are required by most AI governance regimes.',
    locate: (c) =>
      [
        ...modelCard(c, 'considerations', 'ethicalConsiderations'),
        ...modelCard(c, 'considerations', 'fairnessAssessments'),
      ].slice(0, 1),
  },
  {
    id: 'modelCard.users',
    category: 'modelCard',
    weight: 1,
    path: 'model.modelCard.considerations.users',
    why: 'Who the model is for.',
    locate: (c) => modelCard(c, 'considerations', 'users'),
  },
  {
    id: 'modelCard.environmental',
    category: 'modelCard',
    weight: 2,
    path: 'model.modelCard.considerations.environmentalConsiderations',
    why: 'Energy and emissions of training, asked for by the EU AI Act documentation duties.',
    locate: (c) => modelCard(c, 'considerations', 'environmentalConsiderations'),
  },
  {
    id: 'modelCard.performanceTradeoffs',
    category: 'modelCard',
    weight: 1,
    path: 'model.modelCard.considerations.performanceTradeoffs',
    why: 'Trade-offs (speed vs quality, size vs accuracy) guide the choice of variant.',
    locate: (c) => modelCard(c, 'considerations', 'performanceTradeoffs'),
  },
  {
    id: 'modelCard.properties',
    category: 'modelCard',
    weight: 1,
    path: 'model.properties[cdx:ai-ml:*] or model.modelCard.properties',
    why: 'Hyperparameters, parameter count and quantisation in the official cdx:ai-ml taxonomy make models comparable.',
    locate: (c) => {
      const props = child(c.model, 'properties');
      const ai = Array.isArray(props?.value) && props.value.some((p) => isRecord(p) && String(p.name).startsWith('cdx:ai-ml:'));
      return ai && props ? [props] : modelCard(c, 'properties');
    },
  },

  // ── provenance (25) ──
  {
    id: 'provenance.dependencyGraph',
    category: 'provenance',
    weight: 5,
    path: 'dependencies[ref=model].dependsOn',
    why: 'The graph says what the model needs to run and what it was built from; impact analysis walks it.',
    locate: (c) => {
      const ref = c.model?.value['bom-ref'];
      if (typeof ref !== 'string' || !Array.isArray(c.doc.dependencies)) return [];
      const i = c.doc.dependencies.findIndex(
        (d) => isRecord(d) && d.ref === ref && Array.isArray(d.dependsOn) && d.dependsOn.length > 0,
      );
      return i < 0 ? [] : [{ pointer: `/dependencies/${i}`, value: c.doc.dependencies[i] }];
    },
  },
  {
    id: 'provenance.datasetComponents',
    category: 'provenance',
    weight: 4,
    path: 'component[type=data] with data[] or description, referenced by the model card',
    why: 'A dataset described as a component (with contents, classification, governance) can be reviewed, not just named.',
    locate: (c) =>
      c.components
        .filter((d) => d.value.type === 'data' && (Array.isArray(d.value.data) || typeof d.value.description === 'string'))
        .slice(0, 8),
  },
  {
    id: 'provenance.lineage',
    category: 'provenance',
    weight: 3,
    path: 'model.pedigree.ancestors',
    why: 'The base model a fine-tune or quantisation came from carries its risks and licence.',
    locate: (c) => one(child(c.model, 'pedigree', 'ancestors')),
  },
  {
    id: 'provenance.externalReferences',
    category: 'provenance',
    weight: 3,
    path: 'model.externalReferences',
    why: 'Links to the model card, repository and distribution let a reader check the claims at source.',
    locate: (c) => one(child(c.model, 'externalReferences')),
  },
  {
    id: 'provenance.softwareDependencies',
    category: 'provenance',
    weight: 4,
    path: 'component[type=library|framework] with purl',
    why: 'The libraries the model needs (transformers, torch...) are where most exploitable vulnerabilities live.',
    locate: (c) =>
      c.components
        .filter((l) => (l.value.type === 'library' || l.value.type === 'framework') && typeof l.value.purl === 'string')
        .slice(0, 8),
  },
  {
    id: 'provenance.fileHashes',
    requireAll: true,
    category: 'provenance',
    weight: 3,
    path: 'component[type=file].hashes (every file) or model.hashes for a single-file model',
    why: 'Per-file hashes cover tokenizers, configs and code shipped with the weights, not just the weights.',
    locate: (c) => {
      const files = fileComponents(c);
      if (files.length === 0) return c.model && hasStrongHash(c.model.value) ? one(child(c.model, 'hashes')) : [];
      return files.every((f) => hasStrongHash(f.value))
        ? files.slice(0, 8).map((f) => ({ pointer: `${f.pointer}/hashes`, value: f.value.hashes }))
        : [];
    },
  },
  {
    id: 'provenance.tags',
    category: 'provenance',
    weight: 3,
    path: 'model.tags or model.properties[cdx:ai-ml:model:language|modality]',
    why: 'Languages, modality and tags make the model findable and its scope explicit.',
    locate: (c) => {
      const tags = child(c.model, 'tags');
      if (tags) return [tags];
      const props = child(c.model, 'properties');
      const hit =
        Array.isArray(props?.value) &&
        props.value.some((p) => isRecord(p) && /^cdx:ai-ml:model:(language|modality)$/.test(String(p.name)));
      return hit && props ? [props] : [];
    },
  },
];
