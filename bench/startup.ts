/**
 * Start-up bench (issue 13): whole CLI runs, as users run them (`node packages/cli/bin/modelsec.js ...`), against
 * `node -e 0` measured in the same run, interleaved (one run of each in turn, the order rotating), median of each:
 * - `modelsec --version` and `modelsec --help`: at most 1.5x `node -e 0`;
 * - `modelsec scan <one small pickle>`: at most 2.5x;
 * - `modelsec digest DIR` over 2 GiB in the page cache (8 files of 256 MiB): throughput at least 0.85 of the
 *   same-run 2-core OpenSSL limit, two `openssl dgst -sha256` processes in parallel over the same files (each
 *   hashing half of them), i.e. openssl seconds / CLI seconds >= 0.85. The digests the CLI reports must equal
 *   openssl's.
 * Quick mode (smoke tests): 2 runs each, no warm-up run, 8 files of 4 MiB (the digest ratio is then all start-up:
 * informational).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, type BenchResult, CLI_BIN, median, round, type Target, target } from './lib.js';

const CLI = fileURLToPath(CLI_BIN);
const MIB = 1024 * 1024;

/** Spawns a command with its output discarded (or captured) and returns its wall time, start-up included. */
function timeRun(
  command: string,
  args: readonly string[],
  capture = false,
): Promise<{ seconds: number; code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', capture ? 'pipe' : 'ignore', 'inherit'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ seconds: Number(process.hrtime.bigint() - start) / 1e9, code, stdout }));
  });
}

interface Case {
  label: string;
  run: () => Promise<{ seconds: number; code: number | null }>;
}

/** Runs every case `runs` times, interleaved with a rotating order, after one discarded warm-up run each (if `warmUp`). */
async function interleaved(cases: readonly Case[], runs: number, warmUp: boolean): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  if (warmUp) for (const c of cases) await c.run();
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(i + k) % cases.length] as Case;
      const { seconds, code } = await c.run();
      if (code !== 0) throw new Error(`${c.label} exited with ${code}`);
      times.get(c.label)?.push(seconds);
    }
  }
  return times;
}

/** A clean pickle of a few bytes: `{'a': 1}` at protocol 2. */
const SMALL_PICKLE = Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x4b, 0x01, 0x73, 0x2e]);

function writeFiles(dir: string, count: number, bytes: number): string[] {
  const block = Buffer.alloc(8 * MIB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const files: string[] = [];
  for (let f = 0; f < count; f++) {
    const file = path.join(dir, `model-${String(f).padStart(5, '0')}.safetensors`);
    const fd = openSync(file, 'w');
    try {
      block[0] = f;
      for (let written = 0; written < bytes; written += block.length)
        writeSync(fd, block, 0, Math.min(block.length, bytes - written));
    } finally {
      closeSync(fd);
    }
    files.push(file);
  }
  return files;
}

/** Reads every file once so the timed runs find them in the page cache. */
function warm(files: readonly string[]): void {
  const buffer = Buffer.allocUnsafe(8 * MIB);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0) {}
    } finally {
      closeSync(fd);
    }
  }
}

