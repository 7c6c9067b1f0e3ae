import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide, failedBench, formatTable, isMet } from '../../bench/decide.js';
import type { BenchResult } from '../../bench/lib.js';
import { target } from '../../bench/lib.js';
import { BENCHES, parseArgs } from '../../bench/run-all.js';
import { REPO_ROOT } from '../helpers/cli.js';

const result = (targets: BenchResult['targets'], figures: BenchResult['figures'] = {}): BenchResult => ({
  name: 'probe bench',
  targets,
  figures,
});

describe('bench verdict (bench/decide.ts)', () => {
  it('compares each figure with its limit', () => {
    expect(isMet(target('ratio', 0.9, '>=', 0.85))).toBe(true);
    expect(isMet(target('ratio', 0.8, '>=', 0.85))).toBe(false);
    expect(isMet(target('ms', 20, '<', 20))).toBe(false);
    expect(isMet(target('ms', 19.9, '<', 20))).toBe(true);
    expect(isMet(target('x', 1.5, '<=', 1.5))).toBe(true);
    expect(isMet(target('x', 2, '>', 1))).toBe(true);
    expect(isMet(target('ok', true, '==', true))).toBe(true);
    expect(isMet(target('ok', false, '==', true))).toBe(false);
    // A figure that is not a number (a failed parse) never meets a numeric target.
    expect(isMet(target('ratio', Number.NaN, '>=', 0))).toBe(false);
    expect(isMet(target('ratio', 'n/a', '>=', 0))).toBe(false);
  });

  it('exits 1 when one target is missed, 0 when all are met', () => {
    const met = result([target('ratio', 0.9, '>=', 0.85)], { 'info ms': 12 });
    const missed = result([target('ratio', 0.9, '>=', 0.85), target('p99 ms', 25, '<', 20)]);
    expect(decide([met]).exitCode).toBe(0);
    const verdict = decide([met, missed]);
    expect(verdict.exitCode).toBe(1);
    expect(verdict.missed).toEqual([{ bench: 'probe bench', figure: 'p99 ms', value: '25', target: '< 20', status: 'MISSED' }]);
  });

  it('exits 1 when a bench threw or nothing ran', () => {
    expect(decide([failedBench('registry', new Error('no server'))]).exitCode).toBe(1);
    expect(decide([]).exitCode).toBe(1);
  });

  it('prints every figure with its target and status', () => {
    const verdict = decide([result([target('ratio', 0.8, '>=', 0.85), target('ok', true, '==', true)], { 'info ms': 12 })]);
    const lines = formatTable(verdict.rows).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^\s+figure\s+value\s+target\s+met\/missed$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+ratio\s+0\.8\s+>= 0\.85\s+MISSED$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+ok\s+true\s+== true\s+met$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+info ms\s+12$/));
  });

  it('takes bench names, --only and --quick', () => {
    expect(parseArgs(['startup', '--quick'])).toEqual({ quick: true, names: ['startup'] });
    expect(parseArgs(['--only', 'registry'])).toEqual({ quick: false, names: ['registry'] });
    expect(Object.keys(BENCHES)).toContain('startup');
  });
});

describe('npm run bench, quick (a smoke run of the start-up bench)', () => {
  it('prints the table and exits 1 exactly when a target is missed', async () => {
    const tsx = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [tsx, 'bench/run-all.ts', 'startup', '--quick'],
        { cwd: REPO_ROOT, timeout: 60_000 },
        (error, out) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout: out }),
      );
    });
    expect(stdout).toMatch(/figure\s+value\s+target\s+met\/missed/);
    expect(stdout).toMatch(/--version \/ node -e 0\s+[\d.]+\s+<= 1\.5\s+(met|MISSED)/);
    expect(stdout).toMatch(/scan small\.pkl \/ node -e 0\s+[\d.]+\s+<= 2\.5\s+(met|MISSED)/);
    expect(stdout).toMatch(/digests equal openssl\s+true\s+== true\s+met/);
    expect(code).toBe(/\bMISSED\b/.test(stdout) ? 1 : 0);
  }, 60_000);
});
