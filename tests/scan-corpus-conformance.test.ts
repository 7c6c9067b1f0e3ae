/**
 * Conformance against the public scanner corpora (picklescan, modelscan, fickling, modelaudit test files; see
 * ../shared/corpora/scanners/README.txt). Malicious → a finding at high or above; benign → none at high or above.
 * Only the pickle family's formats are scanned here (pickle, PyTorch zip/legacy, numpy, npz, zip of pickles).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../packages/core/src/formats/byte-source.js';
import { joblibCodec, joblibHandler } from '../packages/core/src/scan/handlers/joblib.js';
import { npzHandler, numpyHandler } from '../packages/core/src/scan/handlers/numpy.js';
import { pickleHandler } from '../packages/core/src/scan/handlers/pickle.js';
import { pytorchZipHandler } from '../packages/core/src/scan/handlers/pytorch-zip.js';
import { standaloneScanContext } from '../packages/core/src/scan/pickle/standalone-context.js';
import type { FormatHandler } from '../packages/core/src/scan/types.js';
import { atLeast } from '../packages/core/src/scan/types.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORPORA = path.resolve(REPO_ROOT, '../shared/corpora');
const MANIFEST = path.join(CORPORA, 'scanners', 'MANIFEST.tsv');

interface Row {
  file: string;
  format: string;
  verdict: string;
  why: string;
}

function rows(): Row[] {
  if (!existsSync(MANIFEST)) return [];
  return readFileSync(MANIFEST, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim())
    .map((line) => {
      const [file = '', format = '', verdict = '', why = ''] = line.split('\t');
      return { file, format, verdict, why };
    });
}

/** Manifest formats of the pickle family and the handler that scans them. */
function handlerFor(format: string, head: Uint8Array): FormatHandler | undefined {
  if (format.startsWith('pickle')) return joblibCodec(head) !== 'none' && head[0] !== 0x80 ? joblibHandler : pickleHandler;
  if (format === 'pytorch-zip' || format === 'zip') return pytorchZipHandler;
  if (format === 'npy') return numpyHandler;
  if (format.startsWith('npz')) return npzHandler;
  return undefined;
}

/** Rows whose `why` says the content cannot execute may stay below high. */
const cannotExecute = (why: string) => /cannot execute|not executable|never executed|inert/i.test(why);

const all = rows().filter((row) => handlerFor(row.format, new Uint8Array([0x80])) !== undefined);

describe.skipIf(!existsSync(MANIFEST))('scanner corpus conformance (pickle family)', () => {
  for (const row of all) {
    it(`${row.verdict}: ${row.file} (${row.format})`, async () => {
      const file = path.join(CORPORA, 'scanners', row.file);
      const source = await fileSource(file);
      try {
        const head = await source.read(0, 4);
        const handler = handlerFor(row.format, head);
        if (!handler) throw new Error('no handler');
        const result = await handler.scan(source, standaloneScanContext());
        const high = result.findings.filter((f) => atLeast(f.severity, 'high'));
        const summary = result.findings.map((f) => `${f.ruleId}:${f.severity}:${f.message}`).slice(0, 8);
        if (row.verdict === 'malicious') {
          if (cannotExecute(row.why))
            expect(
              result.findings.some((f) => atLeast(f.severity, 'medium')),
              summary.join('\n'),
            ).toBe(true);
          else expect(high.length, `${row.why}\n${summary.join('\n')}`).toBeGreaterThan(0);
        } else if (row.verdict === 'benign') {
          expect(high, `${row.why}\n${summary.join('\n')}`).toEqual([]);
        } else {
          // 'suspicious': at least reported.
          expect(result.findings.length + result.errors.length, row.why).toBeGreaterThan(0);
        }
      } finally {
        await source.close();
      }
    });
  }
});
