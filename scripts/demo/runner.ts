import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_STEPS } from './steps.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO_ROOT, 'packages/cli/bin/modelsec.js');

export interface DemoContext {
  /** A scratch directory for this run, removed at the end. */
  work: string;
  fixtures: string;
  /** Runs `modelsec ARGS`, echoing the command and its output; returns the exit code and stdout. */
  modelsec(
    args: string[],
    options?: { expectExit?: number; env?: NodeJS.ProcessEnv; quietStdout?: boolean },
  ): { code: number; stdout: string };
  say(text: string): void;
}

export interface DemoStep {
  title: string;
  run(ctx: DemoContext): Promise<void> | void;
}

export async function runDemo(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'modelsec-demo-'));
  const ctx: DemoContext = {
    work,
    fixtures: join(REPO_ROOT, 'fixtures'),
    say: (text) => process.stdout.write(`${text}\n`),
    modelsec(args, options = {}) {
      process.stdout.write(`\n$ modelsec ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
      const result = spawnSync(process.execPath, [CLI, ...args], {
        cwd: work,
        env: { ...process.env, ...options.env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 256 * 1024 * 1024,
      });
      if (!options.quietStdout) process.stdout.write(result.stdout);
      const code = result.status ?? 3;
      const expected = options.expectExit ?? 0;
      if (code !== expected) throw new Error(`expected exit ${expected}, got ${code}: modelsec ${args.join(' ')}`);
      process.stdout.write(`(exit ${code})\n`);
      return { code, stdout: result.stdout };
    },
  };
  try {
    ctx.say(`modelsec demo: ${DEMO_STEPS.length} steps, scratch directory ${work}`);
    for (const [i, step] of DEMO_STEPS.entries()) {
      ctx.say(`\n━━ ${i + 1}. ${step.title}`);
      await step.run(ctx);
    }
    ctx.say('\nDemo finished: every step behaved as expected.');
    return 0;
  } catch (error) {
    process.stderr.write(`\ndemo failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
