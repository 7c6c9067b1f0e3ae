/** The ML-BOM of a version rendered for a person, with a download of the exact bytes the registry stores. */
import { enc, type VersionDetail } from '../api.js';
import { type Child, code, downloadLink, facts, h, table } from '../dom.js';
import { errorText, section } from './common.js';
import { scoreMlbom } from './mlbom-score.js';
import { xmlBomToObject } from './mlbom-xml.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

function licenses(v: unknown): string {
  return arr(v)
    .map((l) => {
      const o = obj(l);
      const lic = obj(o.license);
      return str(o.expression ?? lic.id ?? lic.name);
    })
    .filter((s) => s !== '')
    .join(', ');
}

function hashes(v: unknown): Child {
  const list = arr(v).map((x) => `${str(obj(x).alg)}:${str(obj(x).content)}`);
  return list.length ? code(list.join(' ')) : '—';
}

export function renderMlbom(bom: Obj, format: 'json' | 'xml' = 'json'): HTMLElement {
  const model = obj(obj(bom.metadata).component);
  const card = obj(model.modelCard);
  const params = obj(card.modelParameters);
  const components = arr(bom.components).map(obj);
  const byRef = new Map(components.map((c) => [str(c['bom-ref']), c]));
  const datasets = arr(params.datasets).map((d) => {
    const o = obj(d);
    return o.ref !== undefined ? (byRef.get(str(o.ref)) ?? o) : o;
  });
  const libraries = components.filter((c) => c.type === 'library' || c.type === 'framework');
  const vulns = arr(bom.vulnerabilities).map(obj);
  const score = format === 'json' ? scoreMlbom(bom) : undefined;
  return h(
    'div',
    { class: 'mlbom', 'data-testid': 'mlbom' },
    h('h3', {}, 'Model card'),
    facts([
      ['name', str(model.name)],
      ['version', str(model.version)],
      ['description', h('span', { 'data-testid': 'model-card-description' }, str(model.description))],
      ['licences', licenses(model.licenses)],
      ['task', str(params.task)],
      ['architecture', str(params.architectureFamily ?? params.modelArchitecture)],
      ['intended use', arr(obj(card.considerations).useCases).map(str).join('; ')],
      ['format', `${str(bom.bomFormat)} ${str(bom.specVersion)}`],
    ]),
    h('h3', {}, 'Datasets'),
    datasets.length === 0
      ? h('p', {}, 'No dataset named.')
      : table(
          'Datasets the model was trained or evaluated on',
          ['name', 'hashes', 'licences'],
          datasets.map((d) => [
            h('span', { 'data-testid': 'dataset-name' }, str(d.name)),
            hashes(d.hashes),
            licenses(d.licenses),
          ]),
        ),
    h('h3', {}, 'Dependencies'),
    libraries.length === 0
      ? h('p', {}, 'No dependency listed.')
      : table(
          'Dependencies and their audit findings',
          ['name', 'version', 'purl', 'licences', 'findings'],
          libraries.map((c) => {
            const ref = str(c['bom-ref']);
            const found = vulns.filter((v) => arr(v.affects).some((a) => str(obj(a).ref) === ref));
            return [
              str(c.name),
              str(c.version),
              code(str(c.purl)),
              licenses(c.licenses),
              found.map((v) => str(v.id)).join(', ') || 'none',
            ];
          }),
        ),
    h('h3', {}, 'Completeness'),
    ...(score
      ? completeness(score)
      : [h('p', { 'data-testid': 'completeness' }, 'XML ML-BOMs are not scored (as by modelsec bom score).')]),
  );
}

function completeness(score: ReturnType<typeof scoreMlbom>): HTMLElement[] {
  return [
    h(
      'p',
      { 'data-testid': 'completeness' },
      `Score ${score.score} of 100 (the rubric of modelsec bom score). `,
      score.categories.map((c) => `${c.title}: ${c.score}/${c.max}. `),
    ),
    score.missing.length === 0
      ? h('p', {}, 'Nothing missing.')
      : table(
          'What is missing, heaviest first',
          ['field', 'where', 'weight', 'why it matters'],
          score.missing.map((m) => [m.id, code(m.path), String(m.weight), m.why]),
          { 'data-testid': 'missing' },
        ),
  ];
}

/** XML when the bytes say so (after a byte-order mark and white space), whatever media type the attachment names. */
const looksLikeXml = (text: string) => /^\uFEFF?\s*</.test(text);

export async function mlbomSection(v: VersionDetail, getBytes: (path: string) => Promise<Uint8Array>): Promise<HTMLElement> {
  const ref = v.attachments.find((a) => a.kind === 'mlbom');
  if (!ref) return section('ML-BOM', h('p', {}, 'No ML-BOM was pushed with this version.'));
  try {
    const bytes = await getBytes(`/v1/namespaces/${enc(v.namespace)}/blobs/${enc(ref.digest)}`);
    const text = new TextDecoder().decode(bytes);
    const xml = looksLikeXml(text);
    const download = downloadLink(
      bytes,
      xml ? 'application/vnd.cyclonedx+xml' : 'application/vnd.cyclonedx+json',
      `${v.model}-${v.version}.cdx.${xml ? 'xml' : 'json'}`,
      `Download the exact ML-BOM (${xml ? 'XML' : 'JSON'}, sha256 ${ref.digest})`,
    );
    return section(
      'ML-BOM',
      h('p', {}, download),
      xml ? renderMlbom(xmlBomToObject(text), 'xml') : renderMlbom(obj(JSON.parse(text))),
    );
  } catch (error) {
    return section('ML-BOM', errorText(error));
  }
}
