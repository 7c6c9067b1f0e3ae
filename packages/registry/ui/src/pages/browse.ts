/** Namespaces → models → versions, and search. */
import { enc, getJson, type NamespaceInfo, type VersionSummary } from '../api.js';
import { code, h, link, table } from '../dom.js';
import { go } from '../nav.js';
import { hrefOf, SEARCH_KINDS, type SearchKind, versionHref } from '../routes.js';
import { errorText, scanBadge, section, signerText, when, yankedBadge } from './common.js';

/** Most models listed while searching by name (each namespace's list is one request). */
export const MAX_NAME_SEARCH_NAMESPACES = 200;

const SEARCH_LABELS: Record<SearchKind, string> = {
  name: 'model or namespace name',
  fileDigest: 'file sha256',
  signerIdentity: 'signer identity (certificate subject or Sigstore identity)',
  signerKey: 'signer key fingerprint',
  derivedFrom: 'dataset or base model (name or sha256)',
};

export function searchForm(kind: SearchKind = 'name', q = ''): HTMLElement {
  const select = h(
    'select',
    { id: 'search-kind', name: 'kind' },
    SEARCH_KINDS.map((k) => {
      const o = h('option', { value: k }, SEARCH_LABELS[k]);
      o.selected = k === kind;
      return o;
    }),
  );
  const input = h('input', {
    id: 'search-q',
    name: 'q',
    type: 'search',
    value: q,
    required: true,
    spellcheck: false,
    autocomplete: 'off',
  });
  const form = h(
    'form',
    { role: 'search', class: 'search', 'aria-label': 'Search the registry' },
    h('label', { for: 'search-kind' }, 'Search by'),
    select,
    h('label', { for: 'search-q' }, 'for'),
    input,
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(hrefOf({ page: 'search', kind: select.value as SearchKind, q: input.value.trim() }));
  });
  return form;
}

export async function homePage() {
  const { namespaces } = await getJson<{ namespaces: NamespaceInfo[] }>('/v1/namespaces');
  return {
    title: 'Namespaces',
    body: h(
      'div',
      {},
      searchForm(),
      namespaces.length === 0
        ? h('p', {}, 'No namespace you can read. Private namespaces need a token: ', link('/ui/-/token', 'Token'), '.')
        : table(
            'Namespaces you can read',
            ['namespace', 'visibility', 'created'],
            namespaces.map((n) => [
              link(hrefOf({ page: 'namespace', ns: n.name }), n.name),
              n.public ? 'public' : 'private',
              when(n.createdAt),
            ]),
          ),
    ),
  };
}

export async function namespacePage(ns: string) {
  const [info, models] = await Promise.all([
    getJson<NamespaceInfo & { policyVersion: number | null }>(`/v1/namespaces/${enc(ns)}`),
    getJson<{ models: { name: string; createdAt: string }[] }>(`/v1/namespaces/${enc(ns)}/models`),
  ]);
  const policy = await getJson<Record<string, unknown>>(`/v1/namespaces/${enc(ns)}/policy`).catch((e: unknown) => e);
  const history = await getJson<{
    history: { version: number; at?: string; createdAt?: string; by?: string; createdBy?: string; document?: unknown }[];
  }>(`/v1/namespaces/${enc(ns)}/policy/history`).catch((e: unknown) => e);
  return {
    title: ns,
    body: h(
      'div',
      {},
      h(
        'p',
        { class: 'crumbs' },
        link('/ui/', 'Namespaces'),
        ' / ',
        ns,
        ' · ',
        info.public ? 'public' : 'private',
        ' · created ',
        when(info.createdAt),
      ),
      models.models.length === 0
        ? h('p', {}, 'No model published in this namespace.')
        : table(
            `Models of ${ns}`,
            ['model', 'created'],
            models.models.map((m) => [link(hrefOf({ page: 'model', ns, model: m.name }), m.name), when(m.createdAt)]),
          ),
      section(
        'Policy',
        policy instanceof Error || (policy as { code?: string }).code
          ? errorText(policy)
          : h('pre', { class: 'json' }, JSON.stringify(policy, null, 2)),
        h('h3', {}, 'Policy history'),
        history instanceof Error || !(history as { history?: unknown }).history
          ? errorText(history)
          : historyTable(history as { history: Record<string, unknown>[] }),
        h('p', {}, link(hrefOf({ page: 'audit', namespace: ns }), `Audit log of ${ns}`), ' (namespace admin token)'),
      ),
    ),
  };
}

function historyTable(history: { history: Record<string, unknown>[] }): HTMLElement {
  if (history.history.length === 0) return h('p', {}, 'No policy was ever set: the registry default applies.');
  return table(
    'Policy versions (who changed what, when)',
    ['version', 'when', 'by', 'document'],
    history.history.map((p) => [
      String(p.version ?? p.policyVersion ?? ''),
      when(String(p.at ?? p.createdAt ?? '')),
      String(p.by ?? p.createdBy ?? p.actor ?? ''),
      h('pre', { class: 'json' }, JSON.stringify(p.document ?? p.policy ?? p, null, 2)),
    ]),
  );
}

