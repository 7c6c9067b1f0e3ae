/**
 * Names from the data never act on the terminal: a file name carrying a newline and ANSI escapes (a fake "clean"
 * line, then "erase line") is printed as visible escapes in the text report, in the gate lines and in error
 * messages, and the tool's own layout (line breaks) is kept. JSON output keeps the exact name.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printable } from '@modelsec/core/util';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, runCli } from '../helpers/cli.js';

const SPOOF = 'evil.pkl  [pickle]  clean\n\u001b[2Kok\u202e.pkl';
// Protocol 0: GLOBAL os.system, MARK, STRING, TUPLE, REDUCE, STOP.
const EVIL = "cos\nsystem\n(S'echo pwned'\ntR.";

describe('terminal output of names from the data', () => {
  it('printable() escapes controls, separators, bidi and zero-width characters, and nothing else', () => {
    expect(printable('a\nb\u001b[2Kc\u202ed\u200be\u2028f\u0085g')).toBe(
      'a\\u{a}b\\u{1b}[2Kc\\u{202e}d\\u{200b}e\\u{2028}f\\u{85}g',
    );
    expect(printable('plain/ünïcode 名前.bin')).toBe('plain/ünïcode 名前.bin');
  });

  it('scan prints a hostile file name inert, in the file block and the gate lines; --json keeps it exact', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-names-'));
    writeFileSync(path.join(dir, SPOOF), EVIL);
    const text = await runCli(['scan', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stdout).not.toContain('\u202e');
    expect(text.stdout).not.toMatch(/^evil\.pkl/m);
    expect(text.stdout).toContain('evil.pkl  [pickle]  clean\\u{a}\\u{1b}[2Kok\\u{202e}.pkl  [pickle, 29 bytes]  critical');
    // Every line of the report is the tool's own: a file line, a finding, the summary, the gate.
    expect(text.stdout.split('\n').filter((l) => l.includes('clean')).length).toBe(2);
    const json = await runCli(['scan', dir, '--json']);
    expect(JSON.parse(json.stdout).files[0].path).toBe(path.join(dir, SPOOF));
  });

  it('an error naming a hostile file prints it inert on stderr', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-names-'));
    const res = await runCli(['scan', path.join(dir, SPOOF)]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).not.toContain('\u001b');
    expect(res.stderr).toContain('\\u{1b}[2Kok');
  });

  it('a reader that closes the pipe early: no EPIPE crash, and the exit code is still the gate', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-pipe-'));
    for (let i = 0; i < 200; i++) writeFileSync(path.join(dir, `f${String(i).padStart(3, '0')}.json`), '{}');
    writeFileSync(path.join(dir, 'z-evil.pkl'), EVIL);
    // `modelsec scan DIR | head -c 1` with pipefail: the shell reports the scan's own status.
    const run = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${CLI_BIN}" scan "${dir}" | head -c 1`], {
      encoding: 'utf8',
    });
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(run.status).toBe(1);
    const help = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${CLI_BIN}" --help | head -c 1`], {
      encoding: 'utf8',
    });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
  });
});
