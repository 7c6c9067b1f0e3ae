/**
 * `npm run bench [-- --quick] [-- NAME...]` (or `npx tsx bench/run-all.ts startup --quick`): runs the benchmarks
 * (all, or those named), prints one table of every figure with its target and whether it was met, and exits 1 when
 * a target is missed or a bench fails. `--quick`: smaller inputs, for smoke tests. Record the figures in
 * docs/benchmarks.md.
 */
import { pathToFileURL } from 'node:url';
import { decide, failedBench, formatTable } from './decide.js';
import type { Bench, BenchResult } from './lib.js';

/** Every benchmark, by name: add one line per bench/<area>.ts. */
export const BENCHES: Record<string, () => Promise<Bench>> = {
  startup: async () => (await import('./startup.js')).run,
  mlbom: async () => (await import('./mlbom.js')).run,
  hashing: async () => (await import('./hashing.js')).run,
  registry: async () => (await import('./registry.js')).run,
  pickle: async () => (await import('./pickle.js')).run,
  tlog: async () => (await import('./tlog.js')).run,
  'scan-files': async () => (await import('./scan-files.js')).run,
  deps: async () => (await import('./deps.js')).run,
  resign: async () => (await import('./resign.js')).run,
};

export interface RunArgs {
  quick: boolean;
  names: string[];
}

/** `--quick`, `--only NAME` (kept for old scripts) and bare bench names. */
export function parseArgs(args: readonly string[]): RunArgs {
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--only') names.push(args[++i] ?? '');
    else if (!arg.startsWith('--')) names.push(arg);
  }
  return { quick: args.includes('--quick'), names };
}

async function main(): Promise<number> {
  const { quick, names } = parseArgs(process.argv.slice(2));
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench: ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})\n`);
    return 2;
  }
  const results: BenchResult[] = [];
  for (const [name, load] of Object.entries(BENCHES)) {
    if (names.length > 0 && !names.includes(name)) continue;
    process.stderr.write(`bench ${name}${quick ? ' (quick)' : ''}...\n`);
    try {
      results.push(...(await (await load())({ quick })));
    } catch (error) {
      process.stderr.write(`bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      results.push(failedBench(name, error));
    }
  }
  const verdict = decide(results);
  process.stdout.write(formatTable(verdict.rows));
  if (results.length === 0) process.stdout.write('\nno benchmarks ran\n');
  if (verdict.missed.length > 0) {
    process.stdout.write(`\n${verdict.missed.length} target(s) missed:\n`);
    for (const r of verdict.missed) process.stdout.write(`  ${r.bench}: ${r.figure} = ${r.value}, target ${r.target}\n`);
  } else if (results.length > 0) process.stdout.write('\nall targets met\n');
  return verdict.exitCode;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
