/**
 * The README's first quick-start command (`npm run demo`) must keep working: it runs every capability end to end
 * through the real CLI on the shipped fixtures, and exits non-zero when any step does not behave as it says.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

describe('npm run demo', () => {
  it('runs every step and says so', { timeout: 300_000 }, () => {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/demo.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 290_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output.slice(-4000)).toBe(0);
    expect(output).toContain('Demo finished: every step behaved as expected.');
  });
});
