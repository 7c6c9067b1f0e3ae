import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from './fs-blob-store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-blobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

describe('FsBlobStore', () => {
  it('stores by digest, dedupes, serves ranges', async () => {
    const store = await new FsBlobStore(path.join(dir, 'a')).init();
    const bytes = Buffer.from('hello blob');
    expect(await store.put(sha(bytes), bytes)).toEqual({ size: 10, created: true });
    expect(await store.put(sha(bytes), Readable.from([bytes]))).toEqual({ size: 10, created: false });
    expect(await store.has(sha(bytes))).toBe(true);
    expect(await text(await store.get(sha(bytes), { start: 6, end: 10 }))).toBe('blob');
  });

  it('refuses bytes that do not match their digest and keeps nothing', async () => {
    const root = path.join(dir, 'b');
    const store = await new FsBlobStore(root).init();
    await expect(store.put(sha('other'), Buffer.from('bytes'))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await store.has(sha('other'))).toBe(false);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    await expect(store.put('../../etc/passwd', Buffer.from('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('resumes chunked uploads at the staged offset and verifies on completion', async () => {
    const store = await new FsBlobStore(path.join(dir, 'c')).init();
    const id = 'f'.repeat(32);
    await store.beginUpload(id);
    expect(await store.appendUpload(id, 0, Buffer.from('abc'))).toBe(3);
    await expect(store.appendUpload(id, 0, Buffer.from('abc'))).rejects.toMatchObject({ code: 'CONFLICT' });
    // A new store over the same directory (a restart) sees the same staged bytes.
    const again = await new FsBlobStore(path.join(dir, 'c')).init();
    expect(await again.uploadedBytes(id)).toBe(3);
    expect(await again.appendUpload(id, 3, Buffer.from('def'))).toBe(6);
    expect(await again.completeUpload(id, sha('abcdef'))).toEqual({ size: 6, created: true });
    await expect(again.uploadedBytes(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(again.uploadedBytes('../x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
