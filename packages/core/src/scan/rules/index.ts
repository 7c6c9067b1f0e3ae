import { DEPS_RULES } from '../../deps/rules.js';
import { ENGINE_RULES } from './engine-rules.js';
import { FORMAT_RULES } from './format-rules.js';
import { PICKLE_RULES } from './pickle-rules.js';
import type { RuleSpec } from './types.js';

export type { RuleOutcome, RuleSpec } from './types.js';

/** Every rule (scanner and `modelsec deps`), sorted by id. */
export const RULES: readonly RuleSpec[] = [...PICKLE_RULES, ...FORMAT_RULES, ...ENGINE_RULES, ...DEPS_RULES].sort((a, b) =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
);

const BY_ID = new Map(RULES.map((rule) => [rule.id, rule]));

export function ruleById(id: string): RuleSpec | undefined {
  return BY_ID.get(id);
}
