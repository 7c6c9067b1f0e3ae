import type { DependencyWarning } from '../dependency-types.js';
import { MAX_WARNINGS_PER_FILE } from './limits.js';

/** Stable codes of the warnings dependency parsers emit (the file still yields what could be read). */
export const DEPENDENCY_WARNING_CODES = {
  /** The file is not valid TOML/JSON/YAML, or not the expected top-level shape. */
  PARSE_ERROR: 'DEPS_PARSE_ERROR',
  /** A field has the wrong type or an invalid value; the entry is skipped. */
  FIELD_INVALID: 'DEPS_FIELD_INVALID',
  /** A named limit was reached; the rest of the file is ignored. */
  LIMIT_EXCEEDED: 'DEPS_LIMIT_EXCEEDED',
  /** A line or entry uses a feature modelsec does not turn into a package (editable installs, URLs...). */
  UNSUPPORTED: 'DEPS_UNSUPPORTED',
  /** A `-r` include points outside the file's directory, is missing, or forms a cycle. */
  INCLUDE_SKIPPED: 'DEPS_INCLUDE_SKIPPED',
  /** The same package is declared twice with different versions; the first is kept. */
  DUPLICATE: 'DEPS_DUPLICATE',
} as const;

/** Collects warnings for one file. */
export class WarningSink {
  readonly warnings: DependencyWarning[] = [];
  private suppressed = 0;
  constructor(readonly file: string) {}

  add(code: string, message: string, line?: number, file = this.file): void {
    if (this.warnings.length >= MAX_WARNINGS_PER_FILE) {
      this.suppressed++;
      const note = `${this.suppressed} further warning(s) suppressed (MAX_WARNINGS_PER_FILE)`;
      const last = this.warnings[this.warnings.length - 1];
      if (last && last.code === DEPENDENCY_WARNING_CODES.LIMIT_EXCEEDED && last.message.endsWith('(MAX_WARNINGS_PER_FILE)'))
        last.message = note;
      else this.warnings.push({ code: DEPENDENCY_WARNING_CODES.LIMIT_EXCEEDED, message: note, file: this.file });
      return;
    }
    this.warnings.push(line === undefined ? { code, message, file } : { code, message, file, line });
  }
}

/** A short, printable rendering of an untrusted value for a warning message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  return String(value);
}
