/**
 * Issue 11 (probe of 2026-12-04): Apache Arrow IPC files (Hugging Face `datasets` shards and caches, Feather v2) were
 * 'format not recognised', incomplete, failing the default gate. They are now read as `pyarrow.ipc` reads them: the
 * framing of every message to the end (stream and file formats), every schema's metadata (footer included). Record
 * batches are data; a column whose extension type is pyarrow's pickled `arrow.py_extension_type` has its
 * `ARROW:extension:metadata` scanned as the pickle pyarrow < 14.0.1 loads on read (CVE-2023-47248).
 * Fixtures: fixtures/scan/arrow/, written by Apache Arrow's JavaScript writer (fixtures/scripts/arrow/make_arrow.mjs).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanPaths } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const FIXTURES = join(REPO_ROOT, 'fixtures', 'scan', 'arrow');
const root = mkdtempSync(join(tmpdir(), 'modelsec-arrow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function scanFile(file: string) {
  return (await scanPaths([file])).files[0];
}
async function scanBytes(name: string, bytes: Uint8Array) {
  const file = join(root, name);
  writeFileSync(file, bytes);
  return scanFile(file);
}

describe('Arrow IPC', () => {
  it('a datasets shard (stream format) and a Feather v2 file (file format) are recognised and clean', async () => {
    for (const name of ['datasets-stream.arrow', 'feather-file.arrow']) {
      const file = await scanFile(join(FIXTURES, name));
      expect([name, file?.format, file?.verdict, file?.findings]).toEqual([name, 'arrow', 'clean', []]);
    }
  });

  it('a pickled arrow.py_extension_type column is scanned as the pickle pyarrow loads: os.system is critical', async () => {
    const file = await scanFile(join(FIXTURES, 'py-extension-type.arrow'));
    expect(file?.format).toBe('arrow');
    expect(file?.findings.map((f) => `${f.severity} ${f.ruleId} ${(f.location?.members ?? []).join('/')}`)).toEqual([
      expect.stringMatching(/^critical MS-PKL-001 .*field labels ARROW:extension:metadata/),
    ]);
  });

  it('a stream cut inside a record batch fails closed', async () => {
    const whole = readFileSync(join(FIXTURES, 'datasets-stream.arrow'));
    const file = await scanBytes('cut.arrow', whole.subarray(0, whole.length - 40));
    expect(file?.verdict).toBe('incomplete');
  });

  it('bytes after the end-of-stream marker are not dropped: the file is not judged clean', async () => {
    const whole = readFileSync(join(FIXTURES, 'datasets-stream.arrow'));
    const tail = Buffer.from('\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.', 'latin1');
    const file = await scanBytes('trailing.arrow', Buffer.concat([whole, tail]));
    expect(file?.verdict).not.toBe('clean');
  });

  it('a file-format footer that does not fit is no Arrow file: incomplete', async () => {
    const whole = Buffer.from(readFileSync(join(FIXTURES, 'feather-file.arrow')));
    whole.writeInt32LE(0x7fffffff, whole.length - 10);
    const file = await scanBytes('bad-footer.arrow', whole);
    expect(file?.verdict).toBe('incomplete');
  });
});
