import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Shared shape of every benchmark. Each bench/<area>.ts exports `run(opts)` returning its figures and targets as
 * data; bench/run-all.ts prints them as one table and decides (bench/decide.ts): a missed target exits 1.
 */
export interface BenchOptions {
  /** Smaller inputs, for a smoke run (`npm run bench -- --quick`). */
  quick: boolean;
}

/** How a measured value compares with its limit. */
export type Comparison = '>=' | '<=' | '<' | '>' | '==';

/** One figure with a target: met when `value op limit` holds. */
export interface Target {
  figure: string;
  value: number | string | boolean;
  op: Comparison;
  limit: number | string | boolean;
}

export interface BenchResult {
  name: string;
  /** Figures printed for information (no target). */
  figures: Record<string, string | number>;
  /** Figures with a target; any missed one makes `npm run bench` exit 1. */
  targets: Target[];
}

/** A target on one figure: `target('ratio', 0.93, '>=', 0.85)`. */
export function target(figure: string, value: Target['value'], op: Comparison, limit: Target['limit']): Target {
  return { figure, value, op, limit };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export type Bench = (opts: BenchOptions) => Promise<BenchResult[]>;

/** Peak resident set size of this process so far, in MB (Linux: VmHWM; elsewhere the current RSS). */
export function peakRssMb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) return Math.round(Number(match[1]) / 1024);
  } catch {}
  return Math.round(process.memoryUsage().rss / (1024 * 1024));
}

/** Runs `fn` and returns its result with the elapsed wall time in seconds. */
export async function timeIt<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The built CLI (run `npx tsc -b` first). */
export const CLI_BIN = new URL('../packages/cli/bin/modelsec.js', import.meta.url);

export interface ChildRun {
  code: number | null;
  seconds: number;
  /** Peak RSS of the child (Linux /proc/<pid>/status VmHWM, polled every 10 ms), MB; 0 where unavailable. */
  peakMb: number;
  stdout: string;
}

/** Runs a command as a child process, timing it as a whole (start-up included) and sampling its peak RSS. */
export function runTimedChild(command: string, args: readonly string[]): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    let peakKb = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {}
    };
    const timer = setInterval(sample, 10);
    child.on('error', reject);
    child.on('exit', () => sample());
    child.on('close', (code) => {
      clearInterval(timer);
      resolvePromise({
        code,
        seconds: Number(process.hrtime.bigint() - start) / 1e9,
        peakMb: Math.round(peakKb / 1024),
        stdout,
      });
    });
  });
}

/** `modelsec ARGS...` through the built CLI, as a user runs it. */
export function runCli(args: readonly string[]): Promise<ChildRun> {
  return runTimedChild(process.execPath, [fileURLToPath(CLI_BIN), ...args]);
}

/** The Python with the ML libraries (MODELSEC_PYTHON, else Debian's /usr/bin/python3). */
export const PYTHON = process.env.MODELSEC_PYTHON ?? '/usr/bin/python3';
