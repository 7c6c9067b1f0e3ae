import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atLeast, RULES, renderRulesDocs, ruleById } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { BELOW_HIGH_KINDS } from '../../../packages/core/src/scan/below-high.js';
import { REPO_ROOT } from '../../helpers/cli.js';

describe('docs/rules.md', () => {
  it('equals the document generated from RULES (run npm run docs:rules)', () => {
    expect(readFileSync(join(REPO_ROOT, 'docs/rules.md'), 'utf8')).toBe(renderRulesDocs());
  });
  it('has unique, well-formed rule ids, each with why and fix', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^MS-[A-Z0-9]+-\d{3}$/);
      expect(rule.why.length).toBeGreaterThan(10);
      expect(rule.fix.length).toBeGreaterThan(5);
    }
  });
  it('lists ordinary file kinds below high only with rules that exist and sit below high', () => {
    expect(BELOW_HIGH_KINDS.length).toBeGreaterThan(0);
    for (const kind of BELOW_HIGH_KINDS) {
      for (const { id, severity } of kind.rules) {
        const rule = ruleById(id);
        expect(rule, `${kind.kind}: ${id}`).toBeInstanceOf(Object);
        expect(atLeast(severity, 'high'), `${kind.kind}: ${id}`).toBe(false);
        // The row's severity is the rule's default, or the lower one the rule's own text documents.
        expect(atLeast(rule?.severity ?? 'critical', severity), `${kind.kind}: ${id}`).toBe(true);
      }
    }
  });
  it('documents every severity line, the readings, the limits and the list below high', () => {
    const docs = renderRulesDocs();
    for (const heading of [
      '## Decision model',
      '### Every reading of a file',
      '## Severities',
      '## Deliberately below high',
      '## Limits',
    ])
      expect(docs).toContain(heading);
    for (const limit of ['MAX_DECOMPRESSED_BYTES_PER_FILE', 'MAX_ENTRIES_PER_FILE', 'MAX_SCAN_NESTING', 'MAX_WALK_FILES'])
      expect(docs).toContain(`\`${limit}\``);
  });
});
