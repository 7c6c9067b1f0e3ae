/** Small type guards for untrusted parsed documents. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

/** Entries of a record in sorted key order (deterministic iteration over untrusted objects). */
export function sortedEntries(record: Record<string, unknown>): [string, unknown][] {
  return Object.keys(record)
    .sort()
    .map((k) => [k, record[k]]);
}
