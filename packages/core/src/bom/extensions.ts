/**
 * The one place where modelsec adds to CycloneDX what @cyclonedx/cyclonedx-library does not model: `modelCard`,
 * component `data`, `pedigree`, `authors` and `tags`. Extensions are given in their JSON shape (keys in the XSD's
 * element order), keyed by component bom-ref, and applied to the library's normalised output for JSON and XML.
 */
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import type * as Spec from '@cyclonedx/cyclonedx-library/Spec';

type Json = string | number | boolean | JsonObject | Json[];
export interface JsonObject {
  [key: string]: Json;
}

/** What the library cannot express for one component, in CycloneDX JSON shape. */
export interface ComponentExtension {
  authors?: Array<{ name: string }>;
  pedigree?: { ancestors: JsonObject[] };
  modelCard?: JsonObject;
  data?: JsonObject[];
  tags?: string[];
}

export type BomExtensions = ReadonlyMap<string, ComponentExtension>;

/** Where each extension goes in a component's XSD sequence: it must precede the first of these present. */
const XML_FOLLOWERS: Record<keyof ComponentExtension, readonly string[]> = {
  authors: ['author', 'publisher', 'group', 'name', 'version', 'description'],
  pedigree: [
    'externalReferences',
    'properties',
    'components',
    'evidence',
    'releaseNotes',
    'modelCard',
    'data',
    'cryptoProperties',
    'tags',
    'signature',
  ],
  modelCard: ['data', 'cryptoProperties', 'tags', 'signature'],
  data: ['cryptoProperties', 'tags', 'signature'],
  tags: ['signature'],
};
const EXTENSION_ORDER: ReadonlyArray<keyof ComponentExtension> = ['authors', 'pedigree', 'modelCard', 'data', 'tags'];

// ── JSON ──────────────────────────────────────────────────────────────────────────────────────────────────────

function applyToJsonComponent(component: Record<string, unknown>, extensions: BomExtensions): void {
  const ref = component['bom-ref'];
  const ext = typeof ref === 'string' ? extensions.get(ref) : undefined;
  if (ext) for (const key of EXTENSION_ORDER) if (ext[key] !== undefined) component[key] = ext[key];
  const children = component.components;
  if (Array.isArray(children)) for (const c of children) applyToJsonComponent(c as Record<string, unknown>, extensions);
}

/** Adds the extensions to a normalised JSON BOM (metadata.component and every component, nested too). */
export function applyJsonExtensions(bom: Record<string, unknown>, extensions: BomExtensions): void {
  const metadata = bom.metadata as Record<string, unknown> | undefined;
  if (metadata?.component) applyToJsonComponent(metadata.component as Record<string, unknown>, extensions);
  if (Array.isArray(bom.components))
    for (const c of bom.components) applyToJsonComponent(c as Record<string, unknown>, extensions);
}

// ── XML ───────────────────────────────────────────────────────────────────────────────────────────────────────

type XmlElement = Serialize.XML.Types.SimpleXml.Element;
type XmlChild = Serialize.XML.Types.SimpleXml.Element | Serialize.XML.Types.SimpleXml.Comment;

/** Singular element names for JSON arrays whose XML form wraps one element per item. */
const XML_ITEM_NAMES: Record<string, string> = {
  authors: 'author',
  ancestors: 'component',
  datasets: 'dataset',
  inputs: 'input',
  outputs: 'output',
  performanceMetrics: 'performanceMetric',
  users: 'user',
  useCases: 'useCase',
  technicalLimitations: 'technicalLimitation',
  performanceTradeoffs: 'performanceTradeoff',
  ethicalConsiderations: 'ethicalConsideration',
  fairnessAssessments: 'fairnessAssessment',
  energyConsumptions: 'energyConsumption',
  externalReferences: 'reference',
  hashes: 'hash',
  tags: 'tag',
};
/** JSON keys that are XML attributes: `bom-ref` everywhere, `type` only on components (elsewhere an element). */
function isXmlAttribute(element: string, key: string): boolean {
  return key === 'bom-ref' || (key === 'type' && element === 'component');
}

function text(name: string, value: string | number | boolean): XmlElement {
  return { type: 'element', name, children: String(value) };
}

