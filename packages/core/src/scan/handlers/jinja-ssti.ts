/**
 * Static check of a Jinja template for server-side template injection gadgets: Python dunder walks, the globals
 * of template helpers, and string-concatenation obfuscation of those names.
 */

/** Names whose presence in a template means it walks Python internals. */
const DANGEROUS_TOKENS = [
  '__class__',
  '__mro__',
  '__base__',
  '__bases__',
  '__subclasses__',
  '__globals__',
  '__builtins__',
  '__import__',
  '__init__',
  '__getattribute__',
  '__dict__',
  '_TemplateReference__context',
  'os.popen',
  'os.system',
  'subprocess',
  'eval(',
  'exec(',
];
/** Template helpers whose `__globals__` reach the os module. */
const GADGET_OBJECTS = [
  'cycler',
  'joiner',
  'namespace',
  'lipsum',
  'self',
  'request',
  'config',
  'url_for',
  'get_flashed_messages',
];

export interface SstiHit {
  token: string;
  how: 'literal' | 'concatenation' | 'attr-filter' | 'gadget';
}

/** Returns the SSTI indicators found (empty for a benign template). */
export function findSstiPatterns(template: string): SstiHit[] {
  const hits = new Map<string, SstiHit>();
  for (const token of DANGEROUS_TOKENS) if (template.includes(token)) hits.set(token, { token, how: 'literal' });
  // String concatenation / joins inside expressions: '__cla' ~ 'ss__', '__gl'+'obals__', ['__cl','ass__']|join
  const stripped = template
    .replace(/['"]\s*(?:~|\+|,)\s*['"]/g, '')
    .replace(/\\x5f/gi, '_')
    .replace(/\\u005f/gi, '_');
  for (const token of DANGEROUS_TOKENS) {
    if (!hits.has(token) && stripped.includes(token)) hits.set(token, { token, how: 'concatenation' });
  }
  if (/\|\s*attr\s*\(\s*['"][^'"]*__/.test(stripped)) hits.set('|attr(', { token: '|attr(', how: 'attr-filter' });
  for (const gadget of GADGET_OBJECTS) {
    const re = new RegExp(`\\b${gadget}\\s*(?:\\.|\\|\\s*attr\\s*\\(|\\[)\\s*['"]?(?:__|_TemplateReference)`);
    if (re.test(stripped)) hits.set(`${gadget}.__`, { token: `${gadget}.__`, how: 'gadget' });
  }
  return [...hits.values()].sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
}

/** Whether a string value looks like a Jinja template (worth checking). */
export function looksLikeJinja(value: string): boolean {
  return /\{\{|\{%/.test(value);
}
