/**
 * The only way this app makes DOM: elements from a fixed tag list, strings always as text nodes, attributes from an
 * allow-list (no `on*`, no `style`, no `src`), links only through `link` (an address inside /ui/ that this app built)
 * and `externalLink` (https: only, else plain text). Nothing here parses HTML, so an attacker-controlled string from
 * the API (a model card, a file name, a dataset name) can never become markup or script.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes an element may carry; every value is set as an attribute string, never as code. */
const ALLOWED_ATTRIBUTES = new Set([
  'class',
  'id',
  'for',
  'type',
  'name',
  'value',
  'placeholder',
  'role',
  'tabindex',
  'title',
  'colspan',
  'scope',
  'lang',
  'autocomplete',
  'spellcheck',
  'required',
  'hidden',
  'open',
  'data-testid',
  'data-verdict',
]);

export type Attrs = Record<string, string | number | boolean | undefined>;

function setAttributes(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (!ALLOWED_ATTRIBUTES.has(name) && !name.startsWith('aria-'))
      throw new Error(`attribute '${name}' is not allowed here (use link() or externalLink())`);
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  if (tag === 'script' || tag === 'iframe' || tag === 'object' || tag === 'embed' || tag === 'style')
    throw new Error(`<${tag}> is never made by this app`);
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_ATTRIBUTES = new Set([
  'viewBox',
  'width',
  'height',
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'rx',
  'd',
  'class',
  'role',
  'text-anchor',
  'marker-end',
  'id',
  'refX',
  'refY',
  'markerWidth',
  'markerHeight',
  'orient',
  'points',
]);

/** SVG elements for the lineage picture (same rules: text as text nodes, allow-listed attributes). */
export function svg(
  tag: 'svg' | 'g' | 'rect' | 'text' | 'line' | 'path' | 'title' | 'defs' | 'marker' | 'polygon',
  attrs: Attrs = {},
  ...children: Child[]
): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (!SVG_ATTRIBUTES.has(name) && !name.startsWith('aria-')) throw new Error(`SVG attribute '${name}' is not allowed here`);
    el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** An SVG link to a page of this app (the same address rules as `link`). */
export function svgLink(to: string, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, 'a');
  el.setAttribute('href', internalHref(to));
  el.setAttribute('data-internal', '');
  append(el, children);
  return el;
}

function internalHref(to: string): string {
  // Addresses are built by routes.ts from encodeURIComponent'd parts; anything else is a bug, not a link.
  if (!to.startsWith('/ui/') || to.includes('\\') || /[\u0000-\u0020"'<>`]/.test(to))
    throw new Error(`not an app address: ${to}`);
  return to;
}

/** A link to a page of this app (navigated in place by the router). */
export function link(to: string, ...children: Child[]): HTMLAnchorElement {
  const a = document.createElement('a');
  a.setAttribute('href', internalHref(to));
  a.setAttribute('data-internal', '');
  append(a, children.length > 0 ? children : [to]);
  return a;
}

/** Parses `url` and returns it only when it is https: (no javascript:, data:, or relative tricks). */
export function safeHttpsUrl(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** A link outside the registry when `url` is https:, else the text alone. */
export function externalLink(url: unknown, text?: string): Node {
  const safe = safeHttpsUrl(url);
  const label = text ?? (typeof url === 'string' ? url : '');
  if (!safe) return document.createTextNode(label);
  const a = document.createElement('a');
  a.setAttribute('href', safe);
  a.setAttribute('rel', 'noopener noreferrer external');
  a.setAttribute('target', '_blank');
  a.textContent = label;
  return a;
}

/** A download of exact bytes (a blob: URL made here from bytes fetched here). */
export function downloadLink(bytes: Uint8Array, mediaType: string, filename: string, text: string): HTMLAnchorElement {
  const a = document.createElement('a');
  const blob = new Blob([bytes as BlobPart], { type: mediaType });
  a.setAttribute('href', URL.createObjectURL(blob));
  a.setAttribute('download', filename.replace(/[^A-Za-z0-9._-]/g, '_'));
  a.textContent = text;
  return a;
}

/** A definition list of label → value rows (values rendered as text). */
export function facts(rows: readonly [string, Child][]): HTMLDListElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([label, value]) => [
      h('dt', {}, label),
      h('dd', {}, value === '' || value === null || value === undefined ? '—' : value),
    ]),
  );
}

/** A table with a header row; cells are rendered as text or given nodes. */
export function table(caption: string, head: readonly string[], rows: readonly Child[][], attrs: Attrs = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 },
    h(
      'table',
      attrs,
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((c) => h('td', {}, c)),
          ),
        ),
      ),
    ),
  );
}

export function code(text: string): HTMLElement {
  return h('code', {}, text);
}

export function badge(text: string, kind: 'ok' | 'warn' | 'bad' | 'info'): HTMLElement {
  return h('span', { class: `badge badge-${kind}` }, text);
}
