import { parse as parseToml } from 'smol-toml';
import type { DependencyParseResult } from '../dependency-types.js';
import { PackageCollector } from './collector.js';
import { MAX_VERSION_CHARS } from './limits.js';
import { isValidPypiName, parseRequirement } from './pep508.js';
import { normalizePypiName, pypiPurl } from './purl.js';
import { isRecord, sortedEntries } from './shape.js';
import { describeValue, DEPENDENCY_WARNING_CODES as W, WarningSink } from './warnings.js';

/** Parses TOML, turning a syntax error into a warning. */
export function parseTomlOrWarn(text: string, sink: WarningSink): Record<string, unknown> | undefined {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const line = (error as { line?: unknown }).line;
    sink.add(
      W.PARSE_ERROR,
      `not valid TOML: ${((error as Error).message ?? '').split('\n')[0]}`,
      typeof line === 'number' ? line : undefined,
    );
    return undefined;
  }
}

function addPep508(
  collector: PackageCollector,
  spec: unknown,
  field: string,
  scope: 'required' | 'optional',
  source: string,
): void {
  if (typeof spec !== 'string') {
    collector.sink.add(W.FIELD_INVALID, `${field}: expected a PEP 508 string, got ${describeValue(spec)}`);
    return;
  }
  const parsed = parseRequirement(spec);
  if ('error' in parsed) {
    collector.sink.add(W.FIELD_INVALID, `${field}: ${parsed.error}`);
    return;
  }
  const purl = pypiPurl(parsed.name, parsed.pinned);
  collector.add({
    ecosystem: 'pypi',
    name: normalizePypiName(parsed.name),
    ...(parsed.pinned !== undefined ? { version: parsed.pinned } : {}),
    ...(parsed.pinned === undefined && parsed.specifier !== '' ? { versionRange: parsed.specifier } : {}),
    purl,
    hashes: [],
    dependsOn: [],
    scope,
    source,
    ...(parsed.extras.length > 0 ? { extras: parsed.extras } : {}),
    ...(parsed.markers ? { markers: parsed.markers } : {}),
  });
  collector.markDirect(purl);
}

function addPep508List(
  collector: PackageCollector,
  list: unknown,
  field: string,
  scope: 'required' | 'optional',
  source: string,
): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    collector.sink.add(W.FIELD_INVALID, `${field}: expected an array, got ${describeValue(list)}`);
    return;
  }
  list.forEach((spec, i) => {
    // PEP 735 groups may include other groups: {include-group = "x"}; those add no new names.
    if (isRecord(spec) && 'include-group' in spec) return;
    addPep508(collector, spec, `${field}[${i}]`, scope, source);
  });
}

/** Poetry constraint to an exact version: a bare `1.2.3` or `==1.2.3` is exact in Poetry. */
function poetryExact(constraint: string): string | undefined {
  const m = /^(?:==\s*)?(\d+(?:\.\d+)*(?:[a-z]+\d*)?(?:\.post\d+)?(?:\.dev\d+)?)$/i.exec(constraint.trim());
  return m?.[1];
}

