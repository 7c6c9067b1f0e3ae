import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from './fs-blob-store.js';
import { PIPELINED_WRITE_BATCH_BYTES, PipelinedFileWriter } from './pipelined-file-writer.js';
import { TrailingFileHasher } from './trailing-hasher.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-upload-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Splits `bytes` into chunks of irregular sizes, as a socket delivers them. */
function chunks(bytes: Buffer, seed = 7): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  let x = seed;
  while (at < bytes.length) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = Math.min(bytes.length - at, 1 + (x % (300 * 1024)));
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('PipelinedFileWriter', () => {
  it('writes every byte in place, after an existing prefix, and reports a growing hole-free watermark', async () => {
    const file = path.join(dir, 'writer.bin');
    const prefix = Buffer.from('prefix:');
    writeFileSync(file, prefix);
    // Enough for several batches in flight at once.
    const body = randomBytes(PIPELINED_WRITE_BATCH_BYTES * 5 + 12345);
    const handle = await open(file, 'r+');
    const marks: number[] = [];
    const writer = new PipelinedFileWriter(handle, prefix.length, (end) => {
      // Every reported byte is already on the file, whatever order the writes completed in.
      const onDisk = readFileSync(file).subarray(prefix.length, end);
      expect(onDisk.equals(body.subarray(0, end - prefix.length))).toBe(true);
      marks.push(end);
    });
    for (const c of chunks(body)) await writer.write(c);
    expect(await writer.finish()).toBe(prefix.length + body.length);
    await handle.close();
    expect(readFileSync(file).equals(Buffer.concat([prefix, body]))).toBe(true);
    expect(marks.length).toBeGreaterThan(1);
    expect([...marks].sort((a, b) => a - b)).toEqual(marks);
    expect(marks.at(-1)).toBe(prefix.length + body.length);
  });

  it('surfaces a write error instead of reporting success', async () => {
    const file = path.join(dir, 'readonly.bin');
    writeFileSync(file, '');
    const handle = await open(file, 'r'); // not writable: every write fails (EBADF)
    const writer = new PipelinedFileWriter(handle, 0);
    const attempt = async () => {
      for (const c of chunks(randomBytes(PIPELINED_WRITE_BATCH_BYTES * 3))) await writer.write(c);
      await writer.finish();
    };
    await expect(attempt()).rejects.toMatchObject({ code: 'EBADF' });
    await writer.settle();
    await handle.close();
  });
});

describe('TrailingFileHasher', () => {
  it('hashes a file as it is written, in steps', async () => {
    const file = path.join(dir, 'trailing.bin');
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(file, bytes);
    const hasher = new TrailingFileHasher(file);
    hasher.advance(1000);
    hasher.advance(2 * 1024 * 1024);
    expect(await hasher.digest(bytes.length)).toBe(sha(bytes));
  });

  it('answers undefined (hash it yourself) when the file is shorter than claimed or it was closed', async () => {
    const file = path.join(dir, 'short.bin');
    writeFileSync(file, 'abc');
    const hasher = new TrailingFileHasher(file);
    expect(await hasher.digest(10)).toBeUndefined();
    const closed = new TrailingFileHasher(file);
    closed.close();
    expect(await closed.digest(3)).toBeUndefined();
  });
});

describe('FsBlobStore upload sessions', () => {
  it('hashes appends of several requests behind the writes and verifies the digest at completion', async () => {
    const store = await new FsBlobStore(path.join(dir, 'store-a')).init();
    const id = 'a'.repeat(32);
    const bytes = randomBytes(PIPELINED_WRITE_BATCH_BYTES * 2 + 999);
    await store.beginUpload(id);
    const half = 5 * 1024 * 1024 + 3;
    expect(await store.appendUpload(id, 0, Readable.from(chunks(bytes.subarray(0, half))))).toBe(half);
    expect(await store.appendUpload(id, half, Readable.from(chunks(bytes.subarray(half), 3)))).toBe(bytes.length);
    expect(await store.completeUpload(id, sha(bytes))).toEqual({ size: bytes.length, created: true });
    const stored = await store.get(sha(bytes));
    const parts: Buffer[] = [];
    for await (const c of stored) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    await store.close();
  });

  it('refuses a wrong digest at completion and keeps nothing', async () => {
    const root = path.join(dir, 'store-b');
    const store = await new FsBlobStore(root).init();
    const id = 'b'.repeat(32);
    const bytes = randomBytes(6 * 1024 * 1024);
    await store.beginUpload(id);
    await store.appendUpload(id, 0, Readable.from(chunks(bytes)));
    const wrong = sha(Buffer.from('something else'));
    await expect(store.completeUpload(id, wrong)).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      details: { actual: sha(bytes) },
    });
    expect(await store.has(wrong)).toBe(false);
    expect(await store.has(sha(bytes))).toBe(false);
    await store.close();
  });

  it('an append cut off mid-stream leaves the session at its previous length, and the upload still completes', async () => {
    const store = await new FsBlobStore(path.join(dir, 'store-c')).init();
    const id = 'c'.repeat(32);
    const first = randomBytes(1024);
    const rest = randomBytes(PIPELINED_WRITE_BATCH_BYTES * 2);
    await store.beginUpload(id);
    await store.appendUpload(id, 0, first);
    const broken = new Readable({
      read() {
        this.push(rest.subarray(0, PIPELINED_WRITE_BATCH_BYTES + 10));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store.appendUpload(id, first.length, broken)).rejects.toThrow('connection reset');
    expect(await store.uploadedBytes(id)).toBe(first.length);
    await store.appendUpload(id, first.length, Readable.from(chunks(rest)));
    const all = Buffer.concat([first, rest]);
    expect(await store.completeUpload(id, sha(all))).toEqual({ size: all.length, created: true });
    await store.close();
  });
});