function toXml(name: string, value: Json): XmlElement {
  if (typeof value !== 'object') return text(name, value);
  if (Array.isArray(value)) {
    if (name === 'properties') {
      return {
        type: 'element',
        name,
        children: value.map((p) => {
          const prop = p as JsonObject;
          return {
            type: 'element',
            name: 'property',
            attributes: { name: String(prop.name) },
            children: String(prop.value ?? ''),
          };
        }),
      };
    }
    const item = XML_ITEM_NAMES[name] ?? name.replace(/s$/, '');
    return {
      type: 'element',
      name,
      children: value.map((v) => {
        if (
          name === 'datasets' &&
          typeof v === 'object' &&
          !Array.isArray(v) &&
          typeof v.ref === 'string' &&
          Object.keys(v).length === 1
        ) {
          return text('ref', v.ref);
        }
        return toXml(item, v);
      }),
    };
  }
  const attributes: Record<string, string> = {};
  const children: XmlElement[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (isXmlAttribute(name, key) && typeof v !== 'object') attributes[key] = String(v);
    else if (key === 'hashes' && Array.isArray(v)) {
      children.push({
        type: 'element',
        name: 'hashes',
        children: v.map((h) => {
          const hash = h as JsonObject;
          return { type: 'element', name: 'hash', attributes: { alg: String(hash.alg) }, children: String(hash.content) };
        }),
      });
    } else if (key === 'externalReferences' && Array.isArray(v)) {
      children.push({
        type: 'element',
        name: 'externalReferences',
        children: v.map((r) => {
          const ref = r as JsonObject;
          return {
            type: 'element',
            name: 'reference',
            attributes: { type: String(ref.type) },
            children: [text('url', String(ref.url))],
          };
        }),
      });
    } else children.push(toXml(key, v));
  }
  return { type: 'element', name, ...(Object.keys(attributes).length > 0 ? { attributes } : {}), children };
}

function childList(element: XmlElement): XmlChild[] {
  const c = element.children;
  if (c === undefined || typeof c === 'string' || typeof c === 'number') return [];
  return [...(c as Iterable<XmlChild>)];
}

function insertBefore(children: XmlChild[], followers: readonly string[], added: XmlElement[]): XmlChild[] {
  const at = children.findIndex((c) => c.type === 'element' && followers.includes(c.name));
  const index = at === -1 ? children.length : at;
  return [...children.slice(0, index), ...added, ...children.slice(index)];
}

function applyToXmlComponent(component: XmlElement, extensions: BomExtensions): void {
  const ref = component.attributes?.['bom-ref'];
  const ext = ref === undefined ? undefined : extensions.get(String(ref));
  let children = childList(component);
  if (ext) {
    for (const key of EXTENSION_ORDER) {
      const value = ext[key];
      if (value === undefined) continue;
      const added = key === 'data' ? (value as JsonObject[]).map((d) => toXml('data', d)) : [toXml(key, value as Json)];
      children = insertBefore(children, XML_FOLLOWERS[key], added);
    }
    component.children = children;
  }
  for (const child of children) {
    if (child.type === 'element' && child.name === 'components') {
      for (const c of childList(child)) if (c.type === 'element' && c.name === 'component') applyToXmlComponent(c, extensions);
    }
  }
}

/** Adds the extensions to a normalised XML BOM (metadata/component and every component, nested too). */
export function applyXmlExtensions(bom: XmlElement, extensions: BomExtensions): void {
  for (const section of childList(bom)) {
    if (section.type !== 'element') continue;
    if (section.name === 'metadata') {
      for (const c of childList(section)) if (c.type === 'element' && c.name === 'component') applyToXmlComponent(c, extensions);
    } else if (section.name === 'components') {
      for (const c of childList(section)) if (c.type === 'element' && c.name === 'component') applyToXmlComponent(c, extensions);
    }
  }
}

// ── Serializers ───────────────────────────────────────────────────────────────────────────────────────────────

/** The library's JSON serializer plus the extensions. */
export class ExtendedJsonSerializer extends Serialize.JsonSerializer {
  constructor(
    spec: typeof Spec.Spec1dot6,
    private readonly extensions: BomExtensions,
  ) {
    super(new Serialize.JSON.Normalize.Factory(spec));
  }
  protected override _normalize(
    ...args: Parameters<Serialize.JsonSerializer['_normalize']>
  ): ReturnType<Serialize.JsonSerializer['_normalize']> {
    const normalized = super._normalize(...args);
    applyJsonExtensions(normalized as unknown as Record<string, unknown>, this.extensions);
    return normalized;
  }
}

/** The library's XML serializer plus the extensions. */
export class ExtendedXmlSerializer extends Serialize.XmlSerializer {
  constructor(
    spec: typeof Spec.Spec1dot6,
    private readonly extensions: BomExtensions,
  ) {
    super(new Serialize.XML.Normalize.Factory(spec));
  }
  protected override _normalize(
    ...args: Parameters<Serialize.XmlSerializer['_normalize']>
  ): ReturnType<Serialize.XmlSerializer['_normalize']> {
    const normalized = super._normalize(...args);
    applyXmlExtensions(normalized, this.extensions);
    return normalized;
  }
}
