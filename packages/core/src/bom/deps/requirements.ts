import { basename } from 'node:path';
import type { DependencyParseResult, PackageHash } from '../dependency-types.js';
import { PackageCollector } from './collector.js';
import { parseAlgColonHex } from './hashes.js';
import { MAX_REQUIREMENT_LINE_CHARS, MAX_REQUIREMENTS_INCLUDE_DEPTH } from './limits.js';
import { parseRequirement } from './pep508.js';
import { normalizePypiName, pypiPurl } from './purl.js';
import { DEPENDENCY_WARNING_CODES as W, WarningSink } from './warnings.js';

/** Resolves a `-r` include named in `from`: its text and its source name, or why it was skipped. */
export type IncludeResolver = (reference: string, from: string) => { text: string; source: string } | { error: string };

export interface RequirementsOptions {
  /** Name of the file, relative to the model directory; used in purls' `source` and warnings. */
  source: string;
  /** Reads `-r` includes. Without it, includes are skipped with a warning. */
  resolveInclude?: IncludeResolver;
}

/** Global options pip accepts that do not declare packages; they are skipped silently. */
const IGNORED_OPTIONS = new Set([
  '-i',
  '--index-url',
  '--extra-index-url',
  '--no-index',
  '-f',
  '--find-links',
  '--trusted-host',
  '--pre',
  '--prefer-binary',
  '--require-hashes',
  '--no-binary',
  '--only-binary',
  '--use-feature',
  '--use-pep517',
  '--no-build-isolation',
  '-c',
  '--constraint',
]);
const INCLUDE_OPTIONS = new Set(['-r', '--requirement']);
const EDITABLE_OPTIONS = new Set(['-e', '--editable']);

/** Requirements files whose name says they are for development or tests hold optional packages. */
export function requirementsScope(fileName: string): 'required' | 'optional' {
  return /(^|[-_.])(dev|develop|development|test|tests|testing|lint|docs?|ci)([-_.]|$)/i.test(basename(fileName))
    ? 'optional'
    : 'required';
}

interface LogicalLine {
  text: string;
  line: number;
}

/** Joins backslash continuations, strips comments, drops blank lines. */
export function logicalLines(text: string): LogicalLine[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: LogicalLine[] = [];
  let buffer = '';
  let start = 0;
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i] ?? '';
    if (buffer === '') start = i + 1;
    if (raw.endsWith('\\')) {
      buffer += `${raw.slice(0, -1)} `;
      if (buffer.length <= MAX_REQUIREMENT_LINE_CHARS) continue;
    } else {
      buffer += raw;
    }
    const stripped = buffer.replace(/(^|\s)#.*$/, '').trim();
    if (stripped !== '') out.push({ text: stripped, line: start });
    buffer = '';
  }
  const last = buffer.replace(/(^|\s)#.*$/, '').trim();
  if (last !== '') out.push({ text: last, line: start });
  return out;
}

/** Splits `--opt=value` / `--opt value` off the front of a line. */
function splitOption(text: string): { option: string; value: string } {
  const match = /^(--?[A-Za-z][\w-]*)(?:\s*=\s*|\s+)?(.*)$/.exec(text);
  if (!match) return { option: text, value: '' };
  let option = match[1] as string;
  let value = (match[2] ?? '').trim();
  // `-rfile.txt`: a one-letter option glued to its value.
  if (/^-[a-zA-Z]./.test(option) && !option.startsWith('--')) {
    value = `${option.slice(2)}${value ? ` ${value}` : ''}`;
    option = option.slice(0, 2);
  }
  return { option, value };
}

/** Separates per-requirement options (`--hash=...`) from the requirement itself. */
function splitRequirementOptions(text: string): { requirement: string; options: string[] } {
  const at = text.search(/\s--?[A-Za-z]/);
  if (at < 0) return { requirement: text, options: [] };
  const options = text
    .slice(at)
    .trim()
    .split(/\s+(?=--?[A-Za-z])/)
    .map((o) => o.trim());
  return { requirement: text.slice(0, at).trim(), options };
}

