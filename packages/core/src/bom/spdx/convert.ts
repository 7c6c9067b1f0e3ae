import { createHash } from 'node:crypto';
import { ModelsecError } from '../../errors/index.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { type Clock, clockFromEnv } from '../../util/clock.js';
import { isRecord } from '../deps/shape.js';
import { assertJsonDepth, assertValueDepth } from '../validate/json-depth.js';

/** The SPDX version this converter writes. */
export const SPDX_VERSION = '3.0.1';
export const SPDX_CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';

type Node = Record<string, unknown>;
type Component = Record<string, unknown>;

export interface Spdx3ConvertOptions {
  /** Clock for `created` when the BOM has no metadata.timestamp (default: SOURCE_DATE_EPOCH, else now). */
  clock?: Clock;
  /** Name and version of the converting tool, recorded as a Tool in createdUsing. */
  tool?: { name: string; version?: string };
}

const HASH_ALGS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA3-256': 'sha3_256',
  'SHA3-384': 'sha3_384',
  'SHA3-512': 'sha3_512',
  'BLAKE2b-256': 'blake2b256',
  'BLAKE2b-384': 'blake2b384',
  'BLAKE2b-512': 'blake2b512',
  BLAKE3: 'blake3',
};

const EXTERNAL_REF_TYPES: Record<string, string> = {
  vcs: 'vcs',
  website: 'altWebPage',
  documentation: 'documentation',
  'model-card': 'documentation',
  distribution: 'altDownloadLocation',
  'distribution-intake': 'altDownloadLocation',
  license: 'license',
  'issue-tracker': 'issueTracker',
  'mailing-list': 'mailingList',
  social: 'socialMedia',
  chat: 'chat',
  support: 'support',
  'security-contact': 'securityOther',
  advisories: 'securityAdvisory',
  'release-notes': 'releaseNotes',
  'build-meta': 'buildMeta',
  'build-system': 'buildSystem',
  'source-distribution': 'sourceArtifact',
};

const PURPOSES: Record<string, string> = {
  application: 'application',
  framework: 'framework',
  library: 'library',
  container: 'container',
  platform: 'platform',
  'operating-system': 'operatingSystem',
  device: 'device',
  'device-driver': 'deviceDriver',
  firmware: 'firmware',
  file: 'file',
  'machine-learning-model': 'model',
  data: 'data',
};

const CONFIDENTIALITY: Record<string, string> = { public: 'clear', clear: 'clear', green: 'green', amber: 'amber', red: 'red' };

const ENERGY_ACTIVITIES: Record<string, string> = {
  training: 'ai_trainingEnergyConsumption',
  'fine-tuning': 'ai_finetuningEnergyConsumption',
  inference: 'ai_inferenceEnergyConsumption',
};

