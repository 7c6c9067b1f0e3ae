import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliEnv } from '../command-kit.js';
import { buildProgram } from '../program.js';
import { commandsFor } from './index.js';
import { COMMAND_SUMMARIES } from './summaries.generated.js';
import { summariesOf } from './summaries.js';

function env(): CliEnv & { text: () => string } {
  let text = '';
  const stdout = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stdout, stderr: new Writable({ write: (_c, _e, done) => done() }), env: {}, exitCode: 0, cwd: '/', text: () => text };
}

/** The program's help as `modelsec --help` prints it with the given declarations, at a terminal width. */
async function programHelp(argv: string[], width: number): Promise<string> {
  const e = env();
  const program = buildProgram(e, await commandsFor(argv));
  program.configureOutput({ writeOut: (s) => e.stdout.write(s), getOutHelpWidth: () => width });
  return program.helpInformation();
}

describe('the program help printed from the generated summaries', () => {
  it('the generated summaries are those of the declarations (else: npm run gen:cli-summaries)', async () => {
    const program = buildProgram(env(), await commandsFor(['node', 'modelsec']));
    expect(COMMAND_SUMMARIES).toEqual(summariesOf(program));
  });

  it('modelsec --help uses the summaries, and prints exactly what the full declarations print, at any width', async () => {
    expect((await commandsFor(['node', 'modelsec', '--help'])).map((f) => f.name)).toEqual(['declareSummaries']);
    for (const width of [40, 80, 132, 240]) {
      const fast = await programHelp(['node', 'modelsec', '--help'], width);
      expect(fast).toContain('scan [options] <paths...>');
      expect(fast).toBe(await programHelp(['node', 'modelsec'], width));
    }
  });

  it('a command named after --help still loads its own declaration', async () => {
    expect(await commandsFor(['node', 'modelsec', 'scan', '--help'])).toHaveLength(1);
    expect((await commandsFor(['node', 'modelsec', '--help', 'scan']))[0]?.name).not.toBe('declareSummaries');
  });
});
