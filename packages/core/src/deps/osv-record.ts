/**
 * Checks that a parsed JSON value is an OSV record of the shape matching reads, and says which field is wrong
 * when it is not. Only the fields matching uses are checked; the rest are kept as they are.
 */
import type { OsvRecord } from './osv-types.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The problem with `value` as an OSV record, or undefined when it is one. */
export function osvRecordProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not a JSON object';
  if (typeof value.id !== 'string' || value.id === '') return 'no string "id"';
  if (value.modified !== undefined && typeof value.modified !== 'string') return '"modified" is not a string';
  if (value.withdrawn !== undefined && typeof value.withdrawn !== 'string') return '"withdrawn" is not a string';
  if (value.aliases !== undefined && !isStringArray(value.aliases)) return '"aliases" is not an array of strings';
  if (value.summary !== undefined && typeof value.summary !== 'string') return '"summary" is not a string';
  if (value.severity !== undefined) {
    if (!Array.isArray(value.severity)) return '"severity" is not an array';
    for (const [i, s] of value.severity.entries())
      if (!isRecord(s) || typeof s.type !== 'string' || typeof s.score !== 'string')
        return `"severity[${i}]" is not {type, score}`;
  }
  if (value.references !== undefined) {
    if (!Array.isArray(value.references)) return '"references" is not an array';
    for (const [i, r] of value.references.entries())
      if (!isRecord(r) || typeof r.url !== 'string') return `"references[${i}]" has no string "url"`;
  }
  if (value.affected === undefined) return undefined;
  if (!Array.isArray(value.affected)) return '"affected" is not an array';
  for (const [i, a] of value.affected.entries()) {
    const at = `"affected[${i}]"`;
    if (!isRecord(a)) return `${at} is not an object`;
    if (a.package !== undefined) {
      if (!isRecord(a.package) || typeof a.package.ecosystem !== 'string' || typeof a.package.name !== 'string')
        return `${at}.package is not {ecosystem, name}`;
    }
    if (a.versions !== undefined && !isStringArray(a.versions)) return `${at}.versions is not an array of strings`;
    if (a.ranges !== undefined) {
      if (!Array.isArray(a.ranges)) return `${at}.ranges is not an array`;
      for (const [j, r] of a.ranges.entries()) {
        const rat = `${at}.ranges[${j}]`;
        if (!isRecord(r) || typeof r.type !== 'string') return `${rat} has no string "type"`;
        if (!Array.isArray(r.events)) return `${rat}.events is not an array`;
        for (const [k, e] of r.events.entries()) {
          if (!isRecord(e)) return `${rat}.events[${k}] is not an object`;
          const kinds = ['introduced', 'fixed', 'last_affected', 'limit'].filter((key) => e[key] !== undefined);
          if (kinds.length !== 1 || typeof e[kinds[0] as string] !== 'string')
            return `${rat}.events[${k}] is not exactly one of introduced/fixed/last_affected/limit with a string version`;
        }
      }
    }
  }
  return undefined;
}

/** The value as an OSV record, or the problem. */
export function asOsvRecord(value: unknown): OsvRecord | { problem: string } {
  const problem = osvRecordProblem(value);
  return problem === undefined ? (value as OsvRecord) : { problem };
}
