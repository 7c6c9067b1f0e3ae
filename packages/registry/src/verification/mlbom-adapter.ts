/** ML-BOM checks at push: a valid CycloneDX document (core's validator) and the licenses it declares. */

import { MAX_BOM_NESTING_DEPTH, validateCycloneDx } from '@modelsec/core/bom';
import { isModelsecError } from '@modelsec/core/errors';
import type { FailedRule } from './types.js';

/**
 * Deepest nesting of `components` the licence walk follows. A BOM nested deeper is refused (LIMIT_EXCEEDED), never
 * read partly: a walk that stopped at a depth would let a licence placed below it pass the policy (issue 12: the
 * old recursive walk stopped silently at 33 levels). Core's validator, which runs first, already refuses JSON
 * nested past MAX_BOM_NESTING_DEPTH, and each component level is two JSON levels: so every BOM that validates is
 * walked whole, and this bound holds for any caller that walks a BOM it did not validate.
 */
export const MAX_BOM_COMPONENT_DEPTH = MAX_BOM_NESTING_DEPTH;

/**
 * Every license id, name or expression a CycloneDX JSON BOM declares (metadata.component and the components tree),
 * sorted; `tooDeep` when components nest past MAX_BOM_COMPONENT_DEPTH (the list is then incomplete: refuse).
 * Walked with an explicit stack, so no nesting can exhaust the call stack.
 */
export function bomLicenseWalk(bom: unknown): { licenses: string[]; tooDeep: boolean } {
  const found = new Set<string>();
  const doc = bom as { metadata?: { component?: unknown }; components?: unknown };
  const stack: { component: unknown; depth: number }[] = [];
  if (Array.isArray(doc?.components)) for (const c of doc.components) stack.push({ component: c, depth: 1 });
  stack.push({ component: doc?.metadata?.component, depth: 1 });
  let tooDeep = false;
  while (stack.length > 0) {
    const { component, depth } = stack.pop() as { component: unknown; depth: number };
    if (typeof component !== 'object' || component === null) continue;
    if (depth > MAX_BOM_COMPONENT_DEPTH) {
      tooDeep = true;
      break;
    }
    const c = component as { licenses?: unknown; components?: unknown };
    if (Array.isArray(c.licenses)) {
      for (const entry of c.licenses) {
        const l = (entry as { license?: { id?: unknown; name?: unknown }; expression?: unknown }) ?? {};
        if (typeof l.license?.id === 'string') found.add(l.license.id);
        else if (typeof l.license?.name === 'string') found.add(l.license.name);
        else if (typeof l.expression === 'string') found.add(l.expression);
      }
    }
    if (Array.isArray(c.components)) for (const child of c.components) stack.push({ component: child, depth: depth + 1 });
  }
  return { licenses: [...found].sort(), tooDeep };
}

export function checkMlbom(
  text: string,
  allowedLicenses: readonly string[] | undefined,
): { licenses: string[]; failed: FailedRule[] } {
  const failed: FailedRule[] = [];
  try {
    const result = validateCycloneDx(text);
    if (!result.valid) {
      failed.push({
        rule: 'mlbom',
        code: 'BOM_INVALID',
        message: `the ML-BOM is not valid CycloneDX ${result.specVersion}`,
        details: { errors: result.errors.slice(0, 20) },
      });
    }
  } catch (error) {
    failed.push({
      rule: 'mlbom',
      code: isModelsecError(error) ? error.code : 'BOM_INVALID',
      message: error instanceof Error ? error.message : String(error),
    });
    return { licenses: [], failed };
  }
  let licenses: string[] = [];
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    isJson = false;
    if (allowedLicenses)
      failed.push({ rule: 'licenses', code: 'REGISTRY_CHECK_UNAVAILABLE', message: 'licenses are checked on JSON ML-BOMs only' });
  }
  if (isJson) {
    const walk = bomLicenseWalk(parsed);
    licenses = walk.licenses;
    if (walk.tooDeep) {
      failed.push({
        rule: allowedLicenses ? 'licenses' : 'mlbom',
        code: 'LIMIT_EXCEEDED',
        message: `the ML-BOM nests components deeper than ${MAX_BOM_COMPONENT_DEPTH} levels: its licences cannot all be read`,
        details: { limit: MAX_BOM_COMPONENT_DEPTH },
      });
      return { licenses, failed };
    }
  }
  if (allowedLicenses) {
    const allowed = new Set(allowedLicenses);
    const bad = licenses.filter((l) => !allowed.has(l));
    if (bad.length > 0)
      failed.push({
        rule: 'licenses',
        code: 'POLICY_DENIED',
        message: `licenses not allowed: ${bad.join(', ')}`,
        details: { licenses: bad },
      });
    if (licenses.length === 0)
      failed.push({
        rule: 'licenses',
        code: 'POLICY_DENIED',
        message: 'the ML-BOM declares no license and the policy restricts licenses',
      });
  }
  return { licenses, failed };
}
