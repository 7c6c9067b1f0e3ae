/**
 * Incremental re-signing bench (issue 15): a model of 2 GiB (quick: 256 MiB) in four weight files plus a README and a
 * config, under os.tmpdir(), read once so it sits in the page cache. Signed in full (`signModel`, what `sign key` does),
 * then the README is edited and the model re-signed twice: incrementally (`reuseFrom` the verified model.sig, what
 * `sign key --reuse-from model.sig` does) and in full. Target: the incremental re-sign takes < 5% of the full sign, and
 * its model.sig is byte-identical to the full re-sign's (the signed statement, and the signature itself: key signing is
 * deterministic ECDSA, RFC 6979).
 */

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningKey, hashModelDirectory, reuseFrom, signModel } from '@modelsec/core';
import { type BenchOptions, type BenchResult, round, target, timeIt } from './lib.js';

const MiB = 1024 * 1024;

function writeModel(dir: string, totalBytes: number): void {
  const block = randomBytes(16 * MiB);
  const perFile = totalBytes / 4;
  for (let i = 0; i < 4; i++) {
    const fd = openSync(path.join(dir, `model-0000${i + 1}-of-00004.safetensors`), 'w');
    for (let written = 0; written < perFile; written += block.length) {
      block.writeUInt32LE(i * 1_000_000 + written / block.length, 0); // no two blocks alike
      writeSync(fd, block, 0, Math.min(block.length, perFile - written));
    }
    closeSync(fd);
  }
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 4096 }));
  writeFileSync(path.join(dir, 'README.md'), '# bench model\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const total = (opts.quick ? 256 : 2048) * MiB;
  const root = mkdtempSync(path.join(tmpdir(), 'modelsec-bench-resign-'));
  const dir = path.join(root, 'model');
  mkdirSync(dir);
  try {
    writeModel(dir, total);
    await hashModelDirectory(dir); // warm the page cache: both runs read cached bytes
    const key = generateSigningKey();
    const signer = { kind: 'key' as const, privateKeyPem: key.privateKeyPem };
    const signature = path.join(dir, 'model.sig');
    const full = await timeIt(() => signModel(dir, signer));
    writeFileSync(signature, JSON.stringify(full.value.bundle));
    await sleep(50); // the edit comes after model.sig was written, as it does in real use
    writeFileSync(path.join(dir, 'README.md'), '# bench model\n\nNow with a usage section.\n');

    const incremental = await timeIt(async () =>
      signModel(dir, signer, { reuse: await reuseFrom(signature, { kind: 'key', publicKeyPem: key.publicKeyPem }) }),
    );
    const fullAgain = await timeIt(() => signModel(dir, signer));
    const identical = JSON.stringify(incremental.value.bundle) === JSON.stringify(fullAgain.value.bundle);
    const ratio = incremental.seconds / fullAgain.seconds;
    const reused = incremental.value.digest.reused ?? { files: 0, bytes: 0 };
    // The reused digests must verify against the edited model like any signature: a full verify reads everything.
    const check = await hashModelDirectory(dir);
    const correct = check.rootDigest === incremental.value.digest.rootDigest;
    return [
      {
        name: `resign after a README edit (${total / MiB} MiB model)`,
        figures: {
          fullSignSeconds: round(full.seconds, 3),
          fullResignSeconds: round(fullAgain.seconds, 3),
          incrementalSeconds: round(incremental.seconds, 3),
          reusedFiles: reused.files,
          reusedMiB: round(reused.bytes / MiB, 1),
        },
        targets: [
          target('incremental / full re-sign %', round(ratio * 100, 2), '<', 5),
          target('model.sig identical to a full re-sign', identical, '==', true),
          target('root digest correct', correct, '==', true),
        ],
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
