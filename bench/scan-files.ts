/**
 * Scanning many small files in one CLI run: 1,000 files of mixed formats (pickles, safetensors, GGUF, JSON), one
 * `modelsec scan DIR --format json` child process (every file gets its detected handler, the pickle reading from
 * offset 0 and the zip end-record check, and is hashed). Baseline: sha256 of the same files in-process (a
 * `sha256sum`); every reported sha256 must be the real digest. Peak RSS of the child: its /proc/<pid>/status
 * VmHWM, polled every 10 ms while it runs (Linux).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchOptions, type BenchResult, round, runCli, target, timeIt } from './lib.js';

function sample(i: number): Uint8Array {
  const kind = i % 4;
  if (kind === 0) {
    // collections.OrderedDict() with one item, protocol 2: GLOBAL, EMPTY_TUPLE, REDUCE, then a SETITEM.
    const key = Buffer.from(`layer.${i}.weight`);
    return Buffer.concat([
      Buffer.from('\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X', 'latin1'),
      Buffer.from(Uint32Array.of(key.length).buffer),
      key,
      Buffer.from('K\x01s.', 'latin1'),
    ]);
  }
  if (kind === 1) {
    const json = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }));
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([head, json, Buffer.alloc(16, i & 0xff)]);
  }
  if (kind === 2) return Buffer.from(JSON.stringify({ model_type: 'llama', index: i, hidden_size: 64 }));
  const pickle = Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x4b, i & 0xff, 0x73, 0x2e]);
  return pickle;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const count = opts.quick ? 200 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'modelsec-bench-scan-'));
  try {
    for (let i = 0; i < count; i++) {
      const sub = join(dir, `d${i % 10}`);
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${i}.bin`), sample(i));
    }
    const expected = new Set<string>();
    const baseline = await timeIt(() => {
      for (const d of readdirSync(dir))
        for (const f of readdirSync(join(dir, d)))
          expected.add(
            createHash('sha256')
              .update(readFileSync(join(dir, d, f)))
              .digest('hex'),
          );
    });
    const scan = await timeIt(() => runCli(['scan', dir, '--format', 'json', '--fail-on', 'critical']));
    const report = JSON.parse(scan.value.stdout) as {
      files: { sha256?: string }[];
      summary: { verdicts: Record<string, number> };
    };
    // The CLI path includes the report's hashing: every file's digest must be the real one.
    const hashed = report.files.filter((f) => f.sha256 !== undefined && expected.has(f.sha256)).length;
    const filesPerSecond = count / scan.seconds;
    return [
      {
        name: `scan ${count} small files in one CLI run`,
        targets: [
          target('files/s', round(filesPerSecond, 0), '>=', 500),
          target('peak RSS MB (child)', scan.value.peakMb, '<', 300),
          target('files reported', report.files.length, '==', count),
          target('files with a sha256 in the report', hashed, '==', count),
        ],
        figures: {
          files: count,
          'CLI seconds (incl. start-up)': round(scan.seconds, 3),
          'exit code': scan.value.code ?? 'signal',
          verdicts: JSON.stringify(report.summary.verdicts),
          'baseline sha256 in-process seconds': round(baseline.seconds, 4),
          'ratio CLI / baseline': round(scan.seconds / Math.max(baseline.seconds, 1e-6), 1),
        },
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
