import { ruleById } from '../rules/index.js';
import type { Finding, FindingLocation, Severity } from '../types.js';

/** Builds a finding of any scanner rule with the rule's references and outcome (every handler builds findings here). */
export function makeFinding(
  ruleId: string,
  message: string,
  location: FindingLocation,
  evidence: Record<string, unknown> = {},
  severity?: Severity,
): Finding {
  const rule = ruleById(ruleId);
  if (!rule) throw new Error(`unknown rule ${ruleId}`);
  return {
    ruleId,
    severity: severity ?? rule.severity,
    message,
    location,
    evidence,
    references: [...rule.references],
    ...(rule.outcome === 'incomplete' ? { incomplete: true as const } : {}),
  };
}
