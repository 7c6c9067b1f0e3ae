import { resolve } from 'node:path';
import { isHubReference } from '../hub/reference.js';
import { type Clock, clockFromEnv } from '../util/clock.js';
import { buildModelBom, type DepsAuditAttachment, type ScanAttachment } from './build.js';
import type { DependencyParseResult } from './dependency-types.js';
import { parseDependencyFile } from './deps/index.js';
import { mergeDependencyResults } from './model/gather.js';
import { gatherHubModel, type HubModelOptions } from './model/hub.js';
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
  hub?: Omit<HubModelOptions, 'deps' | 'onHashed' | 'onHashStart'>;
  /** Scan results to attach (the CLI's --scan). */
  scan?: (facts: ModelFacts) => Promise<ScanAttachment | undefined>;
  /** Dependency-audit findings to attach (the CLI's --deps-audit). */
  depsAudit?: (facts: ModelFacts) => Promise<DepsAuditAttachment | undefined>;
}

export interface GeneratedModelBom {
  /** The BOM text, validated against the schema of its spec. */
  text: string;
  facts: ModelFacts;
  warnings: BomWarning[];
}

/** Gathers the facts of a model directory, a model file or hf://ORG/NAME[@REV]. */
export async function gatherModelFactsFor(target: string, options: GenerateModelBomOptions = {}): Promise<ModelFacts> {
  if (!isHubReference(target)) return gatherLocalModel(target, options);
  const facts = await gatherHubModel(target, { ...options.hub, ...pickDeps(options) });
  // --deps-file with hf://: local lockfiles describing how the model is served join the Hub's.
  const extra: DependencyParseResult[] = [];
  for (const file of [...(options.depsFiles ?? [])].sort()) extra.push(await parseDependencyFile(resolve(file)));
  if (extra.length > 0) {
    for (const w of extra.flatMap((r) => r.warnings)) {
      facts.warnings.push({ code: w.code, file: w.file, message: `${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}` });
    }
    facts.dependencies = mergeDependencyResults([...(facts.dependencies ? [facts.dependencies] : []), ...extra]);
  }
  return facts;
}

function pickDeps(options: GenerateModelBomOptions): Pick<HubModelOptions, 'deps' | 'onHashed' | 'onHashStart'> {
  return {
    ...(options.deps ? { deps: options.deps } : {}),
    ...(options.onHashed ? { onHashed: options.onHashed } : {}),
    ...(options.onHashStart ? { onHashStart: options.onHashStart } : {}),
  };
}

/** Builds a schema-valid CycloneDX ML-BOM (1.6 JSON by default) for a model; problems come back as warnings. */
export async function generateModelBom(target: string, options: GenerateModelBomOptions = {}): Promise<GeneratedModelBom> {
  const facts = await gatherModelFactsFor(target, options);
  const scan = options.scan ? await options.scan(facts) : undefined;
  const depsAudit = options.depsAudit ? await options.depsAudit(facts) : undefined;
  const built = buildModelBom(facts, {
    clock: options.clock ?? clockFromEnv(),
    ...(options.name ? { name: options.name } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(scan ? { scan } : {}),
    ...(depsAudit ? { depsAudit } : {}),
  });
  const text = serializeModelBom(built, { spec: options.spec ?? '1.6', format: options.format ?? 'json' });
  const warnings = [...facts.warnings].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.message < b.message ? -1 : 1,
  );
  return { text, facts, warnings };
}
