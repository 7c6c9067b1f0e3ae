/**
 * Page addresses (stable, for an auditor's report): /ui/, /ui/NS, /ui/NS/NAME, /ui/NS/NAME/VERSION, and the
 * registry-wide pages under /ui/-/ ('-' cannot start a name). Nothing secret ever goes in an address.
 */

/** The registry's name rule and version characters (NAME_PATTERN, VERSION_PATTERN of src/routes/schemas.ts). */
const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const VERSION = /^[0-9A-Za-z.+-]{1,128}$/;

export const SEARCH_KINDS = ['name', 'fileDigest', 'signerIdentity', 'signerKey', 'derivedFrom'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

export type Route =
  | { page: 'home' }
  | { page: 'namespace'; ns: string }
  | { page: 'model'; ns: string; model: string }
  | { page: 'version'; ns: string; model: string; version: string }
  | { page: 'search'; kind: SearchKind; q: string }
  | { page: 'log' }
  | { page: 'audit'; namespace?: string }
  | { page: 'token' }
  | { page: 'rules'; rule?: string }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  if (!pathname.startsWith('/ui/')) return { page: 'not-found', path: pathname };
  const parts = pathname
    .slice('/ui/'.length)
    .split('/')
    .filter((p) => p !== '');
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return { page: 'not-found', path: pathname };
  }
  const query = new URLSearchParams(search);
  if (decoded[0] === '-') {
    const [, which] = decoded;
    if (decoded.length !== 2) return { page: 'not-found', path: pathname };
    if (which === 'search') {
      const kind = query.get('kind') ?? 'name';
      return {
        page: 'search',
        kind: (SEARCH_KINDS as readonly string[]).includes(kind) ? (kind as SearchKind) : 'name',
        q: query.get('q') ?? '',
      };
    }
    if (which === 'log') return { page: 'log' };
    if (which === 'token') return { page: 'token' };
    if (which === 'rules') {
      const rule = query.get('rule');
      return rule && /^MS-[A-Z0-9]+-\d{3}$/.test(rule) ? { page: 'rules', rule } : { page: 'rules' };
    }
    if (which === 'audit') {
      const ns = query.get('namespace');
      return ns && NAME.test(ns) ? { page: 'audit', namespace: ns } : { page: 'audit' };
    }
    return { page: 'not-found', path: pathname };
  }
  const [ns, model, version] = decoded;
  if (decoded.length === 0) return { page: 'home' };
  if (decoded.length > 3 || !NAME.test(ns ?? '')) return { page: 'not-found', path: pathname };
  if (model === undefined) return { page: 'namespace', ns: ns as string };
  if (!NAME.test(model)) return { page: 'not-found', path: pathname };
  if (version === undefined) return { page: 'model', ns: ns as string, model };
  if (!VERSION.test(version)) return { page: 'not-found', path: pathname };
  return { page: 'version', ns: ns as string, model, version };
}

const seg = (s: string) => encodeURIComponent(s);

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'home':
      return '/ui/';
    case 'namespace':
      return `/ui/${seg(route.ns)}`;
    case 'model':
      return `/ui/${seg(route.ns)}/${seg(route.model)}`;
    case 'version':
      return `/ui/${seg(route.ns)}/${seg(route.model)}/${seg(route.version)}`;
    case 'search':
      return `/ui/-/search?${new URLSearchParams({ kind: route.kind, q: route.q }).toString()}`;
    case 'log':
      return '/ui/-/log';
    case 'token':
      return '/ui/-/token';
    case 'audit':
      return route.namespace ? `/ui/-/audit?namespace=${seg(route.namespace)}` : '/ui/-/audit';
    case 'rules':
      return route.rule ? `/ui/-/rules?rule=${seg(route.rule)}` : '/ui/-/rules';
    case 'not-found':
      return '/ui/';
  }
}

export const versionHref = (v: { namespace: string; model: string; version: string }) =>
  hrefOf({ page: 'version', ns: v.namespace, model: v.model, version: v.version });
