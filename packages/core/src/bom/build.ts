import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import type { Clock } from '../util/clock.js';
import { MODELSEC_VERSION } from '../version.js';
import type { DeclaredPackage } from './dependency-types.js';
import type { ComponentExtension, JsonObject } from './extensions.js';
import { findSection, type ModelCard, parseModelCard, stringList } from './model/card.js';
import { normaliseLicense } from './model/license.js';
import { MAX_CHAT_TEMPLATE_CHARS, MAX_HYPERPARAMETERS } from './model/limits.js';
import { xmlSafeDeep } from './model/sanitize.js';
import { LIBRARY_PACKAGES, TASK_FORMATS } from './model/task-formats.js';
import type { ModelFacts, WeightSummary } from './model/types.js';

/** What the caller may override or add. */
export interface BuildOptions {
  clock: Clock;
  name?: string;
  version?: string;
  /** Per-file properties and vulnerabilities from a scan (attached by `--scan`). */
  scan?: ScanAttachment;
  /** Findings of the dependency audit (attached by `--deps-audit`), each a vulnerability of its library. */
  depsAudit?: DepsAuditAttachment;
}

/** The dependency audit in BOM terms (bom/deps-attachment.ts builds it from `modelsec deps` findings). */
export interface DepsAuditAttachment {
  tool: { name: string; version: string };
  /** How many OSV databases the audit read (0: known vulnerable and malicious packages were not checked). */
  osvSources: number;
  vulnerabilities: Array<{
    /** The record id (GHSA-..., PYSEC-..., MAL-...) or, for a rule without a record, the rule id. */
    id: string;
    /** Where the id comes from: `OSV` for records, `modelsec` for rules. */
    source: { name: string; url?: string };
    /** The other ids of the same flaw (CVE aliases, merged records). */
    aliases: string[];
    /** bom-ref (purl) of the library component it affects; undefined: the model itself. */
    affects?: string;
    ratings: Array<{ severity: ScanAttachment['findings'][number]['severity']; score?: number; vector?: string }>;
    description: string;
    advisories: string[];
    recommendation?: string;
    /** The modelsec rule that reported it (MS-DEP-...). */
    ruleId: string;
  }>;
}

/** Scan results in BOM terms: properties per file, and findings as vulnerabilities. */
export interface ScanAttachment {
  tool: { name: string; version: string };
  files: Array<{ path: string; properties: Array<{ name: string; value: string }> }>;
  findings: Array<{
    id: string;
    file: string;
    severity: 'critical' | 'high' | 'medium' | 'low' | 'info' | 'none' | 'unknown';
    description: string;
    detail?: string;
  }>;
}