/** Two `openssl dgst -sha256` processes in parallel, each over half the files: the 2-core hashing limit. */
async function opensslPair(
  files: readonly string[],
): Promise<{ seconds: number; code: number | null; digests: Map<string, string> }> {
  const half = Math.ceil(files.length / 2);
  const start = process.hrtime.bigint();
  const parts = await Promise.all(
    [files.slice(0, half), files.slice(half)].map((share) => timeRun('openssl', ['dgst', '-sha256', '-r', ...share], true)),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const digests = new Map<string, string>();
  for (const line of parts.flatMap((p) => p.stdout.split('\n'))) {
    const m = /^([0-9a-f]{64}) \*?(.+)$/.exec(line.trim());
    if (m) digests.set(path.basename(m[2] as string), m[1] as string);
  }
  return { seconds, code: parts.every((p) => p.code === 0) ? 0 : 1, digests };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  if (!existsSync(path.join(path.dirname(CLI), '..', 'dist', 'main.js'))) throw new Error('build the CLI first: npx tsc -b');
  const runs = opts.quick ? 2 : 11;
  const work = mkdtempSync(path.join(tmpdir(), 'modelsec-bench-startup-'));
  try {
    // (1) start-up: --version, --help and a small scan against node -e 0.
    const pickle = path.join(work, 'small.pkl');
    writeFileSync(pickle, SMALL_PICKLE);
    const node = (args: string[]) => () => timeRun(process.execPath, args);
    const cli = (args: string[]) => node([CLI, ...args]);
    const startup = await interleaved(
      [
        { label: 'node -e 0', run: node(['-e', '0']) },
        { label: 'modelsec --version', run: cli(['--version']) },
        { label: 'modelsec --help', run: cli(['--help']) },
        { label: 'modelsec scan small.pkl', run: cli(['scan', pickle]) },
      ],
      runs,
      !opts.quick,
    );
    const ms = (label: string) => median(startup.get(label) ?? []) * 1000;
    const base = ms('node -e 0');
    const ratio = (label: string) => round(ms(label) / base, 2);
    const startupResult: BenchResult = {
      name: `startup: whole CLI runs vs node -e 0 (same run, interleaved, median of ${runs})`,
      targets: [
        target('--version / node -e 0', ratio('modelsec --version'), '<=', 1.5),
        target('--help / node -e 0', ratio('modelsec --help'), '<=', 1.5),
        target('scan small.pkl / node -e 0', ratio('modelsec scan small.pkl'), '<=', 2.5),
      ],
      figures: {
        'node -e 0 ms': round(base, 1),
        'modelsec --version ms': round(ms('modelsec --version'), 1),
        'modelsec --help ms': round(ms('modelsec --help'), 1),
        'modelsec scan small.pkl ms': round(ms('modelsec scan small.pkl'), 1),
      },
    };

    // (2) digest of 8 files in the page cache vs two parallel openssl processes over the same files.
    const fileBytes = (opts.quick ? 4 : 256) * MIB;
    const model = path.join(work, 'model');
    mkdirSync(model);
    const files = writeFiles(model, 8, fileBytes);
    warm(files);
    let openssl: Map<string, string> | undefined;
    const digestTimes = await interleaved(
      [
        {
          label: 'openssl',
          run: async () => {
            const r = await opensslPair(files);
            openssl = r.digests;
            return r;
          },
        },
        { label: 'digest', run: cli(['digest', model]) },
      ],
      runs,
      !opts.quick,
    );
    const check = await timeRun(process.execPath, [CLI, 'digest', model, '--json'], true);
    const reported = JSON.parse(check.stdout) as {
      data?: { resources?: { name: string; digest: string }[] };
      resources?: { name: string; digest: string }[];
    };
    const resources = reported.data?.resources ?? reported.resources ?? [];
    const same = resources.length === files.length && resources.every((r) => openssl?.get(r.name) === r.digest);
    const gib = (8 * fileBytes) / 1024 ** 3;
    const opensslSeconds = median(digestTimes.get('openssl') ?? []);
    const digestSeconds = median(digestTimes.get('digest') ?? []);
    const digestRatio = round(opensslSeconds / digestSeconds, 3);
    const digestTargets: Target[] = [target('digests equal openssl', same, '==', true)];
    const throughput = target('digest throughput / 2x openssl', digestRatio, '>=', 0.85);
    const digestResult: BenchResult = {
      name: `startup: modelsec digest of ${round(gib, 3)} GiB in page cache (8 files) vs 2 parallel openssl dgst -sha256 (median of ${runs})`,
      targets: opts.quick ? digestTargets : [throughput, ...digestTargets],
      figures: {
        ...(opts.quick ? { 'digest throughput / 2x openssl (quick: start-up dominated)': digestRatio } : {}),
        'modelsec digest s': round(digestSeconds, 3),
        'modelsec digest GiB/s': round(gib / digestSeconds, 2),
        '2x openssl s': round(opensslSeconds, 3),
        '2x openssl GiB/s': round(gib / opensslSeconds, 2),
      },
    };
    return [startupResult, digestResult];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
