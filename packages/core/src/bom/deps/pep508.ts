import { MAX_PACKAGE_NAME_CHARS, MAX_VERSION_CHARS } from './limits.js';

/** One PEP 508 dependency specifier, e.g. `transformers[torch]>=4.40,<5 ; python_version >= "3.9"`. */
export interface Requirement {
  name: string;
  extras: string[];
  /** The version specifier as written, normalised for whitespace (e.g. `>=4.40,<5`); '' when none. */
  specifier: string;
  /** Exact version when the specifier is a single `==V` (without wildcard) or `===V`. */
  pinned?: string;
  markers?: string;
  /** Direct reference (`name @ https://...`). */
  url?: string;
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9][A-Za-z0-9.*+!_-]*)$/;

/** Whether a string is a valid PEP 508 project name. */
export function isValidPypiName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_PACKAGE_NAME_CHARS) return false;
  const match = NAME.exec(name);
  return match !== null && match[0] === name;
}

/** Parses a version specifier (`>=1,<2`, `==2.3.1`); returns the normalised text and pinned version, or an error. */
export function parseSpecifier(text: string): { specifier: string; pinned?: string } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { specifier: '' };
  if (trimmed.length > MAX_VERSION_CHARS) return { error: `version specifier longer than ${MAX_VERSION_CHARS} characters` };
  const clauses = trimmed.split(',').map((c) => c.trim());
  const normalised: string[] = [];
  for (const clause of clauses) {
    const match = CLAUSE.exec(clause);
    if (!match) return { error: `invalid version clause '${clause.slice(0, 60)}'` };
    normalised.push(`${match[1]}${match[2]}`);
  }
  const specifier = normalised.join(',');
  const only = clauses.length === 1 ? CLAUSE.exec(clauses[0] ?? '') : null;
  if (only && (only[1] === '===' || (only[1] === '==' && !only[2]?.includes('*')))) {
    return { specifier, pinned: only[2] as string };
  }
  return { specifier };
}

/** Parses one PEP 508 requirement string. Returns an error message for anything it cannot read. */
export function parseRequirement(text: string): Requirement | { error: string } {
  let rest = text.trim();
  const nameMatch = NAME.exec(rest);
  if (!nameMatch) return { error: `no package name at '${rest.slice(0, 60)}'` };
  const name = nameMatch[0];
  if (name.length > MAX_PACKAGE_NAME_CHARS) return { error: `package name longer than ${MAX_PACKAGE_NAME_CHARS} characters` };
  rest = rest.slice(name.length).trimStart();

  let extras: string[] = [];
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { error: `unclosed extras bracket after '${name}'` };
    extras = rest
      .slice(1, close)
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.length > 0);
    if (extras.some((e) => !isValidPypiName(e))) return { error: `invalid extra in '${rest.slice(0, close + 1)}'` };
    extras = [...new Set(extras.map((e) => e.toLowerCase()))].sort();
    rest = rest.slice(close + 1).trimStart();
  }

  let markers: string | undefined;
  if (rest.startsWith('@')) {
    // Direct reference: the URL runs to the first ' ;' (a ';' inside a URL needs a space before markers).
    const body = rest.slice(1).trim();
    const split = body.search(/\s;/);
    const url = (split < 0 ? body : body.slice(0, split)).trim();
    if (split >= 0) markers = body.slice(split).replace(/^\s*;/, '').trim() || undefined;
    if (url === '') return { error: `empty URL after '${name} @'` };
    return { name, extras, specifier: '', url, ...(markers ? { markers } : {}) };
  }

  const semicolon = rest.indexOf(';');
  let spec = semicolon < 0 ? rest : rest.slice(0, semicolon);
  if (semicolon >= 0) markers = rest.slice(semicolon + 1).trim() || undefined;
  spec = spec.trim();
  if (spec.startsWith('(') && spec.endsWith(')')) spec = spec.slice(1, -1);
  const parsed = parseSpecifier(spec);
  if ('error' in parsed) return { error: `${parsed.error} for '${name}'` };
  return {
    name,
    extras,
    specifier: parsed.specifier,
    ...(parsed.pinned !== undefined ? { pinned: parsed.pinned } : {}),
    ...(markers ? { markers } : {}),
  };
}
