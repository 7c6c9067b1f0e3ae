/**
 * Transparency log: appends (leaf + O(log n) node hashes each) and proof generation/verification on a large tree,
 * against a same-run baseline of plain SHA-256 over the same entries (the floor: one one-shot `crypto.hash` per entry).
 */
import { hash, randomBytes } from 'node:crypto';
import { hashLeaf, MerkleTree, verifyConsistency, verifyInclusion } from '@modelsec/core';
import { type BenchOptions, type BenchResult, peakRssMb, round, target, timeIt } from './lib.js';

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 100_000 : 1_000_000;
  const entries = Array.from({ length: n }, (_, i) => Buffer.from(`{"i":${i},"r":"${randomBytes(24).toString('hex')}"}`));
  const baseline = await timeIt(() => {
    // The fastest plain hash per entry Node offers (one-shot, no Hash object): what the tree's hashes use too.
    for (const e of entries) hash('sha256', e, 'buffer');
  });
  const tree = new MerkleTree();
  const append = await timeIt(() => {
    for (const e of entries) tree.append(e);
  });
  const proofs = 10_000;
  const root = tree.root();
  const inclusion = await timeIt(() => {
    let ok = 0;
    for (let k = 0; k < proofs; k++) {
      const i = (k * 7919) % n;
      if (verifyInclusion(i, n, hashLeaf(entries[i] as Buffer), tree.inclusionProof(i, n), root)) ok++;
    }
    return ok;
  });
  const consistency = await timeIt(() => {
    let ok = 0;
    for (let k = 1; k <= proofs; k++) {
      const m = Math.max(1, (k * 104729) % n);
      if (verifyConsistency(m, n, tree.root(m), root, tree.consistencyProof(m, n))) ok++;
    }
    return ok;
  });
  const appendsPerSecond = n / append.seconds;
  const ratio = baseline.seconds / append.seconds;
  return [
    {
      name: `tlog: append ${n.toLocaleString('en')} entries`,
      figures: {
        'appends/s': Math.round(appendsPerSecond),
        'plain SHA-256 entries/s (baseline)': Math.round(n / baseline.seconds),
        'peak RSS MB': peakRssMb(),
      },
      // About 2 hashes per append: at least 0.3 of plain hashing.
      targets: [target('ratio to plain SHA-256 entries/s', round(ratio, 3), '>=', 0.3)],
    },
    {
      name: `tlog: ${proofs} inclusion + ${proofs} consistency proofs (generate + verify) at size ${n.toLocaleString('en')}`,
      figures: {
        'inclusion proofs/s': Math.round(proofs / inclusion.seconds),
        'consistency proofs/s': Math.round(proofs / consistency.seconds),
      },
      targets: [target('all proofs verified', inclusion.value === proofs && consistency.value === proofs, '==', true)],
    },
  ];
}
