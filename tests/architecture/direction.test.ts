import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const scratch: string[] = [];

/** A copy of the workspace's TypeScript projects (sources and configs) where a probe file can be added. */
function copyWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'modelsec-arch-'));
  scratch.push(dir);
  for (const file of ['tsconfig.json', 'tsconfig.base.json']) cpSync(join(REPO_ROOT, file), join(dir, file));
  for (const pkg of ['core', 'cli', 'registry']) {
    for (const entry of ['src', 'tsconfig.json', 'package.json']) {
      cpSync(join(REPO_ROOT, 'packages', pkg, entry), join(dir, 'packages', pkg, entry), { recursive: true });
    }
    const nested = join(REPO_ROOT, 'packages', pkg, 'node_modules');
    if (existsSync(nested)) symlinkSync(nested, join(dir, 'packages', pkg, 'node_modules'), 'dir');
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

async function tscBuild(dir: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [TSC, '-b', dir], { cwd: dir });
    return { ok: true, output: stdout };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('package dependency direction (project references)', () => {
  it('the untouched workspace builds', async () => {
    const result = await tscBuild(copyWorkspace());
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  }, 120_000);

  it('tsc -b rejects an import from core into the cli sources', async () => {
    const dir = copyWorkspace();
    writeFileSync(join(dir, 'packages/core/src/probe.ts'), "export { main } from '../../cli/src/main.js';\n");
    const result = await tscBuild(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/error TS\d+/);
  }, 120_000);

  it('tsc -b rejects an import from the registry into the cli sources', async () => {
    const dir = copyWorkspace();
    writeFileSync(join(dir, 'packages/registry/src/probe.ts'), "export { main } from '../../cli/src/main.js';\n");
    const result = await tscBuild(dir);
    expect(result.ok).toBe(false);
  }, 120_000);
});