function addPoetryTable(
  collector: PackageCollector,
  table: unknown,
  field: string,
  scope: 'required' | 'optional',
  source: string,
): void {
  if (table === undefined) return;
  if (!isRecord(table)) {
    collector.sink.add(W.FIELD_INVALID, `${field}: expected a table, got ${describeValue(table)}`);
    return;
  }
  for (const [name, value] of sortedEntries(table)) {
    if (name.toLowerCase() === 'python') continue;
    if (!isValidPypiName(name)) {
      collector.sink.add(W.FIELD_INVALID, `${field}: invalid package name ${describeValue(name)}`);
      continue;
    }
    let constraint: string | undefined;
    let extras: string[] = [];
    let optional = false;
    let markers: string | undefined;
    if (typeof value === 'string') constraint = value;
    else if (isRecord(value)) {
      if (typeof value.version === 'string') constraint = value.version;
      if (Array.isArray(value.extras)) extras = value.extras.filter((e): e is string => typeof e === 'string');
      optional = value.optional === true;
      if (typeof value.markers === 'string') markers = value.markers;
      if (constraint === undefined && (value.git || value.path || value.url)) {
        collector.sink.add(W.UNSUPPORTED, `${field}.${name}: git/path/url dependency recorded without a version`);
      }
    } else if (Array.isArray(value)) {
      // Multiple-constraint form: [{version, python}, ...]; keep the name, the ranges differ by platform.
      constraint = undefined;
    } else {
      collector.sink.add(W.FIELD_INVALID, `${field}.${name}: expected a string or table, got ${describeValue(value)}`);
      continue;
    }
    if (constraint !== undefined && constraint.length > MAX_VERSION_CHARS) {
      collector.sink.add(W.FIELD_INVALID, `${field}.${name}: constraint longer than ${MAX_VERSION_CHARS} characters`);
      continue;
    }
    const exact = constraint === undefined ? undefined : poetryExact(constraint);
    const purl = pypiPurl(name, exact);
    collector.add({
      ecosystem: 'pypi',
      name: normalizePypiName(name),
      ...(exact !== undefined ? { version: exact } : {}),
      ...(exact === undefined && constraint !== undefined && constraint !== '*' ? { versionRange: constraint.trim() } : {}),
      purl,
      hashes: [],
      dependsOn: [],
      scope: optional ? 'optional' : scope,
      source,
      ...(extras.length > 0 ? { extras: extras.map((e) => e.toLowerCase()) } : {}),
      ...(markers ? { markers } : {}),
    });
    collector.markDirect(purl);
  }
}

/**
 * Parses pyproject.toml: PEP 621 `[project].dependencies` (required) and `[project.optional-dependencies]`,
 * PEP 735 `[dependency-groups]` (optional), Poetry `[tool.poetry.dependencies]` (required, `python` skipped),
 * `[tool.poetry.dev-dependencies]` and `[tool.poetry.group.*.dependencies]` (optional).
 */
export function parsePyprojectText(text: string, source: string): DependencyParseResult {
  const collector = new PackageCollector(new WarningSink(source));
  const doc = parseTomlOrWarn(text, collector.sink);
  if (!doc) return collector.result();
  const project = doc.project;
  if (project !== undefined && !isRecord(project)) {
    collector.sink.add(W.FIELD_INVALID, `[project]: expected a table, got ${describeValue(project)}`);
  } else if (project) {
    addPep508List(collector, project.dependencies, 'project.dependencies', 'required', source);
    const optional = project['optional-dependencies'];
    if (optional !== undefined && !isRecord(optional)) {
      collector.sink.add(W.FIELD_INVALID, `project.optional-dependencies: expected a table, got ${describeValue(optional)}`);
    } else if (optional) {
      for (const [group, list] of sortedEntries(optional))
        addPep508List(collector, list, `project.optional-dependencies.${group}`, 'optional', source);
    }
  }
  const groups = doc['dependency-groups'];
  if (isRecord(groups)) {
    for (const [group, list] of sortedEntries(groups))
      addPep508List(collector, list, `dependency-groups.${group}`, 'optional', source);
  }
  const tool = isRecord(doc.tool) ? doc.tool : undefined;
  const poetry = tool && isRecord(tool.poetry) ? tool.poetry : undefined;
  if (poetry) {
    addPoetryTable(collector, poetry.dependencies, 'tool.poetry.dependencies', 'required', source);
    addPoetryTable(collector, poetry['dev-dependencies'], 'tool.poetry.dev-dependencies', 'optional', source);
    if (isRecord(poetry.group)) {
      for (const [group, body] of sortedEntries(poetry.group)) {
        if (!isRecord(body)) continue;
        addPoetryTable(collector, body.dependencies, `tool.poetry.group.${group}.dependencies`, 'optional', source);
      }
    }
  }
  return collector.result();
}
