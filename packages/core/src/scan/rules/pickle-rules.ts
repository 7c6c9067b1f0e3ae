import type { RuleSpec } from './types.js';

/** Rules of the pickle family (pickle, PyTorch, numpy, joblib). Owned by the pickle engine. */
export const PICKLE_RULES: readonly RuleSpec[] = [];
