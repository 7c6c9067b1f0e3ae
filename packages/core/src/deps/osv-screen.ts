/**
 * The first look at each OSV record of an export: whether it may name a package the project uses (then it is
 * parsed and checked in full, osv-record.ts), or it is dropped after a cheap check that it is a record at all (a
 * JSON object with an "id"), so that garbage is still an error while the hundreds of thousands of records naming
 * other packages cost no parse. Used in the loading thread and in the loader's worker threads alike.
 */
import { packageKey } from './names.js';

const NAME_FIELD = /"name"\s*:\s*"((?:[^"\\]|\\.){1,400})"/g;
const ID_FIELD = /"id"\s*:\s*"/;

/** 'wanted': parse it; 'other': a record naming none of the wanted packages; otherwise the problem. */
export function screenRecord(text: string, wanted: ReadonlySet<string>): 'wanted' | 'other' | { problem: string } {
  NAME_FIELD.lastIndex = 0;
  for (let m = NAME_FIELD.exec(text); m !== null; m = NAME_FIELD.exec(text)) {
    let name = m[1] as string;
    if (name.includes('\\')) {
      try {
        name = JSON.parse(`"${name}"`) as string;
      } catch {
        return 'wanted'; // an escape the quick look cannot read: the full parse decides
      }
    }
    if (wanted.has(packageKey('pypi', name)) || wanted.has(packageKey('npm', name))) return 'wanted';
  }
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return { problem: 'not JSON, so not an OSV record' };
  if (!ID_FIELD.test(trimmed)) return { problem: 'not an OSV record (no string "id")' };
  return 'other';
}
