import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { PROCESS_ID } from '../storage/process-identity.js';
import { FsBlobStore, STALE_TEMP_MS } from './fs-blob-store.js';

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
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([PROCESS_ID]);
    expect(readdirSync(path.join(root, 'tmp', PROCESS_ID))).toEqual([]);
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

  it('a writer still holding the session file after completion cannot change the blob (the blob is a private copy)', async () => {
    const root = path.join(dir, 'd');
    const store = await new FsBlobStore(root).init();
    const id = 'd'.repeat(32);
    const good = Buffer.from('the signed weights');
    await store.beginUpload(id);
    await store.appendUpload(id, 0, good);
    // An append that lost the race: it opened the session file before the completion and writes after it.
    const stale = await open(path.join(root, 'uploads', id), 'r+');
    expect(await store.completeUpload(id, sha(good))).toEqual({ size: good.length, created: true });
    await stale.write(Buffer.from(' + appended pickle'), 0, 18, good.length);
    await stale.write(Buffer.from('X'), 0, 1, 0);
    await stale.close();
    const blob = store.localPath(sha(good)) as string;
    expect(readFileSync(blob).equals(good)).toBe(true);
    await store.verify(sha(good));
    expect(await text(await store.get(sha(good)))).toBe('the signed weights');
  });

  it('a blob changed on disk is re-verified, quarantined (REGISTRY_BLOB_CORRUPT) and replaced by the next good upload', async () => {
    const root = path.join(dir, 'e');
    const store = await new FsBlobStore(root).init();
    const good = Buffer.from('good bytes');
    await store.put(sha(good), good);
    const blob = store.localPath(sha(good)) as string;
    // A blob of an earlier version of the store, changed behind its back (same size, old mtime restored).
    chmodSync(blob, 0o644);
    writeFileSync(blob, 'evil bytes');
    utimesSync(blob, new Date(0), new Date(0));
    await expect(store.verify(sha(good))).rejects.toMatchObject({
      code: 'REGISTRY_BLOB_CORRUPT',
      details: { digest: sha(good) },
    });
    expect(await store.has(sha(good))).toBe(false);
    expect(readdirSync(path.join(root, 'quarantine', sha(good)))).toHaveLength(1);
    // Still refused as corrupt (not "absent") until good bytes are uploaded again.
    await expect(store.get(sha(good))).rejects.toMatchObject({ code: 'REGISTRY_BLOB_CORRUPT' });
    expect(await store.put(sha(good), good)).toEqual({ size: good.length, created: true });
    expect(await text(await store.get(sha(good)))).toBe('good bytes');

    // Dedupe never keeps bad bytes: a changed blob is replaced when the same digest is uploaded again.
    chmodSync(blob, 0o644);
    writeFileSync(blob, 'worse byte');
    expect(await store.put(sha(good), good)).toEqual({ size: good.length, created: true });
    expect(readFileSync(blob, 'utf8')).toBe('good bytes');
    // An unsealed blob (written before seals existed) that is intact is re-hashed once and accepted.
    rmSync(path.join(root, 'seals'), { recursive: true });
    await store.verify(sha(good));
    await expect(store.get(sha('absent'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('removes temp files of processes that are gone, and of unknown holders only once stale', async () => {
    const root = path.join(dir, 'f');
    const store = await new FsBlobStore(root).init();
    const [host] = PROCESS_ID.split(':');
    // A pid that cannot be alive (above the kernel's pid_max), on this host: gone.
    const dead = path.join(root, 'tmp', `${host}:99999999:abcdef`);
    const otherHost = path.join(root, 'tmp', 'elsewhere:123:abcdef');
    for (const d of [dead, otherHost]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'partial'), 'x');
    }
    expect(await store.sweepTemp()).toBe(1);
    expect(readdirSync(path.join(root, 'tmp')).sort()).toEqual(['elsewhere:123:abcdef', PROCESS_ID].sort());
    expect(await store.sweepTemp(Date.now() + STALE_TEMP_MS + 1000)).toBe(1);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([PROCESS_ID]);

    // A collector that died after taking a blob out: the blob is put back, never lost with the temp directory.
    const kept = Buffer.from('a blob being collected when its process died');
    await store.put(sha(kept), kept);
    const trashed = (await store.trash(sha(kept))) as string;
    expect(await store.has(sha(kept))).toBe(false);
    mkdirSync(dead, { recursive: true });
    writeFileSync(path.join(dead, path.basename(trashed)), readFileSync(trashed));
    rmSync(trashed);
    expect(await store.sweepTemp()).toBe(1);
    expect(await text(await store.get(sha(kept)))).toBe(kept.toString());
  });
});
