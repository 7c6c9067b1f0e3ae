import { isRecord } from '../deps/shape.js';

/** A located value: where it sits in the document (JSON pointer) and the value. */
export interface Located<T = unknown> {
  pointer: string;
  value: T;
}

/** Everything the rubric's field checks look at, extracted once from the BOM document. */
export interface ScoreContext {
  doc: Record<string, unknown>;
  specVersion: string;
  /** The model the BOM is about (metadata.component when it is a model, else the first model component). */
  model?: Located<Record<string, unknown>>;
  /** Every component in the document (metadata.component and nested components), in document order. */
  components: Located<Record<string, unknown>>[];
}

/** Most components visited when scoring: bounds work on hostile BOMs with deep or huge component trees. */
export const MAX_SCORED_COMPONENTS = 100_000;

function collectComponents(list: unknown, pointer: string, out: Located<Record<string, unknown>>[], depth: number): void {
  if (!Array.isArray(list) || depth > 32) return;
  list.forEach((c, i) => {
    if (out.length >= MAX_SCORED_COMPONENTS || !isRecord(c)) return;
    const here = `${pointer}/${i}`;
    out.push({ pointer: here, value: c });
    collectComponents(c.components, `${here}/components`, out, depth + 1);
  });
}

export function buildContext(doc: Record<string, unknown>, specVersion: string): ScoreContext {
  const components: Located<Record<string, unknown>>[] = [];
  const metadata = isRecord(doc.metadata) ? doc.metadata : undefined;
  if (metadata && isRecord(metadata.component)) {
    components.push({ pointer: '/metadata/component', value: metadata.component });
    collectComponents(metadata.component.components, '/metadata/component/components', components, 1);
  }
  collectComponents(doc.components, '/components', components, 0);
  const model = components.find((c) => c.value.type === 'machine-learning-model');
  return { doc, specVersion, components, ...(model ? { model } : {}) };
}

/** The value at `key` of a located object, located, when it is "present" (non-empty string/array/object). */
export function child(parent: Located<Record<string, unknown>> | undefined, ...keys: string[]): Located | undefined {
  let node: unknown = parent?.value;
  let pointer = parent?.pointer ?? '';
  if (parent === undefined) return undefined;
  for (const key of keys) {
    if (!isRecord(node)) return undefined;
    node = node[key];
    pointer = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return isPresent(node) ? { pointer, value: node } : undefined;
}

/** Non-empty string, non-empty array, object with at least one key, number or boolean. */
export function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim().length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export function asRecord(located: Located | undefined): Located<Record<string, unknown>> | undefined {
  return located && isRecord(located.value) ? (located as Located<Record<string, unknown>>) : undefined;
}
