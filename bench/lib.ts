import { readFileSync } from 'node:fs';

/**
 * Shared shape of every benchmark. Each bench/<area>.ts exports `run(opts)` returning results; bench/run-all.ts
 * prints them. Figures are measured, never asserted: targets are compared here and reported, not enforced by tests.
 */
export interface BenchOptions {
  /** Smaller inputs, for a smoke run (`npm run bench -- --quick`). */
  quick: boolean;
}

export interface BenchResult {
  name: string;
  figures: Record<string, string | number>;
  /** The target, in words, e.g. '>= 50 MB/s'. */
  target?: string;
  met?: boolean;
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