function parseInto(
  text: string,
  source: string,
  collector: PackageCollector,
  options: RequirementsOptions,
  state: { depth: number; visited: Set<string>; seenNames: Map<string, { spec: string; source: string; line: number }> },
): void {
  const sink = collector.sink;
  const scope = requirementsScope(source);
  for (const { text: lineText, line } of logicalLines(text)) {
    if (collector.full) return;
    if (lineText.length > MAX_REQUIREMENT_LINE_CHARS) {
      sink.add(W.LIMIT_EXCEEDED, `line longer than ${MAX_REQUIREMENT_LINE_CHARS} characters skipped`, line, source);
      continue;
    }
    if (lineText.startsWith('-')) {
      const { option, value } = splitOption(lineText);
      if (INCLUDE_OPTIONS.has(option)) {
        include(value, source, line, collector, options, state);
      } else if (EDITABLE_OPTIONS.has(option)) {
        sink.add(W.UNSUPPORTED, `editable install '${value.slice(0, 80)}' is not a published package; skipped`, line, source);
      } else if (!IGNORED_OPTIONS.has(option)) {
        sink.add(W.UNSUPPORTED, `unknown option '${option.slice(0, 40)}' skipped`, line, source);
      }
      continue;
    }
    if (/^([a-z][a-z0-9+.-]*:|\.{0,2}\/)/i.test(lineText)) {
      sink.add(W.UNSUPPORTED, `URL or path requirement '${lineText.slice(0, 80)}' has no package name; skipped`, line, source);
      continue;
    }
    const { requirement, options: reqOptions } = splitRequirementOptions(lineText);
    const parsed = parseRequirement(requirement);
    if ('error' in parsed) {
      sink.add(W.FIELD_INVALID, `unreadable requirement: ${parsed.error}`, line, source);
      continue;
    }
    const hashes: PackageHash[] = [];
    for (const opt of reqOptions) {
      const { option, value } = splitOption(opt);
      if (option !== '--hash') continue;
      const hash = parseAlgColonHex(value);
      if (hash) hashes.push(hash);
      else sink.add(W.FIELD_INVALID, `${parsed.name}: invalid --hash '${value.slice(0, 80)}' ignored`, line, source);
    }
    const key = normalizePypiName(parsed.name);
    const spec = parsed.pinned ?? parsed.specifier;
    const seen = state.seenNames.get(key);
    if (seen && seen.spec !== spec) {
      sink.add(
        W.DUPLICATE,
        `${parsed.name} declared again ('${spec || 'any'}'); first declaration '${seen.spec || 'any'}' at ${seen.source}:${seen.line}`,
        line,
        source,
      );
    } else if (!seen) {
      state.seenNames.set(key, { spec, source, line });
    }
    const purl = pypiPurl(parsed.name, parsed.pinned);
    collector.add(
      {
        ecosystem: 'pypi',
        name: key,
        ...(parsed.pinned !== undefined ? { version: parsed.pinned } : {}),
        ...(parsed.pinned === undefined && parsed.specifier !== '' ? { versionRange: parsed.specifier } : {}),
        purl,
        hashes,
        dependsOn: [],
        scope,
        source,
        ...(parsed.extras.length > 0 ? { extras: parsed.extras } : {}),
        ...(parsed.markers ? { markers: parsed.markers } : {}),
      },
      line,
    );
    collector.markDirect(purl);
  }
}

function include(
  reference: string,
  from: string,
  line: number,
  collector: PackageCollector,
  options: RequirementsOptions,
  state: { depth: number; visited: Set<string>; seenNames: Map<string, { spec: string; source: string; line: number }> },
): void {
  const sink = collector.sink;
  if (!options.resolveInclude) {
    sink.add(W.INCLUDE_SKIPPED, `-r ${reference.slice(0, 80)}: includes are not read here`, line, from);
    return;
  }
  if (state.depth >= MAX_REQUIREMENTS_INCLUDE_DEPTH) {
    sink.add(
      W.LIMIT_EXCEEDED,
      `-r ${reference.slice(0, 80)}: includes nested deeper than ${MAX_REQUIREMENTS_INCLUDE_DEPTH} (MAX_REQUIREMENTS_INCLUDE_DEPTH)`,
      line,
      from,
    );
    return;
  }
  const resolved = options.resolveInclude(reference, from);
  if ('error' in resolved) {
    sink.add(W.INCLUDE_SKIPPED, `-r ${reference.slice(0, 80)}: ${resolved.error}`, line, from);
    return;
  }
  if (state.visited.has(resolved.source)) {
    sink.add(W.INCLUDE_SKIPPED, `-r ${reference.slice(0, 80)}: include cycle back to ${resolved.source}`, line, from);
    return;
  }
  state.visited.add(resolved.source);
  state.depth++;
  parseInto(resolved.text, resolved.source, collector, options, state);
  state.depth--;
}

/**
 * Parses a pip requirements file: pinned (`==`) and ranged specifiers, extras, environment markers, `--hash`
 * options, backslash continuations and comments; `-r` includes through `options.resolveInclude`. Editable installs
 * and bare URLs are skipped with a warning (they name no published package).
 */
export function parseRequirementsText(text: string, options: RequirementsOptions): DependencyParseResult {
  const collector = new PackageCollector(new WarningSink(options.source));
  parseInto(text, options.source, collector, options, {
    depth: 0,
    visited: new Set([options.source]),
    seenNames: new Map(),
  });
  return collector.result();
}
