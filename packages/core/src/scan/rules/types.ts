import type { Reference, Severity } from '../types.js';

export type RuleOutcome = 'finding' | 'incomplete';

/** One scanner rule, documented in docs/rules.md (generated from the catalogue; a test keeps them in step). */
export interface RuleSpec {
  /** Stable id, e.g. 'MS-PKL-001'. Never reused for another meaning. */
  readonly id: string;
  /** A few words, e.g. 'Dangerous global called'. */
  readonly title: string;
  /** Default severity (a finding may carry another when the rule says so, e.g. under --strict). */
  readonly severity: Severity;
  /**
   * `finding`: the rule saw something in content it inspected. `incomplete`: the rule says the content was NOT fully
   * inspected (a limit hit, an unknown binary, a compression the scanner cannot open, a parse error after an opcode
   * with effect). A file with an active incomplete finding has the verdict `incomplete`, which fails the default gate
   * whatever the finding's severity (docs/rules.md, "Decision model").
   */
  readonly outcome: RuleOutcome;
  /** What the finding means. */
  readonly summary: string;
  /** Why it matters: what loading the file would do. */
  readonly why: string;
  /** How to fix or what to do instead. */
  readonly fix: string;
  /** CWE, MITRE ATLAS, OWASP LLM, CVE/advisory references attached to every finding of this rule. */
  readonly references: readonly Reference[];
}
