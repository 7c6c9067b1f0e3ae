/**
 * Canonical JSON: object keys sorted by UTF-16 code unit (as RFC 8785 JCS orders them), no insignificant
 * white space, `undefined` members dropped. Numbers must be finite; integers are what we emit in practice.
 * Used wherever bytes are hashed or signed (log entries, report digests) so that equal data gives equal bytes.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, new Set());
}

function serialize(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (seen.has(value)) throw new TypeError('canonicalJson: cyclic structure');
      seen.add(value);
      try {
        if (Array.isArray(value))
          return `[${value.map((item) => (item === undefined ? 'null' : serialize(item, seen))).join(',')}]`;
        const maybeToJson = value as { toJSON?: () => unknown };
        if (typeof maybeToJson.toJSON === 'function') return serialize(maybeToJson.toJSON(), seen);
        const entries = Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== undefined && typeof v !== 'function')
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v, seen)}`).join(',')}}`;
      } finally {
        seen.delete(value);
      }
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialize ${typeof value}`);
  }
}

/** Pretty, key-sorted JSON for files people read and diff (reports, BOMs). Ends with a newline. */
export function stableJson(value: unknown, indent = 2): string {
  return `${JSON.stringify(sortKeysDeep(value), null, indent)}\n`;
}

export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeysDeep(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}
