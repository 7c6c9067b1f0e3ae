import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('modelsec (the CLI as a child process)', () => {
  it('--help lists every capability command and the exit codes', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const command of [
      'scan',
      'bom',
      'digest',
      'keygen',
      'sign',
      'verify',
      'attest',
      'push',
      'pull',
      'check',
      'registry',
      'log',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(run.stdout).toContain('Exit codes:');
  });

  it('--version prints the package version', async () => {
    const run = await runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command is a usage error (exit 2) with the stable JSON error shape', async () => {
    const run = await runCli(['frobnicate', '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringContaining('frobnicate') } });
  });

  it('an unknown flag is a usage error naming the flag, on stderr without --json', async () => {
    const run = await runCli(['--no-such-flag']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('[USAGE]');
    expect(run.stderr).toContain('--no-such-flag');
  });

  it('never colours output when NO_COLOR is set', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.stderr).not.toContain('\u001b[');
  });
});
