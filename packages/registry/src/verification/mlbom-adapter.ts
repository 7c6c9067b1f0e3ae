/** ML-BOM checks at push: a valid CycloneDX document (core's validator) and the licenses it declares. */
import { isModelsecError, validateCycloneDx } from '@modelsec/core';
import type { FailedRule } from './types.js';

/** Every license id or name a CycloneDX JSON BOM declares (components and metadata.component), sorted. */
export function bomLicenses(bom: unknown): string[] {
  const found = new Set<string>();
  const visit = (component: unknown, depth: number): void => {
    if (depth > 32 || typeof component !== 'object' || component === null) return;
    const c = component as { licenses?: unknown; components?: unknown };
    if (Array.isArray(c.licenses)) {
      for (const entry of c.licenses) {
        const l = (entry as { license?: { id?: unknown; name?: unknown }; expression?: unknown }) ?? {};
        if (typeof l.license?.id === 'string') found.add(l.license.id);
        else if (typeof l.license?.name === 'string') found.add(l.license.name);
        else if (typeof l.expression === 'string') found.add(l.expression);
      }
    }
    if (Array.isArray(c.components)) for (const child of c.components) visit(child, depth + 1);
  };
  const doc = bom as { metadata?: { component?: unknown }; components?: unknown };
  visit(doc?.metadata?.component, 0);
  if (Array.isArray(doc?.components)) for (const c of doc.components) visit(c, 0);
  return [...found].sort();
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
  try {
    licenses = bomLicenses(JSON.parse(text));
  } catch {
    if (allowedLicenses)
      failed.push({ rule: 'licenses', code: 'REGISTRY_CHECK_UNAVAILABLE', message: 'licenses are checked on JSON ML-BOMs only' });
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
