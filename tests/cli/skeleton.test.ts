import { describe, expect, it } from 'vitest';
import { runCli, STDOUT_IS_TTY } from '../helpers/cli.js';

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

  it('a group command given a model path where its method goes says which words it takes, and where the path goes', async () => {
    const sign = await runCli(['sign', './my-model']);
    expect(sign.code).toBe(2);
    expect(sign.stderr).toContain(
      "'./my-model' is not a sign command: sign takes one of key, certificate or sigstore first (e.g. modelsec sign key ./my-model; see modelsec sign --help)",
    );
    const registry = await runCli(['registry', 'nope', '--json']);
    expect(registry.json()).toMatchObject({
      error: {
        code: 'USAGE',
        message: expect.stringMatching(/^'nope' is not a registry command: registry takes one of serve, /),
      },
    });
  });

  it('an unknown flag is a usage error naming the flag, on stderr without --json', async () => {
    const run = await runCli(['--no-such-flag']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('[USAGE]');
    expect(run.stderr).toContain('--no-such-flag');
  });

  it('colours on a terminal, and never when NO_COLOR is set or with --no-color', async () => {
    // The harness sets NO_COLOR and the child's stdout is a pipe: both are undone here, or this test proves nothing.
    const onTty = { nodeArgs: STDOUT_IS_TTY, env: { NO_COLOR: undefined } };
    const coloured = await runCli(['frobnicate'], onTty);
    expect(coloured.code).toBe(2);
    expect(coloured.stderr).toContain('\u001b[31merror\u001b[');
    const noColor = await runCli(['frobnicate'], { nodeArgs: STDOUT_IS_TTY, env: { NO_COLOR: '1' } });
    expect(noColor.stderr).toContain('[USAGE]');
    expect(noColor.stderr).not.toContain('\u001b[');
    const flag = await runCli(['--no-color', 'frobnicate'], onTty);
    expect(flag.stderr).toContain('[USAGE]');
    expect(flag.stderr).not.toContain('\u001b[');
    const piped = await runCli(['frobnicate'], { env: { NO_COLOR: undefined } });
    expect(piped.stderr, 'no colour into a pipe').not.toContain('\u001b[');
  });
});
