/**
 * `npm run bench [-- --quick] [-- --only NAME]`: runs every benchmark and prints its figures, ratios against the
 * same-run baseline, and whether the target was met; exits 1 when a target is missed. Record the figures in
 * docs/benchmarks.md.
 */
import type { Bench, BenchResult } from './lib.js';

/** Every benchmark, by name: add one line per bench/<area>.ts. */
const BENCHES: Record<string, () => Promise<Bench>> = {
  mlbom: async () => (await import('./mlbom.js')).run,
  hashing: async () => (await import('./hashing.js')).run,
  registry: async () => (await import('./registry.js')).run,
  pickle: async () => (await import('./pickle.js')).run,
  tlog: async () => (await import('./tlog.js')).run,
  'scan-files': async () => (await import('./scan-files.js')).run,
  deps: async () => (await import('./deps.js')).run,
  resign: async () => (await import('./resign.js')).run,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
  const results: BenchResult[] = [];
  for (const [name, load] of Object.entries(BENCHES)) {
    if (only && name !== only) continue;
    process.stderr.write(`bench ${name}${quick ? ' (quick)' : ''}...\n`);
    const bench = await load();
    for (const result of await bench({ quick })) {
      results.push(result);
      const status = result.met === undefined ? '' : result.met ? '  [target met]' : '  [target MISSED]';
      process.stdout.write(`\n${result.name}${result.target ? `  (target ${result.target})` : ''}${status}\n`);
      for (const [key, value] of Object.entries(result.figures)) process.stdout.write(`  ${key}: ${value}\n`);
    }
  }
  if (results.length === 0) process.stdout.write('no benchmarks matched\n');
  const missed = results.filter((r) => r.met === false);
  if (missed.length > 0) {
    process.stdout.write(`\n${missed.length} target(s) missed: ${missed.map((r) => r.name).join('; ')}\n`);
    process.exitCode = 1;
  }
}

await main();
