/**
 * The pickle bypass classes, one fixture each (fixtures/scan/pickle-bypass/, made and PROVEN to run their payload
 * under pickle.load by fixtures/scripts/pickle-bypass/make_bypasses.py), scanned through the engine entry the CLI
 * uses (scanFile): every one fails the default gate, for the reason its class calls for.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const DIR = join(REPO_ROOT, 'fixtures', 'scan', 'pickle-bypass');
const FIXTURES = readdirSync(DIR).filter((name) => name.endsWith('.pkl'));

/** What each class must produce: a critical call of the payload, or (past a limit) an incomplete verdict. */
const EXPECT: Record<string, { rule: string; severity?: 'critical' | 'high'; verdict?: 'incomplete' }> = {
  'module-prefix-allowlist-sklearn-import-module.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'module-prefix-allowlist-torch-builtins-dotted.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'module-name-nul-frozen-global.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'module-name-nul-frozen-stack-global.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'operand-decoding-string-escapes.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'operand-decoding-unicode-escapes.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'operand-decoding-memo-int-forms.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'callable-calls-argument-rebuild-from-type.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'callable-calls-argument-rebuild-from-type-v2.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'callable-calls-argument-copyreg-reconstructor.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'callable-calls-argument-partial-build-state.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'getattr-module-attribute-os-system.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'nested-pickle-zlib-bytesio.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'nested-pickle-base64.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'nested-pickle-codecs-hex.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'nested-pickle-limit-silence.pkl': { rule: 'MS-PKL-010', verdict: 'incomplete' },
  'heuristic-padding-allowlisted-globals.pkl': { rule: 'MS-PKL-001', severity: 'critical' },
  'broken-after-call-nullifai.pkl': { rule: 'MS-PKL-001', severity: 'critical', verdict: 'incomplete' },
};

describe('pickle bypass classes, through the engine', () => {
  it('every fixture has an expectation (and every expectation a fixture)', () => {
    expect(FIXTURES.sort()).toEqual(Object.keys(EXPECT).sort());
  });
  for (const name of FIXTURES) {
    it(name, async () => {
      const report = await scanFile(join(DIR, name));
      const lines = report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n');
      const want = EXPECT[name];
      if (!want) throw new Error(`no expectation for ${name}`);
      expect(evaluateGate([report], DEFAULT_GATE).pass, lines).toBe(false);
      const hit = report.findings.find((f) => f.ruleId === want.rule && (!want.severity || f.severity === want.severity));
      expect(hit, lines).toBeTruthy();
      if (want.verdict) expect(report.verdict).toBe(want.verdict);
    });
  }
});