export function versionsTable(caption: string, versions: VersionSummary[], withModel = false): HTMLElement {
  return table(
    caption,
    [...(withModel ? ['model'] : []), 'version', 'published', 'signer', 'scan', 'status'],
    versions.map((v) => [
      ...(withModel ? [`${v.namespace}/${v.model}`] : []),
      link(versionHref(v), v.version),
      when(v.publishedAt),
      code(signerText(v.signer)),
      scanBadge(v),
      yankedBadge(v) ?? 'available',
    ]),
  );
}

export async function modelPage(ns: string, model: string) {
  const { versions } = await getJson<{ versions: VersionSummary[] }>(`/v1/namespaces/${enc(ns)}/models/${enc(model)}/versions`);
  return {
    title: `${ns}/${model}`,
    body: h(
      'div',
      {},
      h('p', { class: 'crumbs' }, link('/ui/', 'Namespaces'), ' / ', link(hrefOf({ page: 'namespace', ns }), ns), ' / ', model),
      versions.length === 0 ? h('p', {}, 'No version of this model.') : versionsTable(`Versions of ${ns}/${model}`, versions),
    ),
  };
}

async function searchByName(q: string): Promise<HTMLElement> {
  const needle = q.toLowerCase();
  const { namespaces } = await getJson<{ namespaces: NamespaceInfo[] }>('/v1/namespaces');
  const rows: [string, string][] = [];
  for (const n of namespaces.slice(0, MAX_NAME_SEARCH_NAMESPACES)) {
    const { models } = await getJson<{ models: { name: string }[] }>(`/v1/namespaces/${enc(n.name)}/models`);
    for (const m of models) if (`${n.name}/${m.name}`.includes(needle)) rows.push([n.name, m.name]);
  }
  if (rows.length === 0) return h('p', {}, 'No model matches.');
  return table(
    'Models whose name matches',
    ['model'],
    rows.map(([ns, model]) => [link(hrefOf({ page: 'model', ns, model }), `${ns}/${model}`)]),
  );
}

type VersionRefJson = { namespace: string; model: string; version: string };
const refsList = (versions: VersionRefJson[]) =>
  table(
    'Versions derived from it (transitively)',
    ['version'],
    versions.map((v) => [link(versionHref(v), `${v.namespace}/${v.model}@${v.version}`)]),
  );

/** Versions derived from a dataset or base model: by digest when `q` is one, else by a fragment of its name. */
async function searchDerivedFrom(q: string): Promise<HTMLElement> {
  const digest = q.replace(/^sha256:/i, '').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(digest)) {
    const { versions } = await getJson<{ versions: VersionRefJson[] }>(`/v1/lineage/derived?digest=${enc(digest)}`);
    return versions.length === 0 ? h('p', {}, 'No version is derived from this digest.') : refsList(versions);
  }
  const { targets, truncated } = await getJson<{
    targets: { node: { kind: string; key: string; name?: string; version?: string }; versions: VersionRefJson[] }[];
    truncated?: boolean;
  }>(`/v1/lineage/derived?name=${enc(q)}`);
  if (targets.length === 0)
    return h('p', {}, 'No dataset or base model of that name is in the lineage of a version you can read.');
  return h(
    'div',
    {},
    truncated ? h('p', { class: 'warning' }, 'Only the first matches are shown: give more of the name.') : '',
    ...targets.map((t) =>
      h(
        'section',
        { class: 'derived-target' },
        h('h3', {}, `${t.node.kind} ${t.node.name ?? t.node.key}${t.node.version ? ` ${t.node.version}` : ''}`),
        h('p', {}, 'Lineage key: ', code(t.node.key)),
        refsList(t.versions),
      ),
    ),
  );
}

export async function searchPage(kind: SearchKind, q: string) {
  let results: HTMLElement;
  if (q === '') results = h('p', {}, 'Give something to look for.');
  else if (kind === 'name') results = await searchByName(q);
  else if (kind === 'derivedFrom') results = await searchDerivedFrom(q);
  else {
    const value = kind === 'signerIdentity' ? q : q.replace(/^sha256:/, '').toLowerCase();
    const { versions } = await getJson<{ versions: VersionSummary[] }>(
      `/v1/versions?${new URLSearchParams({ [kind]: value }).toString()}`,
    );
    results = versions.length === 0 ? h('p', {}, 'No version matches.') : versionsTable('Matching versions', versions, true);
  }
  return { title: 'Search', body: h('div', {}, searchForm(kind, q), results) };
}
