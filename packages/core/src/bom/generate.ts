import { gatherHubModel, type HubModelOptions } from '../hub/model-facts.js';
import { isHubReference } from '../hub/reference.js';
import { type Clock, clockFromEnv } from '../util/clock.js';
import { buildModelBom, type ScanAttachment } from './build.js';
import { gatherLocalModel, type LocalModelOptions } from './model/local.js';
import type { BomWarning, ModelFacts } from './model/types.js';
import { type MlBomFormat, type MlBomSpec, serializeModelBom } from './serialize.js';

export interface GenerateModelBomOptions extends LocalModelOptions {
  spec?: MlBomSpec;
  format?: MlBomFormat;
  /** Default: SOURCE_DATE_EPOCH when set, else the system clock. */
  clock?: Clock;
  name?: string;
  version?: string;
  /** Hub access for hf:// targets (endpoint, token, fetch). */
  hub?: Omit<HubModelOptions, 'deps' | 'onFileHashed'>;
  /** Scan results to attach (the CLI's --scan). */
  scan?: (facts: ModelFacts) => Promise<ScanAttachment | undefined>;
}

export interface GeneratedModelBom {
  /** The BOM text, validated against the schema of its spec. */
  text: string;
  facts: ModelFacts;
  warnings: BomWarning[];
}

/** Gathers the facts of a model directory, a model file or hf://ORG/NAME[@REV]. */
export async function gatherModelFactsFor(target: string, options: GenerateModelBomOptions = {}): Promise<ModelFacts> {
  return isHubReference(target)
    ? gatherHubModel(target, { ...options.hub, ...pickDeps(options) })
    : gatherLocalModel(target, options);
}

function pickDeps(options: GenerateModelBomOptions): { deps?: 'auto' | 'none'; onFileHashed?: (n: number) => void } {
  return {
    ...(options.deps ? { deps: options.deps } : {}),
    ...(options.onFileHashed ? { onFileHashed: options.onFileHashed } : {}),
  };
}

/** Builds a schema-valid CycloneDX ML-BOM (1.6 JSON by default) for a model; problems come back as warnings. */
export async function generateModelBom(target: string, options: GenerateModelBomOptions = {}): Promise<GeneratedModelBom> {
  const facts = await gatherModelFactsFor(target, options);
  const scan = options.scan ? await options.scan(facts) : undefined;
  const built = buildModelBom(facts, {
    clock: options.clock ?? clockFromEnv(),
    ...(options.name ? { name: options.name } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(scan ? { scan } : {}),
  });
  const text = serializeModelBom(built, { spec: options.spec ?? '1.6', format: options.format ?? 'json' });
  const warnings = [...facts.warnings].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.message < b.message ? -1 : 1,
  );
  return { text, facts, warnings };
}
