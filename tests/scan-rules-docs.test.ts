import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES, renderRulesDocs } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

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
});