export interface BuiltBom {
  bom: Models.Bom;
  extensions: Map<string, ComponentExtension>;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const HF = 'https://huggingface.co';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const MODEL_BOM_REF = 'model';
export const fileRef = (path: string) => `file:${path}`;
const datasetRef = (id: string) => `data:${id}`;

function hfPurl(repoId: string, version?: string): string {
  const [org, name] = repoId.split('/') as [string, string];
  return `pkg:huggingface/${encodeURIComponent(org)}/${encodeURIComponent(name)}${version ? `@${encodeURIComponent(version.toLowerCase())}` : ''}`;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** Chat template: tokenizer_config's (string, or the `default` of a list of named templates), else a GGUF's. */
function chatTemplate(facts: ModelFacts): string | undefined {
  const t = facts.tokenizerConfig?.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t.filter(isRecord);
    const chosen = named.find((x) => x.name === 'default') ?? named[0];
    if (chosen && typeof chosen.template === 'string') return chosen.template;
  }
  return facts.weights.find((w) => w.chatTemplate !== undefined)?.chatTemplate;
}

function sumDtypes(weights: WeightSummary[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of weights) for (const [k, v] of Object.entries(w.dtypes ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

function modelProperties(facts: ModelFacts, card: ModelCard): Array<[string, string]> {
  const props: Array<[string, string]> = [];
  const config = facts.config ?? {};
  let count = 0;
  for (const key of Object.keys(config).sort()) {
    const value = scalarString(config[key]);
    if (value === undefined || key.startsWith('_')) continue;
    if (++count > MAX_HYPERPARAMETERS) break;
    props.push([`cdx:ai-ml:model:hyperparameter:${key}`, value]);
  }
  const quant = isRecord(config.quantization_config) ? scalarString(config.quantization_config.quant_method) : undefined;
  const tokenizerClass = scalarString(facts.tokenizerConfig?.tokenizer_class);
  if (tokenizerClass) props.push(['cdx:ai-ml:model:hyperparameter:tokenizer_class', tokenizerClass]);
  const counted = facts.weights.filter((w) => w.parameterCount !== undefined && w.format !== 'onnx');
  const safetensors = counted.filter((w) => w.format === 'safetensors');
  const basis = safetensors.length > 0 ? safetensors : counted.filter((w) => w.format === 'gguf').slice(0, 1);
  if (basis.length > 0) {
    props.push(['cdx:ai-ml:model:parameter:count', String(basis.reduce((n, w) => n + (w.parameterCount ?? 0), 0))]);
    const dtypes = sumDtypes(basis);
    for (const dtype of Object.keys(dtypes).sort())
      props.push([`cdx:ai-ml:model:parameter:dtype:${dtype}`, String(dtypes[dtype])]);
  }
  const formats = [...new Set(facts.weights.map((w) => w.format))].sort();
  for (const f of formats) props.push(['cdx:ai-ml:model:format', f]);
  const gguf = facts.weights.find((w) => w.format === 'gguf');
  if (gguf) {
    if (gguf.facts.architecture) props.push(['cdx:ai-ml:model:architecture', gguf.facts.architecture]);
    if (gguf.facts.contextLength) props.push(['cdx:ai-ml:model:hyperparameter:context_length', gguf.facts.contextLength]);
    if (gguf.facts.tokenizer) props.push(['cdx:ai-ml:model:hyperparameter:tokenizer_model', gguf.facts.tokenizer]);
  }
  const quantisation = quant ?? gguf?.facts.quantization;
  if (quantisation) props.push(['cdx:ai-ml:model:quantization', quantisation]);
  const onnx = facts.weights.find((w) => w.format === 'onnx');
  if (onnx) {
    if (onnx.facts.opset) props.push(['cdx:ai-ml:model:onnx:opset', onnx.facts.opset]);
    if (onnx.facts.producerName)
      props.push([
        'cdx:ai-ml:model:onnx:producer',
        `${onnx.facts.producerName}${onnx.facts.producerVersion ? ` ${onnx.facts.producerVersion}` : ''}`,
      ]);
    if (onnx.facts.irVersion) props.push(['cdx:ai-ml:model:onnx:ir_version', onnx.facts.irVersion]);
  }
  const pt = facts.weights.find((w) => w.format === 'pytorch');
  if (pt) {
    props.push(['cdx:ai-ml:model:pytorch:zip_members', pt.facts['pytorch:members'] ?? '0']);
    props.push(['cdx:ai-ml:model:pytorch:tensor_storages', pt.facts['pytorch:storages'] ?? '0']);
    if (pt.facts['pytorch:tensors']) props.push(['cdx:ai-ml:model:pytorch:tensors', pt.facts['pytorch:tensors']]);
    if (pt.facts['pytorch:storage_dtypes'])
      props.push(['cdx:ai-ml:model:pytorch:storage_dtypes', pt.facts['pytorch:storage_dtypes']]);
  }
  const template = chatTemplate(facts);
  if (template) props.push(['cdx:ai-ml:model:template:chat', template.slice(0, MAX_CHAT_TEMPLATE_CHARS)]);
  for (const lang of stringList(card.data.language)) props.push(['cdx:ai-ml:model:language', lang]);
  const pipeline = scalarString(card.data.pipeline_tag);
  const modality = pipeline ? TASK_FORMATS[pipeline]?.inputs.join('+') : undefined;
  if (modality) props.push(['cdx:ai-ml:model:modality', modality]);
  const library = scalarString(card.data.library_name);
  if (library) props.push(['cdx:ai-ml:model:library', library]);
  return props;
}

function fileProperties(w: WeightSummary | undefined): Array<[string, string]> {
  if (!w) return [];
  const props: Array<[string, string]> = [['cdx:ai-ml:file:format', w.format]];
  if (w.parameterCount !== undefined) props.push(['cdx:ai-ml:file:parameter:count', String(w.parameterCount)]);
  if (w.tensorCount !== undefined) props.push(['cdx:ai-ml:file:tensor:count', String(w.tensorCount)]);
  for (const [k, v] of Object.entries(w.dtypes ?? {})) props.push([`cdx:ai-ml:file:parameter:dtype:${k}`, String(v)]);
  for (const [k, v] of Object.entries(w.facts)) props.push([`cdx:ai-ml:file:${w.format}:${k.replace(/^[a-z]+:/, '')}`, v]);
  return props;
}

interface MetricRow {
  type: string;
  value: string;
  slice?: string;
}

function performanceMetrics(card: ModelCard): MetricRow[] {
  const rows: MetricRow[] = [];
  const index = card.data['model-index'];
  if (!Array.isArray(index)) return rows;
  for (const entry of index.filter(isRecord)) {
    const results = Array.isArray(entry.results) ? entry.results.filter(isRecord) : [];
    for (const result of results) {
      const dataset = isRecord(result.dataset) ? result.dataset : {};
      const dsName = scalarString(dataset.name) ?? scalarString(dataset.type);
      const split = scalarString(dataset.split);
      const slice = dsName ? `${dsName}${split ? ` (${split})` : ''}` : undefined;
      for (const metric of (Array.isArray(result.metrics) ? result.metrics : []).filter(isRecord)) {
        const type = scalarString(metric.type) ?? scalarString(metric.name);
        const value = scalarString(metric.value);
        if (!type || value === undefined) continue;
        rows.push({ type, value, ...(slice ? { slice } : {}) });
      }
    }
  }
  return rows.sort((a, b) => byString(a.type, b.type) || byString(a.slice ?? '', b.slice ?? '') || byString(a.value, b.value));
}

/** Dataset ids from the card's `datasets` and the model-index results. */
function datasetIds(card: ModelCard): string[] {
  const ids = new Set(stringList(card.data.datasets));
  const index = card.data['model-index'];
  if (Array.isArray(index)) {
    for (const entry of index.filter(isRecord)) {
      for (const result of (Array.isArray(entry.results) ? entry.results : []).filter(isRecord)) {
        const type = isRecord(result.dataset) ? scalarString(result.dataset.type) : undefined;
        if (type && REPO_ID.test(type)) ids.add(type);
        else if (type && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(type)) ids.add(type);
      }
    }
  }
  return [...ids].sort(byString);
}

function co2Properties(card: ModelCard): JsonObject[] {
  const co2 = card.data.co2_eq_emissions;
  const props: JsonObject[] = [];
  if (typeof co2 === 'number') props.push({ name: 'huggingface:co2_eq_emissions:emissions_grams', value: String(co2) });
  else if (isRecord(co2)) {
    for (const key of Object.keys(co2).sort()) {
      const v = scalarString(co2[key]);
      if (v !== undefined)
        props.push({ name: `huggingface:co2_eq_emissions:${key === 'emissions' ? 'emissions_grams' : key}`, value: v });
    }
  }
  return props;
}

function modelCardJson(facts: ModelFacts, card: ModelCard, datasets: string[]): JsonObject | undefined {
  const parameters: JsonObject = {};
  const approach = scalarString(card.data.approach) ?? scalarString(card.data.training_approach);
  const approaches = ['supervised', 'unsupervised', 'reinforcement-learning', 'semi-supervised', 'self-supervised'];
  if (approach && approaches.includes(approach)) parameters.approach = { type: approach };
  const task = scalarString(card.data.pipeline_tag);
  if (task) parameters.task = task;
  const family = scalarString(facts.config?.model_type) ?? facts.weights.find((w) => w.format === 'gguf')?.facts.architecture;
  if (family) parameters.architectureFamily = family;
  const architectures = facts.config?.architectures;
  const arch = Array.isArray(architectures) ? scalarString(architectures[0]) : undefined;
  if (arch) parameters.modelArchitecture = arch;
  if (datasets.length > 0) parameters.datasets = datasets.map((id) => ({ ref: datasetRef(id) }));
  const formats = task ? TASK_FORMATS[task] : undefined;
  if (formats) {
    parameters.inputs = formats.inputs.map((format) => ({ format }));
    parameters.outputs = formats.outputs.map((format) => ({ format }));
  }
  const card_: JsonObject = {};
  if (Object.keys(parameters).length > 0) card_.modelParameters = parameters;
  const metrics = performanceMetrics(card);
  if (metrics.length > 0) card_.quantitativeAnalysis = { performanceMetrics: metrics as unknown as JsonObject[] };
  const considerations: JsonObject = {};
  const users = findSection(card, /intended users|audience|who should use/);
  if (users.length > 0) considerations.users = users;
  const useCases = findSection(card, /intended use|^uses$|use cases|direct use/);
  if (useCases.length > 0) considerations.useCases = useCases;
  const limitations = findSection(card, /limitation/);
  if (limitations.length > 0) considerations.technicalLimitations = limitations;
  const tradeoffs = findSection(card, /trade-?offs?/);
  if (tradeoffs.length > 0) considerations.performanceTradeoffs = tradeoffs;
  const ethics = findSection(card, /bias|risk|ethic/);
  if (ethics.length > 0) considerations.ethicalConsiderations = ethics.map((name) => ({ name }));
  const co2 = co2Properties(card);
  if (co2.length > 0) considerations.environmentalConsiderations = { properties: co2 };
  if (Object.keys(considerations).length > 0) card_.considerations = considerations;
  return Object.keys(card_).length > 0 ? card_ : undefined;
}

/** Splits `ORG/NAME` into group and name; a bare name has no group. */
function splitRepoId(id: string): { group?: string; name: string } {
  const slash = id.indexOf('/');
  return slash === -1 ? { name: id } : { group: id.slice(0, slash), name: id.slice(slash + 1) };
}

function libraryComponent(pkg: DeclaredPackage): Models.Component {
  const c = new Models.Component(Enums.ComponentType.Library, pkg.name, {
    bomRef: pkg.purl,
    purl: pkg.purl,
    ...(pkg.version ? { version: pkg.version } : {}),
    scope: pkg.scope === 'optional' ? Enums.ComponentScope.Optional : Enums.ComponentScope.Required,
  });
  for (const h of pkg.hashes) {
    if ((Object.values(Enums.HashAlgorithm) as string[]).includes(h.alg)) c.hashes.set(h.alg as Enums.HashAlgorithm, h.content);
  }
  c.properties.add(new Models.Property('modelsec:dependency:source', pkg.source));
  if (pkg.versionRange) c.properties.add(new Models.Property('modelsec:dependency:version-range', pkg.versionRange));
  if (pkg.markers) c.properties.add(new Models.Property('modelsec:dependency:markers', pkg.markers));
  for (const extra of pkg.extras ?? []) c.properties.add(new Models.Property('modelsec:dependency:extra', extra));
  return c;
}

/** Builds the ML-BOM model (library objects plus extensions) from gathered facts. */
export function buildModelBom(input: ModelFacts, options: BuildOptions): BuiltBom {
  const cardWarnings = input.warnings;
  // Every string from the model (card, configs, headers, file names, packages) made XML-safe once, here.
  const { warnings: _warnings, ...rest } = input;
  const facts: ModelFacts = { ...xmlSafeDeep(rest), warnings: input.warnings };
  const card: ModelCard = xmlSafeDeep(
    input.cardText ? parseModelCard(input.cardText.text, input.cardText.file, cardWarnings) : { data: {}, sections: [] },
  );
  const extensions = new Map<string, ComponentExtension>();
  const origin = facts.origin;

  // Identity
  const cardName =
    scalarString(card.data.model_name) ??
    (Array.isArray(card.data['model-index']) && isRecord(card.data['model-index'][0])
      ? scalarString(card.data['model-index'][0].name)
      : undefined);
  const ident = origin.repoId
    ? splitRepoId(origin.repoId)
    : cardName
      ? splitRepoId(cardName)
      : { name: origin.localName ?? 'model' };
  const name = options.name ?? ident.name;
  const version = options.version ?? origin.commit ?? scalarString(card.data.version) ?? scalarString(card.data.model_version);
  const model = new Models.Component(Enums.ComponentType.MachineLearningModel, name, {
    bomRef: MODEL_BOM_REF,
    ...(ident.group && !options.name ? { group: ident.group } : {}),
    ...(version ? { version } : {}),
  });
  if (origin.repoId) {
    model.purl = hfPurl(origin.repoId, origin.commit);
    const base = origin.endpoint ?? HF;
    model.externalReferences.add(
      new Models.ExternalReference(`${base}/${origin.repoId}`, Enums.ExternalReferenceType.Distribution),
    );
    model.externalReferences.add(
      new Models.ExternalReference(
        `${base}/${origin.repoId}/blob/${origin.commit ?? 'main'}/README.md`,
        Enums.ExternalReferenceType.ModelCard,
      ),
    );
    model.supplier = new Models.OrganizationalEntity({
      name: ident.group ?? origin.repoId,
      url: new Set([`${base}/${ident.group}`]),
    });
  }
  const description = scalarString(card.data.description) ?? card.description;
  if (description) model.description = description;
  // `license: other` with `license_name`/`license_link` (the Hub's way to name a custom license) is that license.
  const licenseLink = scalarString(card.data.license_link);
  const named = stringList(card.data.license_name);
  const slugs = stringList(card.data.license).filter((l) => !(l === 'other' && named.length > 0));
  for (const license of [...new Set([...slugs, ...named])].sort()) {
    const n = normaliseLicense(license);
    const url = licenseLink && /^https?:\/\//.test(licenseLink) && named.includes(license) ? { url: licenseLink } : {};
    model.licenses.add('id' in n ? new Models.SpdxLicense(n.id, url) : new Models.NamedLicense(n.name, url));
  }
  if (model.licenses.size === 0) {
    const ggufLicense = facts.weights.find((w) => w.facts.license)?.facts.license;
    if (ggufLicense) {
      const n = normaliseLicense(ggufLicense);
      model.licenses.add('id' in n ? new Models.SpdxLicense(n.id) : new Models.NamedLicense(n.name));
    }
  }
  const supplierName = scalarString(card.data.supplier) ?? scalarString(card.data.organization);
  if (supplierName && !model.supplier) model.supplier = new Models.OrganizationalEntity({ name: supplierName });
  const authors = [
    ...new Set([...stringList(card.data.authors), ...stringList(card.data.author), ...stringList(card.data.model_creator)]),
  ].sort();
  const modelExt: ComponentExtension = {};
  if (authors.length > 0) modelExt.authors = authors.map((a) => ({ name: a }));
  for (const [k, v] of modelProperties(facts, card)) model.properties.add(new Models.Property(k, v));

  // Pedigree: base models.
  const adapterBase = scalarString(facts.adapterConfig?.base_model_name_or_path);
  const bases = [...new Set([...stringList(card.data.base_model), ...(adapterBase ? [adapterBase] : [])])]
    .filter((b) => REPO_ID.test(b))
    .sort();
  if (bases.length > 0) {
    modelExt.pedigree = {
      ancestors: bases.map((b) => {
        const { group, name: n } = splitRepoId(b);
        return {
          type: 'machine-learning-model',
          'bom-ref': `ancestor:${b}`,
          ...(group ? { group } : {}),
          name: n,
          purl: hfPurl(b),
        };
      }),
    };
  }
  const tags = [...new Set(stringList(card.data.tags))].sort();
  if (tags.length > 0) modelExt.tags = tags;

  // Datasets.
  const datasets = datasetIds(card);
  const mc = modelCardJson(facts, card, datasets);
  if (mc) modelExt.modelCard = mc;
  extensions.set(MODEL_BOM_REF, modelExt);

  const bom = new Models.Bom();
  bom.metadata.timestamp = options.clock.now();
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'modelsec', {
      version: MODELSEC_VERSION,
      group: 'modelsec',
      bomRef: 'tool:modelsec',
    }),
  );
  bom.metadata.component = model;
  bom.metadata.lifecycles.add(Enums.LifecyclePhase.Operations);

  for (const id of datasets) {
    const split = splitRepoId(id);
    const ref = datasetRef(id);
    const url = `${origin.endpoint ?? HF}/datasets/${id}`;
    const data = new Models.Component(Enums.ComponentType.Data, split.name, {
      bomRef: ref,
      ...(split.group ? { group: split.group } : {}),
      description: `Dataset ${id} named by the model card`,
    });
    data.externalReferences.add(new Models.ExternalReference(url, Enums.ExternalReferenceType.Distribution));
    bom.components.add(data);
    extensions.set(ref, { data: [{ type: 'dataset', name: id, contents: { url } }] });
  }

  // Files.
  const weightsByFile = new Map(facts.weights.map((w) => [w.file, w]));
  const fileComponents = new Map<string, Models.Component>();
  const scanByFile = new Map((options.scan?.files ?? []).map((f) => [f.path, f]));
  if (origin.kind === 'file' && facts.files.length === 1) {
    model.hashes.set(Enums.HashAlgorithm['SHA-256'], facts.files[0]!.sha256);
  }
  for (const file of facts.files) {
    const c = new Models.Component(Enums.ComponentType.File, file.path, { bomRef: fileRef(file.path) });
    c.hashes.set(Enums.HashAlgorithm['SHA-256'], file.sha256);
    c.properties.add(new Models.Property('modelsec:file:size', String(file.size)));
    if (file.sha256Source) c.properties.add(new Models.Property('modelsec:file:sha256-source', file.sha256Source));
    for (const [k, v] of fileProperties(weightsByFile.get(file.path))) c.properties.add(new Models.Property(k, v));
    for (const p of scanByFile.get(file.path)?.properties ?? []) c.properties.add(new Models.Property(p.name, p.value));
    bom.components.add(c);
    fileComponents.set(file.path, c);
  }

  // Dependencies: libraries from lockfiles, plus the framework named by library_name.
  const packages = facts.dependencies?.packages ?? [];
  const libs = new Map<string, Models.Component>();
  for (const pkg of packages) {
    const c = libraryComponent(pkg);
    libs.set(pkg.purl, c);
    bom.components.add(c);
  }
  for (const pkg of packages) {
    const c = libs.get(pkg.purl)!;
    for (const dep of pkg.dependsOn) {
      const target = libs.get(dep);
      if (target && target !== c) c.dependencies.add(target.bomRef);
    }
  }
  const library = scalarString(card.data.library_name);
  const frameworkPackage = library ? (LIBRARY_PACKAGES[library] ?? library) : undefined;
  const direct = new Set(facts.dependencies?.direct ?? []);
  if (direct.size === 0) {
    const depended = new Set(packages.flatMap((p) => p.dependsOn));
    for (const p of packages) if (!depended.has(p.purl)) direct.add(p.purl);
  }
  for (const purl of [...direct].sort()) {
    const target = libs.get(purl);
    if (target) model.dependencies.add(target.bomRef);
  }
  if (frameworkPackage && /^[A-Za-z0-9._-]+$/.test(frameworkPackage)) {
    const normalised = frameworkPackage.toLowerCase().replace(/[-_.]+/g, '-');
    const existing = packages.find((p) => p.ecosystem === 'pypi' && p.name === normalised);
    if (existing) model.dependencies.add(libs.get(existing.purl)!.bomRef);
    else {
      const purl = `pkg:pypi/${normalised}`;
      const framework = new Models.Component(Enums.ComponentType.Framework, normalised, { bomRef: purl, purl });
      framework.properties.add(
        new Models.Property('modelsec:dependency:source', `${facts.cardText?.file ?? 'README.md'}#library_name`),
      );
      bom.components.add(framework);
      model.dependencies.add(framework.bomRef);
    }
  }
  if (options.scan) attachScan(bom, options.scan, fileComponents);
  if (options.depsAudit) attachDepsAudit(bom, options.depsAudit, libs);
  return { bom, extensions };
}

const SEVERITY: Record<ScanAttachment['findings'][number]['severity'], Enums.Vulnerability.Severity> = {
  critical: Enums.Vulnerability.Severity.Critical,
  high: Enums.Vulnerability.Severity.High,
  medium: Enums.Vulnerability.Severity.Medium,
  low: Enums.Vulnerability.Severity.Low,
  info: Enums.Vulnerability.Severity.Info,
  none: Enums.Vulnerability.Severity.None,
  unknown: Enums.Vulnerability.Severity.Unknown,
};

function attachScan(bom: Models.Bom, scan: ScanAttachment, files: Map<string, Models.Component>): void {
  const findings = [...scan.findings].sort(
    (a, b) => byString(a.file, b.file) || byString(a.id, b.id) || byString(a.description, b.description),
  );
  findings.forEach((f, i) => {
    const v = new Models.Vulnerability.Vulnerability({
      bomRef: `finding:${i + 1}`,
      id: f.id,
      source: new Models.Vulnerability.Source({ name: scan.tool.name }),
      description: f.description,
      ...(f.detail ? { detail: f.detail } : {}),
    });
    v.ratings.add(
      new Models.Vulnerability.Rating({ severity: SEVERITY[f.severity], method: Enums.Vulnerability.RatingMethod.Other }),
    );
    const target = files.get(f.file)?.bomRef ?? bom.metadata.component?.bomRef;
    if (target) v.affects.add(new Models.Vulnerability.Affect(target));
    bom.vulnerabilities.add(v);
  });
}

function ratingMethod(vector: string | undefined): Enums.Vulnerability.RatingMethod {
  if (vector?.startsWith('CVSS:3.1/')) return Enums.Vulnerability.RatingMethod.CVSSv31;
  if (vector?.startsWith('CVSS:3.0/')) return Enums.Vulnerability.RatingMethod.CVSSv3;
  return Enums.Vulnerability.RatingMethod.Other;
}

/** Metadata property saying a dependency audit was recorded, and with how many OSV databases (the registry reads it). */
export const DEPS_AUDIT_PROPERTY = 'modelsec:deps:audit';

function attachDepsAudit(bom: Models.Bom, audit: DepsAuditAttachment, libs: Map<string, Models.Component>): void {
  bom.metadata.properties.add(new Models.Property(DEPS_AUDIT_PROPERTY, `osv-sources=${audit.osvSources}`));
  const list = [...audit.vulnerabilities].sort(
    (a, b) => byString(a.affects ?? '', b.affects ?? '') || byString(a.id, b.id) || byString(a.description, b.description),
  );
  list.forEach((d, i) => {
    const v = new Models.Vulnerability.Vulnerability({
      bomRef: `deps:${i + 1}`,
      id: d.id,
      source: new Models.Vulnerability.Source({ name: d.source.name, ...(d.source.url ? { url: new URL(d.source.url) } : {}) }),
      description: d.description,
      ...(d.recommendation ? { recommendation: d.recommendation } : {}),
    });
    for (const alias of d.aliases)
      v.references.add(new Models.Vulnerability.Reference(alias, new Models.Vulnerability.Source({ name: d.source.name })));
    for (const r of d.ratings)
      v.ratings.add(
        new Models.Vulnerability.Rating({
          severity: SEVERITY[r.severity],
          method: ratingMethod(r.vector),
          ...(r.score !== undefined ? { score: r.score } : {}),
          ...(r.vector ? { vector: r.vector } : {}),
          source: new Models.Vulnerability.Source({ name: d.source.name }),
        }),
      );
    for (const url of d.advisories) {
      try {
        v.advisories.add(new Models.Vulnerability.Advisory(new URL(url)));
      } catch {
        // not a URL: the record's reference list is untrusted text; left out
      }
    }
    v.properties.add(new Models.Property('modelsec:deps:rule', d.ruleId));
    const target = (d.affects ? libs.get(d.affects)?.bomRef : undefined) ?? bom.metadata.component?.bomRef;
    if (target) v.affects.add(new Models.Vulnerability.Affect(target));
    bom.vulnerabilities.add(v);
  });
}
