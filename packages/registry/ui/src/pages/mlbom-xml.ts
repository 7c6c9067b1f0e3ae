/**
 * A CycloneDX XML ML-BOM read into the JSON shape the ML-BOM page renders (the fields a person reads: the model
 * card, datasets, dependencies, licences, hashes, vulnerabilities), with the browser's own XML parser. DOMParser
 * never runs scripts nor fetches external entities; the text of each element is read as text, never as markup.
 * The completeness score is not computed for XML, as `modelsec bom score` does not score XML.
 */

type Obj = Record<string, unknown>;

/** Largest XML ML-BOM rendered (ML-BOMs are small; the registry bounds what it accepts at push the same way). */
export const MAX_XML_BOM_BYTES = 16 * 1024 * 1024;
/** Deepest component nesting read (CycloneDX nests components; a hostile BOM could nest without end). */
export const MAX_XML_COMPONENT_DEPTH = 32;

export class XmlBomError extends Error {}

const children = (el: Element | undefined, name: string): Element[] =>
  el ? [...el.children].filter((c) => c.localName === name) : [];
const child = (el: Element | undefined, name: string): Element | undefined => children(el, name)[0];
const text = (el: Element | undefined, name: string): string | undefined => {
  const c = child(el, name);
  return c ? (c.textContent ?? '').trim() : undefined;
};
/** Element `path` (a/b/c) below `el`, all matches of the last step. */
const all = (el: Element | undefined, path: string): Element[] => {
  let level = el ? [el] : [];
  for (const step of path.split('/')) level = level.flatMap((e) => children(e, step));
  return level;
};

function setIf(o: Obj, key: string, value: unknown): void {
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return;
  o[key] = value;
}

function licensesOf(el: Element | undefined): Obj[] {
  const out: Obj[] = [];
  const list = child(el, 'licenses');
  if (!list) return out;
  for (const c of [...list.children]) {
    if (c.localName === 'expression') out.push({ expression: (c.textContent ?? '').trim() });
    else if (c.localName === 'license') {
      const license: Obj = {};
      setIf(license, 'id', text(c, 'id'));
      setIf(license, 'name', text(c, 'name'));
      out.push({ license });
    }
  }
  return out;
}

const hashesOf = (el: Element | undefined): Obj[] =>
  all(el, 'hashes/hash').map((h) => ({ alg: h.getAttribute('alg') ?? '', content: (h.textContent ?? '').trim() }));

function componentOf(el: Element, depth: number): Obj {
  const c: Obj = {};
  setIf(c, 'type', el.getAttribute('type') ?? undefined);
  setIf(c, 'bom-ref', el.getAttribute('bom-ref') ?? undefined);
  for (const key of ['group', 'name', 'version', 'description', 'purl']) setIf(c, key, text(el, key));
  setIf(c, 'licenses', licensesOf(el));
  setIf(c, 'hashes', hashesOf(el));
  const card = child(el, 'modelCard');
  if (card) {
    const params = child(card, 'modelParameters');
    const modelParameters: Obj = {};
    for (const key of ['task', 'architectureFamily', 'modelArchitecture']) setIf(modelParameters, key, text(params, key));
    const datasets = child(params, 'datasets');
    if (datasets)
      modelParameters.datasets = [...datasets.children].map((d) =>
        d.localName === 'ref' ? { ref: (d.textContent ?? '').trim() } : componentOf(d, depth + 1),
      );
    const useCases = all(card, 'considerations/useCases/useCase').map((u) => (u.textContent ?? '').trim());
    c.modelCard = { modelParameters, ...(useCases.length ? { considerations: { useCases } } : {}) };
  }
  if (depth < MAX_XML_COMPONENT_DEPTH)
    setIf(
      c,
      'components',
      all(el, 'components/component').map((x) => componentOf(x, depth + 1)),
    );
  return c;
}

/** Flattens nested components (as the JSON renderer looks them up by bom-ref), bounded by MAX_XML_COMPONENT_DEPTH. */
function flatten(list: Obj[]): Obj[] {
  const out: Obj[] = [];
  const stack = [...list].reverse();
  while (stack.length) {
    const c = stack.pop() as Obj;
    const { components, ...rest } = c;
    out.push(rest);
    if (Array.isArray(components)) stack.push(...[...(components as Obj[])].reverse());
  }
  return out;
}

export function xmlBomToObject(source: string): Obj {
  if (source.length > MAX_XML_BOM_BYTES) throw new XmlBomError(`the XML ML-BOM is larger than ${MAX_XML_BOM_BYTES} bytes`);
  const doc = new DOMParser().parseFromString(source, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) throw new XmlBomError('the ML-BOM is not well-formed XML');
  const root = doc.documentElement;
  const ns = root.namespaceURI ?? '';
  const spec = /^http:\/\/cyclonedx\.org\/schema\/bom\/(\d+\.\d+)$/.exec(ns);
  if (root.localName !== 'bom' || !spec) throw new XmlBomError('the XML document is not a CycloneDX BOM');
  const bom: Obj = { bomFormat: 'CycloneDX', specVersion: spec[1] };
  setIf(bom, 'version', root.getAttribute('version') ? Number(root.getAttribute('version')) : undefined);
  setIf(bom, 'serialNumber', root.getAttribute('serialNumber') ?? undefined);
  const metaComponent = child(child(root, 'metadata'), 'component');
  if (metaComponent) bom.metadata = { component: componentOf(metaComponent, 0) };
  setIf(bom, 'components', flatten(all(root, 'components/component').map((c) => componentOf(c, 0))));
  setIf(
    bom,
    'vulnerabilities',
    all(root, 'vulnerabilities/vulnerability').map((v) => ({
      id: text(v, 'id') ?? '',
      affects: all(v, 'affects/target').map((t) => ({ ref: text(t, 'ref') ?? '' })),
    })),
  );
  return bom;
}
