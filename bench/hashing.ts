/**
 * Hashing bench (issue #5): a model directory of a few GB (quick: 512 MB) written under os.tmpdir() and read
 * once so it sits in the page cache, then, alternately over several runs:
 * - `hashModelDirectory` (the code path of `modelsec digest`, worker-thread pool), files and shards methods;
 * - the same-run baseline: one plain SHA-256 stream per core (worker threads, each hashing its share of the
 *   files sequentially, 64 KiB reads: the fastest read size here, see HASH_WORKER_BUFFER_BYTES), i.e. the
 *   machine's hashing limit over the same bytes;
 * and once the real CLI (`modelsec digest --json`) as a child, its wall time and peak RSS (VmHWM polled).
 * Targets: digest throughput >= 0.9 x baseline; peak RSS < 200 MB.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hashModelDirectory } from '@modelsec/core';
import { type BenchOptions, type BenchResult, peakRssMb, round, target, timeIt } from './lib.js';

const CLI = fileURLToPath(new URL('../packages/cli/bin/modelsec.js', import.meta.url));

const BASELINE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(64 * 1024);
let total = 0;
for (const file of workerData.files) {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  let n;
  while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) { hash.update(n === buffer.length ? buffer : buffer.subarray(0, n)); total += n; }
  closeSync(fd);
  hash.digest();
}
parentPort.postMessage(total);
`;

async function baseline(files: string[], cores: number): Promise<number> {
  const shares: string[][] = Array.from({ length: cores }, () => []);
  for (const [i, f] of files.entries()) shares[i % cores]!.push(f);
  const totals = await Promise.all(
    shares.map(
      (share) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(BASELINE_WORKER, { eval: true, workerData: { files: share } });
          w.once('message', (n: number) => {
            resolve(n);
            void w.terminate();
          });
          w.once('error', reject);
        }),
    ),
  );
  return totals.reduce((a, b) => a + b, 0);
}

function writeModel(dir: string, totalBytes: number, fileCount: number): string[] {
  const files: string[] = [];
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  const perFile = Math.floor(totalBytes / fileCount);
  mkdirSync(path.join(dir, 'shards'), { recursive: true });
  for (let f = 0; f < fileCount; f++) {
    const file = path.join(dir, 'shards', `model-${String(f).padStart(5, '0')}.safetensors`);
    const fd = openSync(file, 'w');
    chunk[0] = f;
    for (let written = 0; written < perFile; written += chunk.length)
      writeSync(fd, chunk, 0, Math.min(chunk.length, perFile - written));
    closeSync(fd);
    files.push(file);
  }
  return files;
}

function warm(files: string[]): void {
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  for (const file of files) {
    const fd = openSync(file, 'r');
    while (readSync(fd, buffer, 0, buffer.length, null) > 0) {}
    closeSync(fd);
  }
}

/** Runs the CLI, polling its VmHWM; returns wall seconds and peak RSS in MB. */
function runCli(args: string[]): Promise<{ seconds: number; peakMb: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {}
    }, 20);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(poll);
      resolve({ seconds: Number(process.hrtime.bigint() - start) / 1e9, peakMb: Math.round(peakKb / 1024), code });
    });
  });
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const totalBytes = opts.quick ? 512 * 1024 * 1024 : 4 * 1024 * 1024 * 1024;
  const fileCount = opts.quick ? 4 : 8;
  const runs = opts.quick ? 2 : 3;
  const cores = availableParallelism();
  const dir = mkdtempSync(path.join(tmpdir(), 'modelsec-bench-hash-'));
  try {
    const files = writeModel(dir, totalBytes, fileCount);
    warm(files);
    const gb = totalBytes / 1e9;
    const digestTimes: number[] = [];
    const shardTimes: number[] = [];
    const baseTimes: number[] = [];
    let rssAfterDigest = 0;
    for (let i = 0; i < runs; i++) {
      digestTimes.push((await timeIt(() => hashModelDirectory(dir))).seconds);
      rssAfterDigest = Math.max(rssAfterDigest, peakRssMb());
      shardTimes.push((await timeIt(() => hashModelDirectory(dir, { method: 'shards', shardSize: 256 * 1024 * 1024 }))).seconds);
      baseTimes.push((await timeIt(() => baseline(files, cores))).seconds);
    }
    const best = (xs: number[]) => Math.min(...xs);
    const digestGbs = gb / best(digestTimes);
    const shardGbs = gb / best(shardTimes);
    const baseGbs = gb / best(baseTimes);
    const cli = await runCli(['digest', dir, '--json']);
    const cliGbs = gb / cli.seconds;
    const ratio = digestGbs / baseGbs;
    return [
      {
        name: `hashing: modelsec digest over ${round(gb, 2)} GB in page cache (${fileCount} files, ${cores} cores)`,
        figures: {
          'digest (files) GB/s': round(digestGbs, 2),
          'digest (shards 256 MB) GB/s': round(shardGbs, 2),
          [`baseline: ${cores} SHA-256 streams GB/s`]: round(baseGbs, 2),
          'ratio shards/baseline': round(shardGbs / baseGbs, 3),
          'CLI modelsec digest GB/s (one run, incl. startup)': round(cliGbs, 2),
          'bench process peak RSS MB (library digest)': rssAfterDigest,
          runs,
        },
        targets: [
          target('ratio digest/baseline', round(ratio, 3), '>=', 0.9),
          target('CLI peak RSS MB', cli.peakMb, '<', 200),
          target('CLI exit code', cli.code ?? 'signal', '==', 0),
        ],
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
