/**
 * Package URLs (https://github.com/package-url/purl-spec) for the ecosystems modelsec reads. Segments are
 * percent-encoded, qualifiers sorted by key, so the same package always gives the same purl.
 */

function encodeSegment(value: string): string {
  return encodeURIComponent(value);
}

function qualifierString(qualifiers: Record<string, string | undefined>): string {
  const pairs = Object.entries(qualifiers)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replaceAll('%3A', ':')}`);
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

function withVersion(base: string, version: string | undefined): string {
  return version === undefined ? base : `${base}@${encodeSegment(version)}`;
}

/** PEP 503 normalised project name: lowercase, runs of `-`, `_`, `.` become one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** `pkg:pypi/<pep503-name>[@version]`. */
export function pypiPurl(name: string, version?: string): string {
  return withVersion(`pkg:pypi/${encodeSegment(normalizePypiName(name))}`, version);
}

/** `pkg:npm/[%40scope/]name[@version]`. */
export function npmPurl(name: string, version?: string): string {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const path = slash > 0 ? `${encodeSegment(name.slice(0, slash))}/${encodeSegment(name.slice(slash + 1))}` : encodeSegment(name);
  return withVersion(`pkg:npm/${path}`, version);
}

/** `pkg:conda/name[@version][?build=...&channel=...&subdir=...]`. */
export function condaPurl(
  name: string,
  version?: string,
  qualifiers: { channel?: string; build?: string; subdir?: string } = {},
): string {
  return `${withVersion(`pkg:conda/${encodeSegment(name.toLowerCase())}`, version)}${qualifierString(qualifiers)}`;
}
