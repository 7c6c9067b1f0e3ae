/**
 * Text from model files (cards, configs, GGUF metadata, file names) may hold characters XML 1.0 cannot carry
 * (C0 controls other than tab/newline/return, U+FFFE/U+FFFF, lone surrogates). They would make the XML BOM invalid,
 * so they are replaced by a visible `\u{XXXX}` escape in both JSON and XML output.
 */
const XML_INVALID =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlSafeText(value: string): string {
  return value.replace(XML_INVALID, (c) => `\\u{${c.charCodeAt(0).toString(16).padStart(4, '0')}}`);
}

/** A deep copy with every string (keys too) made XML-safe. */
export function xmlSafeDeep<T>(value: T): T {
  if (typeof value === 'string') return xmlSafeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => xmlSafeDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[xmlSafeText(k)] = xmlSafeDeep(v);
    return out as T;
  }
  return value;
}
