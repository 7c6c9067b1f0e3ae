/**
 * Conformance against the public scanner corpora (picklescan, modelscan, fickling, modelaudit test files; see
 * shared/corpora/scanners/README.txt), pickle family: every row whose manifest format is a pickle, a PyTorch zip,
 * a zip, .npy or .npz, scanned through the engine entry the CLI uses (scanFile). Malicious → a finding at high or
 * above and the default gate fails (or, when the manifest says the content cannot execute, at least a finding at
 * medium); benign → nothing at high or above; suspicious → reported. Fails (never skips) under CI without the corpus.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { scanFile } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { atLeast } from '../../../packages/core/src/scan/types.js';
import { describeWithCorpus, scannerManifest } from '../../helpers/corpora.js';

const corpus = scannerManifest();

/** Manifest formats of the pickle family. */
const PICKLE_FAMILY = (format: string) =>
  format.startsWith('pickle') || format === 'pytorch-zip' || format === 'zip' || format === 'npy' || format.startsWith('npz');

/** Rows whose `why` says the content cannot execute may stay below high. */
const cannotExecute = (why: string) => /cannot execute|not executable|never executed|inert/i.test(why);

const rows = (corpus?.rows ?? []).filter((row) => PICKLE_FAMILY(row.format));

describeWithCorpus('scanner corpus conformance (pickle family, through the engine)', corpus !== undefined, () => {
  it('covers the whole pickle family of the manifest (156 rows)', () => {
    expect(rows.length).toBe(156);
  });
  for (const row of rows) {
    it(`${row.verdict}: ${row.file} (${row.format})`, async () => {
      const report = await scanFile(path.join(corpus?.dir ?? '', row.file), {}, row.file);
      const high = report.findings.filter((f) => atLeast(f.severity, 'high'));
      const summary = report.findings.map((f) => `${f.ruleId}:${f.severity}:${f.message}`).slice(0, 8);
      if (row.verdict === 'malicious') {
        if (cannotExecute(row.why))
          expect(
            report.findings.some((f) => atLeast(f.severity, 'medium')),
            summary.join('\n'),
          ).toBe(true);
        else {
          expect(high.length, `${row.why}\n${summary.join('\n')}`).toBeGreaterThan(0);
          expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
        }
      } else if (row.verdict === 'benign') {
        expect(high, `${row.why}\n${summary.join('\n')}`).toEqual([]);
      } else {
        // 'suspicious': at least reported.
        expect(report.findings.length + report.errors.length, row.why).toBeGreaterThan(0);
      }
    });
  }
});