/** Lowercase letters and digits only, to match dataset names against free-text metric slices. */
function normaliseName(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

function sha8(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** SPDX `created` wants whole seconds in UTC: 2024-06-01T00:00:00Z. */
function spdxTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Flattens metadata.component and components (recursively) with their bom-refs (synthesised when absent). */
function flatten(bom: Node): { ref: string; component: Component; parent?: string }[] {
  const out: { ref: string; component: Component; parent?: string }[] = [];
  const walk = (items: unknown, pointer: string, parent: string | undefined, depth: number) => {
    if (depth > 32) return;
    list(items).forEach((c, i) => {
      if (!isRecord(c)) return;
      const ref = str(c['bom-ref']) ?? `${pointer}/${i}`;
      out.push({ ref, component: c, ...(parent ? { parent } : {}) });
      walk(c.components, `${pointer}/${i}/components`, ref, depth + 1);
    });
  };
  const metadata = isRecord(bom.metadata) ? bom.metadata : {};
  if (isRecord(metadata.component)) walk([metadata.component], '/metadata/component', undefined, 0);
  walk(bom.components, '/components', undefined, 0);
  return out;
}

/** A CycloneDX licenses array as one SPDX license expression, or undefined. */
export function licenseExpression(licenses: unknown): string | undefined {
  const parts: string[] = [];
  for (const entry of list(licenses)) {
    if (!isRecord(entry)) continue;
    const expression = str(entry.expression);
    if (expression) {
      parts.push(parts.length > 0 || list(licenses).length > 1 ? `(${expression})` : expression);
      continue;
    }
    const license = isRecord(entry.license) ? entry.license : undefined;
    const id = str(license?.id);
    const name = str(license?.name);
    if (id) parts.push(id);
    else if (name) parts.push(`LicenseRef-${name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed'}`);
  }
  const unique = [...new Set(parts)];
  return unique.length > 0 ? unique.join(' AND ') : undefined;
}

class GraphBuilder {
  readonly nodes = new Map<string, Node>();
  constructor(readonly ns: string) {}

  id(kind: string, key: string): string {
    const slug =
      key
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 48) || 'x';
    return `${this.ns}:${kind}-${slug}-${sha8(`${kind}\u0000${key}`)}`;
  }

  add(node: Node): string {
    const id = node.spdxId as string;
    if (!this.nodes.has(id)) this.nodes.set(id, node);
    return id;
  }

  relationship(from: string, type: string, to: string[]): void {
    const targets = [...new Set(to)].filter((t) => t !== from).sort();
    if (targets.length === 0) return;
    this.add({
      type: 'Relationship',
      spdxId: this.id('Relationship', `${from}\u0000${type}\u0000${targets.join('\u0000')}`),
      creationInfo: '_:creationinfo',
      from,
      relationshipType: type,
      to: targets,
    });
  }
}

function hashes(component: Component): Node[] {
  const out: Node[] = [];
  for (const h of list(component.hashes)) {
    if (!isRecord(h)) continue;
    const algorithm = HASH_ALGS[String(h.alg)];
    const value = str(h.content);
    if (algorithm && value) out.push({ type: 'Hash', algorithm, hashValue: value.toLowerCase() });
  }
  return out.sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
}

function externalRefs(component: Component): Node[] {
  const out: Node[] = [];
  for (const r of list(component.externalReferences)) {
    if (!isRecord(r)) continue;
    const url = str(r.url);
    if (!url) continue;
    out.push({ type: 'ExternalRef', externalRefType: EXTERNAL_REF_TYPES[String(r.type)] ?? 'other', locator: [url] });
  }
  return out.sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
}

function cdxPropertiesExtension(component: Component, skipPrefix?: string): Node[] {
  const entries: Node[] = [];
  for (const p of list(component.properties)) {
    if (!isRecord(p)) continue;
    const name = str(p.name);
    if (!name || (skipPrefix && name.startsWith(skipPrefix))) continue;
    entries.push({
      type: 'extension_CdxPropertyEntry',
      extension_cdxPropName: name,
      ...(typeof p.value === 'string' ? { extension_cdxPropValue: p.value } : {}),
    });
  }
  return entries.length > 0 ? [{ type: 'extension_CdxPropertiesExtension', extension_cdxProperty: entries }] : [];
}

function joined(values: unknown[]): string | undefined {
  const texts = values.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/**
 * Converts a CycloneDX 1.6/1.7 JSON ML-BOM to SPDX 3.0.1 JSON-LD with the Core, Software, AI, Dataset and
 * SimpleLicensing profiles:
 * - machine-learning-model components -> `ai_AIPackage` (typeOfModel from the architecture, domain from the task,
 *   metrics, hyperparameters from `cdx:ai-ml:model:hyperparameter:*`, limitations, energy consumption);
 * - data components and inline datasets -> `dataset_DatasetPackage`; the model's `modelParameters.datasets` become
 *   `trainedOn` relationships, except those a performance metric names in its slice (evaluation data): those, and
 *   other datasets the model depends on, become `testedOn`;
 * - file components -> `software_File` contained by the model; other components -> `software_Package`;
 * - licences -> `simplelicensing_LicenseExpression` + `hasDeclaredLicense`; hashes -> `verifiedUsing`;
 *   supplier/authors -> Organization/Person; `dependencies` -> `dependsOn`; pedigree ancestors -> `ancestorOf`;
 *   remaining CycloneDX properties -> the CycloneDX properties extension.
 * Ids are derived from the BOM serial number (or its content hash) and bom-refs, so output is deterministic.
 */
export function cycloneDxToSpdx3(input: string | Node, options: Spdx3ConvertOptions = {}): Node {
  let bom: Node;
  if (typeof input === 'string') assertJsonDepth(input, 'BOM');
  else assertValueDepth(input, 'BOM');
  if (typeof input === 'string') {
    try {
      bom = JSON.parse(input.replace(/^\uFEFF/, '')) as Node;
    } catch (cause) {
      throw new ModelsecError('BOM_NOT_RECOGNISED', `not JSON: ${(cause as Error).message}`, { cause });
    }
  } else bom = input;
  if (!isRecord(bom) || bom.bomFormat !== 'CycloneDX') {
    throw new ModelsecError('BOM_NOT_RECOGNISED', 'SPDX conversion needs a CycloneDX JSON BOM (bomFormat "CycloneDX")');
  }
  if (bom.specVersion !== '1.6' && bom.specVersion !== '1.7') {
    throw new ModelsecError(
      'BOM_UNSUPPORTED_SPEC',
      `SPDX conversion reads CycloneDX 1.6 or 1.7, got ${JSON.stringify(bom.specVersion)}`,
      { details: { specVersion: bom.specVersion } },
    );
  }
  const serial = /^urn:uuid:([0-9a-f-]{36})$/i.exec(String(bom.serialNumber ?? ''))?.[1]?.toLowerCase();
  const ns = `urn:modelsec:spdx:${serial ?? createHash('sha256').update(canonicalJson(bom)).digest('hex')}`;
  const g = new GraphBuilder(ns);
  const metadata = isRecord(bom.metadata) ? bom.metadata : {};
  const stamp = str(metadata.timestamp);
  const stampDate = stamp ? new Date(stamp) : undefined;
  const created = spdxTime(stampDate && !Number.isNaN(stampDate.getTime()) ? stampDate : (options.clock ?? clockFromEnv()).now());

  // Agents and tools.
  const agent = (type: 'Organization' | 'Person', name: string) =>
    g.add({ type, spdxId: g.id(type, name), creationInfo: '_:creationinfo', name });
  const tool = options.tool ?? { name: 'modelsec' };
  const toolName = tool.version ? `${tool.name} ${tool.version}` : tool.name;
  const creator = g.add({
    type: 'SoftwareAgent',
    spdxId: g.id('SoftwareAgent', tool.name),
    creationInfo: '_:creationinfo',
    name: tool.name,
  });
  const toolIds = [g.add({ type: 'Tool', spdxId: g.id('Tool', toolName), creationInfo: '_:creationinfo', name: toolName })];
  const tools = isRecord(metadata.tools) ? list(metadata.tools.components) : list(metadata.tools);
  for (const t of tools) {
    if (!isRecord(t) || !str(t.name)) continue;
    const name = str(t.version) ? `${t.name} ${t.version}` : String(t.name);
    toolIds.push(g.add({ type: 'Tool', spdxId: g.id('Tool', name), creationInfo: '_:creationinfo', name }));
  }

  const components = flatten(bom);
  const byRef = new Map(components.map((c) => [c.ref, c]));
  const idOf = new Map<string, string>();
  const models = components.filter((c) => c.component.type === 'machine-learning-model');

  // Dataset references of each model (training) and metric slices (evaluation).
  const trainedOn = new Map<string, string[]>();
  const inlineDatasets: { key: string; data: Component; model: string }[] = [];
  for (const m of models) {
    const card = isRecord(m.component.modelCard) ? m.component.modelCard : {};
    const params = isRecord(card.modelParameters) ? card.modelParameters : {};
    list(params.datasets).forEach((d, i) => {
      if (!isRecord(d)) return;
      if (str(d.ref)) trainedOn.set(m.ref, [...(trainedOn.get(m.ref) ?? []), String(d.ref)]);
      else inlineDatasets.push({ key: `${m.ref}/dataset/${i}`, data: d, model: m.ref });
    });
  }

  const basePackage = (c: Component, kind: string, ref: string, purpose: string | undefined): Node => {
    const name = str(c.group) ? `${c.group}/${String(c.name)}` : String(c.name ?? ref);
    const supplier = isRecord(c.supplier) ? str(c.supplier.name) : undefined;
    const manufacturer = isRecord(c.manufacturer) ? str(c.manufacturer.name) : undefined;
    const publisher = str(c.publisher);
    const supplierName = supplier ?? manufacturer ?? publisher;
    const authors = [
      ...list(c.authors)
        .map((a) => (isRecord(a) ? str(a.name) : undefined))
        .filter((a): a is string => a !== undefined),
      ...(str(c.author) ? [String(c.author)] : []),
    ];
    const website = list(c.externalReferences).find((r) => isRecord(r) && r.type === 'website' && str(r.url));
    const distribution = list(c.externalReferences).find(
      (r) => isRecord(r) && (r.type === 'distribution' || r.type === 'distribution-intake') && str(r.url),
    );
    const verified = hashes(c);
    const refs = externalRefs(c);
    return {
      type: kind,
      spdxId: g.id(kind.replace(/^\w+_/, ''), ref),
      creationInfo: '_:creationinfo',
      name,
      ...(str(c.version) ? { software_packageVersion: c.version } : {}),
      ...(str(c.purl) ? { software_packageUrl: c.purl } : {}),
      ...(distribution && isRecord(distribution) ? { software_downloadLocation: distribution.url } : {}),
      ...(website && isRecord(website) ? { software_homePage: website.url } : {}),
      ...(str(c.description) ? { description: c.description } : {}),
      ...(str(c.copyright) ? { software_copyrightText: c.copyright } : {}),
      ...(purpose ? { software_primaryPurpose: purpose } : {}),
      ...(supplierName ? { suppliedBy: agent('Organization', supplierName) } : {}),
      ...(authors.length > 0 ? { originatedBy: [...new Set(authors)].sort().map((a) => agent('Person', a)) } : {}),
      ...(verified.length > 0 ? { verifiedUsing: verified } : {}),
      ...(refs.length > 0 ? { externalRef: refs } : {}),
    };
  };

  const aiPackage = (c: Component, ref: string): Node => {
    const node = basePackage(c, 'ai_AIPackage', ref, 'model');
    const card = isRecord(c.modelCard) ? c.modelCard : {};
    const params = isRecord(card.modelParameters) ? card.modelParameters : {};
    const considerations = isRecord(card.considerations) ? card.considerations : {};
    const analysis = isRecord(card.quantitativeAnalysis) ? card.quantitativeAnalysis : {};
    const types = [str(params.architectureFamily), str(params.modelArchitecture)].filter((t): t is string => !!t);
    if (types.length > 0) node.ai_typeOfModel = [...new Set(types)];
    if (str(params.task)) node.ai_domain = [params.task];
    const approach = isRecord(params.approach) ? str(params.approach.type) : undefined;
    const datasetNames = list(params.datasets)
      .map((d) =>
        isRecord(d)
          ? (str(d.name) ?? (str(d.ref) ? String(byRef.get(String(d.ref))?.component.name ?? d.ref) : undefined))
          : undefined,
      )
      .filter((d): d is string => !!d);
    const training = [
      approach ? `approach: ${approach}` : undefined,
      datasetNames.length > 0 ? `datasets: ${datasetNames.join(', ')}` : undefined,
    ].filter(Boolean);
    if (training.length > 0) node.ai_informationAboutTraining = training.join('; ');
    const application = joined([
      ...list(considerations.useCases),
      ...list(considerations.users).map((u) => (typeof u === 'string' ? `users: ${u}` : u)),
    ]);
    if (application) node.ai_informationAboutApplication = application;
    const limitation = joined([
      ...list(considerations.technicalLimitations),
      ...list(considerations.performanceTradeoffs),
      ...list(considerations.ethicalConsiderations).map((e) =>
        isRecord(e) && str(e.name)
          ? `${e.name}${str(e.mitigationStrategy) ? ` (mitigation: ${e.mitigationStrategy})` : ''}`
          : undefined,
      ),
    ]);
    if (limitation) node.ai_limitation = limitation;
    const metrics = list(analysis.performanceMetrics)
      .filter(isRecord)
      .filter((m) => str(m.type))
      .map((m) => ({
        type: 'DictionaryEntry',
        key: str(m.slice) ? `${m.type} (${m.slice})` : String(m.type),
        ...(m.value !== undefined ? { value: String(m.value) } : {}),
      }));
    if (metrics.length > 0) node.ai_metric = metrics;
    const hyperPrefix = 'cdx:ai-ml:model:hyperparameter:';
    const hyper = [...list(c.properties), ...list(card.properties)]
      .filter(isRecord)
      .filter((p) => typeof p.name === 'string' && p.name.startsWith(hyperPrefix))
      .map((p) => ({
        type: 'DictionaryEntry',
        key: String(p.name).slice(hyperPrefix.length),
        ...(typeof p.value === 'string' ? { value: p.value } : {}),
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (hyper.length > 0) node.ai_hyperparameter = hyper;
    const environmental = isRecord(considerations.environmentalConsiderations) ? considerations.environmentalConsiderations : {};
    const energy: Node = {};
    for (const e of list(environmental.energyConsumptions)) {
      if (!isRecord(e)) continue;
      const field = ENERGY_ACTIVITIES[String(e.activity)];
      const cost = isRecord(e.activityEnergyCost) ? e.activityEnergyCost : undefined;
      if (!field || !cost || typeof cost.value !== 'number') continue;
      const description = {
        type: 'ai_EnergyConsumptionDescription',
        ai_energyQuantity: cost.value,
        ai_energyUnit: cost.unit === 'kWh' ? 'kilowattHour' : 'other',
      };
      energy[field] = [...list(energy[field]), description];
    }
    if (Object.keys(energy).length > 0) node.ai_energyConsumption = { type: 'ai_EnergyConsumption', ...energy };
    const ext = cdxPropertiesExtension(c, hyperPrefix);
    if (ext.length > 0) node.extension = ext;
    return node;
  };

  const datasetPackage = (c: Component, ref: string): Node => {
    const node = basePackage(c, 'dataset_DatasetPackage', ref, 'data');
    node.dataset_datasetType = ['noAssertion'];
    const info = [c, ...list(c.data)].filter(isRecord);
    const classification = info.map((d) => str(d.classification)).find((x) => x !== undefined);
    const level = classification ? CONFIDENTIALITY[classification.toLowerCase()] : undefined;
    if (level) node.dataset_confidentialityLevel = level;
    const contents = info.map((d) => (isRecord(d.contents) ? str(d.contents.url) : undefined)).find((x) => x !== undefined);
    if (contents && !node.software_downloadLocation) node.software_downloadLocation = contents;
    const ext = cdxPropertiesExtension(c);
    if (ext.length > 0) node.extension = ext;
    return node;
  };

  // Elements for every component.
  for (const { ref, component: c } of components) {
    const type = String(c.type);
    let node: Node;
    if (type === 'machine-learning-model') node = aiPackage(c, ref);
    else if (type === 'data') node = datasetPackage(c, ref);
    else if (type === 'file') {
      node = basePackage(c, 'software_File', ref, undefined);
      for (const k of ['software_packageVersion', 'software_packageUrl', 'software_downloadLocation', 'software_homePage'])
        delete node[k];
      node.software_fileKind = 'file';
    } else {
      node = basePackage(c, 'software_Package', ref, PURPOSES[type] ?? 'other');
      const ext = cdxPropertiesExtension(c);
      if (ext.length > 0) node.extension = ext;
    }
    idOf.set(ref, g.add(node));
  }
  for (const d of inlineDatasets) {
    const name = str(d.data.name) ?? `dataset ${inlineDatasets.indexOf(d) + 1}`;
    idOf.set(d.key, g.add(datasetPackage({ ...d.data, name }, d.key)));
    trainedOn.set(d.model, [...(trainedOn.get(d.model) ?? []), d.key]);
  }

  // Licences.
  for (const { ref, component: c } of components) {
    const expression = licenseExpression(c.licenses);
    const from = idOf.get(ref);
    if (!expression || !from) continue;
    const concluded = list(c.licenses).some(
      (l) => isRecord(l) && isRecord(l.license) && l.license.acknowledgement === 'concluded',
    );
    const license = g.add({
      type: 'simplelicensing_LicenseExpression',
      spdxId: g.id('License', expression),
      creationInfo: '_:creationinfo',
      simplelicensing_licenseExpression: expression,
    });
    g.relationship(from, concluded ? 'hasConcludedLicense' : 'hasDeclaredLicense', [license]);
  }

  // Training and evaluation datasets, files, dependencies.
  const handled = new Set<string>();
  for (const m of models) {
    const modelId = idOf.get(m.ref) as string;
    const card = isRecord(m.component.modelCard) ? m.component.modelCard : {};
    const analysis = isRecord(card.quantitativeAnalysis) ? card.quantitativeAnalysis : {};
    const slices = list(analysis.performanceMetrics)
      .map((p) => (isRecord(p) ? normaliseName(String(p.slice ?? '')) : ''))
      .filter((s) => s !== '');
    // A dataset a performance metric was measured on (named in the metric's slice) is an evaluation dataset.
    const measuredOn = (c: { ref: string; component: Component }) =>
      [c.ref, String(c.component.name ?? ''), `${String(c.component.group ?? '')}${String(c.component.name ?? '')}`]
        .map(normaliseName)
        .some((n) => n.length >= 3 && slices.some((s) => s.includes(n)));
    const deps = list(bom.dependencies).find((d) => isRecord(d) && d.ref === m.ref);
    const dependsOn = isRecord(deps) ? list(deps.dependsOn).map(String) : [];
    const declared = trainedOn.get(m.ref) ?? [];
    const dataComponents = components.filter((c) => c.component.type === 'data');
    const trained = declared.filter((r) => {
      const c = byRef.get(r);
      return !(c && measuredOn(c));
    });
    const tested = dataComponents
      .filter((c) => (declared.includes(c.ref) ? measuredOn(c) : dependsOn.includes(c.ref) || measuredOn(c)))
      .map((c) => c.ref);
    for (const r of [...declared, ...tested]) handled.add(`${m.ref}\u0000${r}`);
    g.relationship(
      modelId,
      'trainedOn',
      trained.map((r) => idOf.get(r)).filter((x): x is string => !!x),
    );
    g.relationship(
      modelId,
      'testedOn',
      tested.map((r) => idOf.get(r)).filter((x): x is string => !!x),
    );
    const files = components.filter(
      (c) =>
        c.component.type === 'file' &&
        (c.parent === m.ref || dependsOn.includes(c.ref) || (models.length === 1 && c.parent === undefined)),
    );
    for (const f of files) handled.add(`${m.ref}\u0000${f.ref}`);
    g.relationship(
      modelId,
      'contains',
      files.map((f) => idOf.get(f.ref) as string),
    );
    // Base models.
    const pedigree = isRecord(m.component.pedigree) ? m.component.pedigree : {};
    list(pedigree.ancestors).forEach((a, i) => {
      if (!isRecord(a)) return;
      const key = str(a['bom-ref']) ?? `${m.ref}/ancestor/${i}`;
      const existing = idOf.get(key);
      const ancestorId =
        existing ??
        g.add(
          a.type === 'machine-learning-model'
            ? aiPackage(a, key)
            : basePackage(a, 'software_Package', key, PURPOSES[String(a.type)] ?? 'other'),
        );
      idOf.set(key, ancestorId);
      g.relationship(ancestorId, 'ancestorOf', [modelId]);
    });
  }
  for (const d of list(bom.dependencies)) {
    if (!isRecord(d) || typeof d.ref !== 'string') continue;
    const from = idOf.get(d.ref);
    if (!from) continue;
    const to = list(d.dependsOn)
      .map(String)
      .filter((r) => !handled.has(`${d.ref}\u0000${r}`))
      .map((r) => idOf.get(r))
      .filter((x): x is string => !!x);
    g.relationship(from, 'dependsOn', to);
  }

  // Vulnerabilities (the scan's findings, the dependency audit's records): SPDX 3 security elements, each linked
  // from what it affects by hasAssociatedVulnerability, with a CVSS v3 assessment when the rating carries a score.
  for (const v of list(bom.vulnerabilities)) {
    if (!isRecord(v)) continue;
    const id = str(v.id);
    if (!id) continue;
    const affected = list(v.affects)
      .map((a) => (isRecord(a) ? idOf.get(String(a.ref)) : undefined))
      .filter((x): x is string => !!x);
    if (affected.length === 0) continue;
    const key = `${id}\u0000${str(v['bom-ref']) ?? ''}`;
    const aliases = list(v.references)
      .map((r) => (isRecord(r) ? str(r.id) : undefined))
      .filter((x): x is string => !!x);
    const identifiers = [id, ...aliases].map((identifier) => ({
      type: 'ExternalIdentifier',
      externalIdentifierType: /^CVE-\d{4}-\d+$/.test(identifier) ? 'cve' : 'securityOther',
      identifier,
    }));
    const advisories = list(v.advisories)
      .map((a) => (isRecord(a) ? str(a.url) : undefined))
      .filter((x): x is string => !!x);
    const vulnId = g.add({
      type: 'security_Vulnerability',
      spdxId: g.id('Vulnerability', key),
      creationInfo: '_:creationinfo',
      name: id,
      ...(str(v.description) ? { description: str(v.description) } : {}),
      externalIdentifier: identifiers,
      ...(advisories.length > 0
        ? { externalRef: advisories.map((url) => ({ type: 'ExternalRef', externalRefType: 'securityAdvisory', locator: [url] })) }
        : {}),
    });
    for (const target of affected) g.relationship(target, 'hasAssociatedVulnerability', [vulnId]);
    for (const rating of list(v.ratings)) {
      if (!isRecord(rating) || typeof rating.score !== 'number' || !str(rating.vector)?.startsWith('CVSS:3')) continue;
      const severity = str(rating.severity);
      const spdxSeverity = severity === 'info' ? 'none' : severity;
      if (!spdxSeverity || !['critical', 'high', 'medium', 'low', 'none'].includes(spdxSeverity)) continue;
      for (const target of affected)
        g.add({
          type: 'security_CvssV3VulnAssessmentRelationship',
          spdxId: g.id('Assessment', `${key}\u0000${target}\u0000${str(rating.vector)}`),
          creationInfo: '_:creationinfo',
          from: vulnId,
          relationshipType: 'hasAssessmentFor',
          to: [target],
          security_score: rating.score,
          security_severity: spdxSeverity,
          security_vectorString: str(rating.vector),
        });
    }
  }

  // The document.
  const roots = (models.length > 0 ? models : components.slice(0, 1)).map((c) => idOf.get(c.ref) as string);
  const elements = [...g.nodes.keys()].sort();
  const rootComponent = models[0]?.component ?? components[0]?.component;
  const documentName = rootComponent ? `ML-BOM of ${String(rootComponent.name)}` : 'ML-BOM';
  const document: Node = {
    type: 'SpdxDocument',
    spdxId: `${ns}:SpdxDocument`,
    creationInfo: '_:creationinfo',
    name: documentName,
    dataLicense: 'https://spdx.org/licenses/CC0-1.0',
    profileConformance: ['ai', 'core', 'dataset', 'security', 'simpleLicensing', 'software'],
    rootElement: roots,
    element: elements,
  };
  const creationInfo: Node = {
    type: 'CreationInfo',
    '@id': '_:creationinfo',
    specVersion: SPDX_VERSION,
    created,
    createdBy: [creator],
    createdUsing: [...new Set(toolIds)].sort(),
  };
  const graph = [creationInfo, document, ...elements.map((id) => g.nodes.get(id) as Node)];
  return { '@context': SPDX_CONTEXT, '@graph': graph };
}
