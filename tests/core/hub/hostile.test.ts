/**
 * A hostile Hub (or a man in the middle of HF_ENDPOINT): the listing and the bytes are untrusted. A listed oid that
 * is not a git object id (it names the cache blob: `../../..` would write outside the cache) is refused; a file
 * stored in git whose bytes are not its listed git blob id, a body longer than the listed size (a Hub streaming
 * without end fills the disk) or shorter, are HUB_HASH_MISMATCH, and nothing of them is kept.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadSnapshot } from '@modelsec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { type FakeHub, startFakeHub } from '../../helpers/fake-hub.js';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const enc = (s: string) => new TextEncoder().encode(s);
const FILES = () =>
  new Map<string, Uint8Array>([
    ['config.json', enc('{"model_type":"bert"}')],
    ['tokenizer_config.json', enc('{"chat_template":"{{ messages }}"}')],
  ]);

let hub: FakeHub;
const scratch: string[] = [];
const cache = () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelsec-hostile-hub-'));
  scratch.push(dir);
  return join(dir, 'cache');
};

beforeAll(async () => {
  hub = await startFakeHub([
    { id: 'org/honest', sha: SHA, files: FILES() },
    { id: 'org/oid-path', sha: SHA, files: FILES(), lieAboutOid: new Map([['config.json', '../../../../escaped']]) },
    // Same length, other bytes: only the git blob id tells.
    { id: 'org/swapped', sha: SHA, files: FILES(), serveInstead: new Map([['config.json', enc('{"model_type":"evil"}')]]) },
    { id: 'org/endless', sha: SHA, files: FILES(), serveInstead: new Map([['config.json', new Uint8Array(4 * 1024 * 1024)]]) },
    { id: 'org/short', sha: SHA, files: FILES(), serveInstead: new Map([['config.json', enc('{}')]]) },
  ]);
});
afterAll(async () => {
  await hub.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('a hostile Hub', () => {
  it('honest control: every file downloaded and verified', async () => {
    const snapshot = await downloadSnapshot('hf://org/honest', { endpoint: hub.url, cacheDir: cache() });
    expect(snapshot.files.map((f) => f.path)).toEqual(['config.json', 'tokenizer_config.json']);
  });

  it('an oid that is a path is refused before anything is written, inside or outside the cache', async () => {
    const cacheDir = cache();
    await expect(downloadSnapshot('hf://org/oid-path', { endpoint: hub.url, cacheDir })).rejects.toMatchObject({
      code: 'HUB_ERROR',
      message: expect.stringContaining('not a git object id'),
    });
    expect(readdirSync(join(cacheDir, '..'))).toEqual([]);
  });

  it('bytes that are not the listed git blob id, or longer or shorter than listed: HUB_HASH_MISMATCH, nothing kept', async () => {
    for (const [repo, message] of [
      ['swapped', /git blob id/],
      ['endless', /more than the 21 bytes it listed/],
      ['short', /sent 2 bytes, it listed 21/],
    ] as const) {
      const cacheDir = cache();
      await expect(downloadSnapshot(`hf://org/${repo}`, { endpoint: hub.url, cacheDir })).rejects.toMatchObject({
        code: 'HUB_HASH_MISMATCH',
        message: expect.stringMatching(message),
      });
      const blobs = join(cacheDir, `models--org--${repo}`, 'blobs');
      expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([]);
    }
  });

  it('modelsec scan hf:// refuses the swapped file with the stable code (never scans other bytes as the model)', async () => {
    const res = await runCli(['scan', 'hf://org/swapped', '--json'], {
      env: { HF_ENDPOINT: hub.url, HF_HOME: join(cache(), 'home') },
    });
    expect(res.code).not.toBe(0);
    expect(res.json()).toMatchObject({ ok: false, error: { code: 'HUB_HASH_MISMATCH' } });
  });
});
