import { ModelsecError } from '../../errors/index.js';

/**
 * Deepest nesting of arrays and objects accepted in a JSON BOM. Real BOMs nest components a few levels (about 6
 * levels of JSON per component level); schema validation, scoring and conversion recurse over the tree, so a
 * hostile BOM nested thousands deep would overflow the stack. 128 leaves room for ~20 levels of components.
 */
export const MAX_BOM_NESTING_DEPTH = 128;

/** Nesting depth of JSON text, computed without parsing (strings and escapes skipped). Stops past `limit`. */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Throws LIMIT_EXCEEDED when JSON text nests deeper than MAX_BOM_NESTING_DEPTH. */
export function assertJsonDepth(text: string, source: string): void {
  const depth = jsonNestingDepth(text, MAX_BOM_NESTING_DEPTH);
  if (depth > MAX_BOM_NESTING_DEPTH) {
    throw new ModelsecError(
      'LIMIT_EXCEEDED',
      `${source} nests arrays/objects deeper than ${MAX_BOM_NESTING_DEPTH} levels (MAX_BOM_NESTING_DEPTH)`,
      { details: { file: source, limit: 'MAX_BOM_NESTING_DEPTH', max: MAX_BOM_NESTING_DEPTH } },
    );
  }
}

/** Nesting depth of a parsed value, computed iteratively (no recursion). Stops past `limit`. */
export function valueNestingDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    const here = depth + 1;
    if (here > max) {
      max = here;
      if (max > limit) return max;
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, here]);
  }
  return max;
}

/** Throws LIMIT_EXCEEDED when a parsed value nests deeper than MAX_BOM_NESTING_DEPTH. */
export function assertValueDepth(value: unknown, source: string): void {
  if (valueNestingDepth(value, MAX_BOM_NESTING_DEPTH) > MAX_BOM_NESTING_DEPTH) {
    throw new ModelsecError(
      'LIMIT_EXCEEDED',
      `${source} nests arrays/objects deeper than ${MAX_BOM_NESTING_DEPTH} levels (MAX_BOM_NESTING_DEPTH)`,
      { details: { file: source, limit: 'MAX_BOM_NESTING_DEPTH', max: MAX_BOM_NESTING_DEPTH } },
    );
  }
}
