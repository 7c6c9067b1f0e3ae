import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_BIN = fileURLToPath(new URL('../../packages/cli/bin/modelsec.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

/**
 * A Node flag that makes the child believe its stdout is a terminal (the tests' stdout is a pipe): the output
 * module then colours as it would on a TTY, so a test can see colour appear and NO_COLOR take it away.
 */
export const STDOUT_IS_TTY = [
  `--import=data:text/javascript,${encodeURIComponent("Object.defineProperty(process.stdout,'isTTY',{value:true})")}`,
];

/**
 * Runs the built `modelsec` binary as a real child process (build first: `npm test` does).
 * NO_COLOR is set unless the caller passes its own env (`NO_COLOR: undefined` removes it); the child has no stdin.
 * `nodeArgs` go to node before the binary (for example STDOUT_IS_TTY).
 */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; nodeArgs?: string[] } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    if (options.input !== undefined && child.stdin) child.stdin.end(options.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch (cause) {
            throw new Error(`stdout is not JSON:\n${stdout}\n--- stderr:\n${stderr}`, { cause });
          }
        },
      });
    });
  });
}

/**
 * Writes at `model` a small model every scanner rule passes (a protocol-2 pickle of {} and a JSON config), a key pair
 * at `signer`.key/.pub, and, through the CLI, model.sig and the scan attestation beside it: what an offline gate
 * accepts. Throws naming the command that failed.
 */
export async function signedScannedModel(model: string, signer: string): Promise<void> {
  mkdirSync(model);
  writeFileSync(join(model, 'weights.pkl'), Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
  writeFileSync(join(model, 'config.json'), '{"architectures": ["Tiny"]}\n');
  for (const args of [
    ['keygen', '--out', signer],
    ['sign', 'key', model, '--private-key', `${signer}.key`],
    ['scan', model, '--attest', 'key', '--private-key', `${signer}.key`],
  ]) {
    const run = await runCli(args);
    if (run.code !== 0) throw new Error(`modelsec ${args.join(' ')} exited ${run.code}\n${run.stderr}`);
  }
}
