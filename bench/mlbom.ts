/**
 * ML-BOM cost vs one hashing pass. Builds a model directory with safetensors shards (about 2 GB; 200 MB with
 * --quick) under os.tmpdir(), then times, alternately, `hashFiles` over every file (what `modelsec digest` costs)
 * and `generateModelBom` of the same directory (hashes + card + headers + validation). Target: ratio <= 1.1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock, generateModelBom, hashFiles } from '@modelsec/core';
import { type BenchOptions, type BenchResult, peakRssMb, round, target, timeIt } from './lib.js';

const MB = 1024 * 1024;

/** Writes one safetensors shard of `bytes` data (BF16 tensors of 1M elements each) without holding it in memory. */
async function writeShard(path: string, bytes: number, seed: number): Promise<void> {
  const tensorBytes = 2 * MB;
  const count = Math.floor(bytes / tensorBytes);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (let i = 0; i < count; i++) {
    header[`layers.${i}.weight`] = { dtype: 'BF16', shape: [1024, 1024], data_offsets: [i * tensorBytes, (i + 1) * tensorBytes] };
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8 !== 0) json += ' ';
  const file = await open(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    await file.write(len);
    await file.write(Buffer.from(json));
    const block = Buffer.alloc(16 * MB);
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
    let left = count * tensorBytes;
    while (left > 0) {
      const n = Math.min(left, block.length);
      await file.write(block, 0, n);
      left -= n;
      block[0] = (block[0]! + 1) & 0xff;
    }
  } finally {
    await file.close();
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const total = opts.quick ? 200 * MB : 2048 * MB;
  const shards = 4;
  const dir = mkdtempSync(join(tmpdir(), 'modelsec-bench-mlbom-'));
  try {
    for (let i = 0; i < shards; i++) {
      await writeShard(join(dir, `model-0000${i + 1}-of-0000${shards}.safetensors`), total / shards, i);
    }
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 1024 }),
    );
    writeFileSync(
      join(dir, 'README.md'),
      '---\nlicense: apache-2.0\npipeline_tag: text-generation\n---\n\n# bench model\n\nA benchmark model.\n',
    );
    const files = [
      'README.md',
      'config.json',
      ...Array.from({ length: shards }, (_, i) => `model-0000${i + 1}-of-0000${shards}.safetensors`),
    ].map((f) => ({ path: join(dir, f) }));
    const hashTimes: number[] = [];
    const bomTimes: number[] = [];
    let componentCount = 0;
    // Alternate the order each round so neither side always runs with a warmer page cache; take the best of each.
    // The first BOM also pays the one-time schema compilation (reported separately below).
    const rounds = 3;
    let firstBom = 0;
    const timeBom = async () => {
      const bom = await timeIt(() => generateModelBom(dir, { clock: fixedClock(0), deps: 'auto' }));
      if (bomTimes.length === 0) firstBom = bom.seconds;
      bomTimes.push(bom.seconds);
      componentCount = JSON.parse(bom.value.text).components.length;
    };
    const timeHash = async () => {
      hashTimes.push((await timeIt(() => hashFiles(files))).seconds);
    };
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        await timeHash();
        await timeBom();
      } else {
        await timeBom();
        await timeHash();
      }
    }
    const hash = Math.min(...hashTimes);
    const bom = Math.min(...bomTimes);
    const ratio = bom / hash;
    return [
      {
        name: `mlbom: BOM of a ${Math.round(total / MB)} MB safetensors directory vs hashing it (modelsec digest)`,
        figures: {
          'input MB': Math.round(total / MB),
          'hashFiles s (best of runs)': round(hash, 3),
          'generateModelBom s (best of runs)': round(bom, 3),
          'hash MB/s': round(total / MB / hash, 1),
          'BOM MB/s': round(total / MB / bom, 1),
          'first BOM s (incl. schema compile)': round(firstBom, 3),
          'file components': componentCount,
          'peak RSS MB': peakRssMb(),
        },
        targets: [target('ratio BOM / hash', round(ratio, 3), '<=', 1.1)],
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
