/**
 * Private namespaces stay private in the public log: every entry of a private namespace (creation, policy, publish,
 * yank) is a sealed salted commitment; only readers of the namespace get openings or lookups, everyone else gets
 * the answer a non-existent thing gets. The log stays fully auditable (inclusion, consistency, tiles).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decodeLogEntry,
  encodeLogEntry,
  hashLeaf,
  type OpenEntry,
  openSealedEntry,
  parseVerifierKey,
  rootFromLeafHashes,
  SEAL_SALT_BYTES,
  type SealOpening,
  verifyCheckpoint,
  verifyInclusion,
} from '@modelsec/core';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TILE_ENTRY_BYTES, tileIndexPath } from '../../../packages/registry/src/log/index.js';
import { ADMIN, signedModel, testRegistry } from '../../../packages/registry/src/test-support.js';
import { runCli } from '../../helpers/cli.js';

const NO_SCAN = { scan: { required: false } };

describe('sealed log entries of private namespaces', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  let url: string;
  let reader: string;
  let stranger: string;
  let rootDigest: string;
  let keyFingerprint: string;
  let leaves: Uint8Array[];
  /** Index of each leaf by its (opened) content, e.g. "publish secret/bert@1.0.0". */
  const where = new Map<string, number>();

  const get = (p: string, token?: string) => fetch(`${url}${p}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  beforeAll(async () => {
    registry = await testRegistry();
    url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'secret' } });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'open', public: true } });
    for (const ns of ['secret', 'open']) await admin.json('PUT', `/v1/namespaces/${ns}/policy`, { json: NO_SCAN });
    const model = await signedModel({ 'config.json': '{"a":1}', 'private-weights-name.bin': 'weights' });
    const pushed = await pushModel(admin, model.dir, parseModelRef('secret/bert@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    rootDigest = pushed.rootDigest;
    const publicModel = await signedModel({ 'config.json': '{"b":2}' });
    await pushModel(admin, publicModel.dir, parseModelRef('open/gpt@1.0.0'), {
      signaturePath: publicModel.signaturePath,
      publicKeyPem: publicModel.key.publicKeyPem,
    });
    await admin.json('POST', '/v1/namespaces/secret/models/bert/versions/1.0.0/yank', {
      json: { reason: 'leaked-yank-reason' },
    });
    reader = (await admin.json<{ token: string }>('POST', '/v1/namespaces/secret/tokens', { json: { scope: 'read' } })).token;
    stranger = (await admin.json<{ token: string }>('POST', '/v1/namespaces/open/tokens', { json: { scope: 'admin' } })).token;
    const version = await admin.json<{ signer: { keyFingerprint: string } }>(
      'GET',
      '/v1/namespaces/secret/models/bert/versions/1.0.0',
    );
    keyFingerprint = version.signer.keyFingerprint;
    const cp = await (await get('/v1/log/checkpoint')).text();
    const size = Number(cp.split('\n')[1]);
    leaves = [];
    for (let i = 0; i < size; i++) leaves.push(new Uint8Array(await (await get(`/v1/log/entries/${i}`)).arrayBuffer()));
    for (const [i, leaf] of leaves.entries()) {
      let entry = decodeLogEntry(leaf) as OpenEntry | ReturnType<typeof decodeLogEntry>;
      if (entry.type === 'sealed')
        entry = openSealedEntry(leaf, (await (await get(`/v1/log/openings/${i}`, ADMIN)).json()) as SealOpening);
      const e = entry as OpenEntry;
      const name = e.type === 'publish' || e.type === 'yank' ? `${e.namespace}/${e.model}@${e.version}` : e.namespace;
      where.set(`${e.type} ${name}`, i);
    }
  }, 60_000);
  afterAll(async () => registry.app.close());

  it('every entry of the private namespace is sealed; the public namespace stays in the clear', () => {
    expect([...where.keys()].sort()).toEqual([
      'namespace open',
      'namespace secret',
      'policy open',
      'policy secret',
      'publish open/gpt@1.0.0',
      'publish secret/bert@1.0.0',
      'yank secret/bert@1.0.0',
    ]);
    for (const [key, index] of where) {
      const type = decodeLogEntry(leaves[index] as Uint8Array).type;
      expect(type, key).toBe(key.includes('secret') ? 'sealed' : key.split(' ')[0]);
    }
  });

  it('nothing an anonymous reader can fetch (entries, tiles, entry bundles) names the private namespace or its content', async () => {
    const fetched: Buffer[] = leaves.map((l) => Buffer.from(l));
    fetched.push(Buffer.from(await (await get(`/v1/log/tile/entries/${tileIndexPath(0)}.p/${leaves.length}`)).arrayBuffer()));
    fetched.push(Buffer.from(await (await get('/v1/log/checkpoint')).arrayBuffer()));
    const all = Buffer.concat(fetched).toString('utf8');
    for (const secret of ['secret', 'bert', rootDigest, keyFingerprint, 'private-weights-name', 'leaked-yank-reason'])
      expect(all.includes(secret), secret).toBe(false);
    // The public namespace's entries are readable as they are.
    expect(all).toContain('"model":"gpt"');
  });

  it('the log stays auditable: sealed leaves are in the tree, with inclusion proofs, and tiles rebuild the root', async () => {
    const key = parseVerifierKey(await (await get('/v1/log/key')).text());
    const cp = verifyCheckpoint(await (await get('/v1/log/checkpoint')).text(), key);
    expect(cp.size).toBe(leaves.length);
    for (const [i, leaf] of leaves.entries()) {
      const { hashes } = (await (await get(`/v1/log/proofs/inclusion?index=${i}&size=${cp.size}`)).json()) as {
        hashes: string[];
      };
      const proof = hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64')));
      expect(verifyInclusion(i, cp.size, hashLeaf(leaf), proof, cp.rootHash)).toBe(true);
    }
    const tile = Buffer.from(await (await get(`/v1/log/tile/0/${tileIndexPath(0)}.p/${cp.size}`)).arrayBuffer());
    const hashes = Array.from({ length: cp.size }, (_, i) => new Uint8Array(tile.subarray(i * 32, i * 32 + 32)));
    expect(Buffer.from(rootFromLeafHashes(hashes))).toEqual(Buffer.from(cp.rootHash));
  });

  it('an opening goes to readers of the namespace only; everyone else gets the answer of an unsealed index', async () => {
    const sealedIndex = where.get('publish secret/bert@1.0.0') as number;
    const clearIndex = where.get('publish open/gpt@1.0.0') as number;
    const beyond = leaves.length + 5;
    const answer = async (index: number, token?: string) => {
      const r = await get(`/v1/log/openings/${index}`, token);
      return { status: r.status, body: (await r.json()) as { error?: { code: string; message: string } } };
    };
    const refusals = [await answer(sealedIndex), await answer(sealedIndex, stranger)];
    const controls = [await answer(clearIndex), await answer(clearIndex, reader), await answer(beyond, reader)];
    for (const r of [...refusals, ...controls]) {
      expect(r.status).toBe(404);
      expect(r.body.error?.code).toBe('NOT_FOUND');
    }
    expect(refusals.map((r) => r.body.error?.message)).toEqual([
      `no opening for log entry ${sealedIndex}`,
      `no opening for log entry ${sealedIndex}`,
    ]);
    expect(controls[0]?.body.error?.message).toBe(`no opening for log entry ${clearIndex}`);

    const ok = await get(`/v1/log/openings/${sealedIndex}`, reader);
    expect(ok.status).toBe(200);
    const opening = (await ok.json()) as { index: number; salt: string; entry: string; namespace: string };
    expect(opening).toMatchObject({ index: sealedIndex, namespace: 'secret' });
    expect(opening.salt).toMatch(new RegExp(`^[0-9a-f]{${SEAL_SALT_BYTES * 2}}$`));
    const entry = openSealedEntry(leaves[sealedIndex] as Uint8Array, opening);
    expect(entry).toMatchObject({ type: 'publish', namespace: 'secret', model: 'bert', version: '1.0.0', rootDigest });
    // The opening is the canonical entry, and a changed salt or entry no longer matches the commitment.
    expect(Buffer.from(encodeLogEntry(entry)).toString('utf8')).toBe(opening.entry);
    const flipped = `${opening.salt.slice(0, -1)}${opening.salt.endsWith('0') ? '1' : '0'}`;
    expect(() => openSealedEntry(leaves[sealedIndex] as Uint8Array, { ...opening, salt: flipped })).toThrow(
      expect.objectContaining({ code: 'LOG_INCONSISTENT' }),
    );
    // Every sealed leaf has its own salt.
    const salts = new Set<string>();
    for (const [key, index] of where)
      if (key.includes('secret'))
        salts.add(((await (await get(`/v1/log/openings/${index}`, reader)).json()) as { salt: string }).salt);
    expect(salts.size).toBe(4);
  });

  it("a namespace's openings are listed, in pages, to its readers only (a mirror of its entries)", async () => {
    const list = async (q: string, token?: string) => {
      const r = await get(`/v1/log/openings?${q}`, token);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const mine = await list('namespace=secret', reader);
    expect(mine.status).toBe(200);
    const openings = mine.body.openings as { index: number; namespace: string }[];
    expect(openings.map((o) => o.index)).toEqual(
      ['namespace secret', 'policy secret', 'publish secret/bert@1.0.0', 'yank secret/bert@1.0.0'].map((k) => where.get(k)),
    );
    expect(mine.body.next).toBeNull();
    const later = await list(`namespace=secret&from=${(openings[2] as { index: number }).index}`, reader);
    expect((later.body.openings as { index: number }[]).map((o) => o.index)).toEqual(openings.slice(2).map((o) => o.index));
    for (const refused of [
      await list('namespace=secret'),
      await list('namespace=secret', stranger),
      await list('namespace=nope', reader),
    ]) {
      expect(refused.status).toBe(404);
      expect((refused.body.error as { code: string }).code).toBe('NOT_FOUND');
    }
    expect((await list('from=0', reader)).status).toBe(400);
  });

  it('/v1/log/lookup does not say whether a private version exists to a caller who cannot read it', async () => {
    const lookup = async (ref: string, token?: string) => {
      const [ns, rest] = ref.split('/') as [string, string];
      const [model, version] = rest.split('@') as [string, string];
      const r = await get(`/v1/log/lookup?${new URLSearchParams({ namespace: ns, model, version })}`, token);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const hidden = [await lookup('secret/bert@1.0.0'), await lookup('secret/bert@1.0.0', stranger)];
    const missing = await lookup('secret/bert@9.9.9', reader);
    for (const r of [...hidden, missing]) expect(r.status).toBe(404);
    expect(hidden.map((r) => (r.body.error as { message: string }).message)).toEqual([
      'no publish entry for secret/bert@1.0.0 in the log',
      'no publish entry for secret/bert@1.0.0 in the log',
    ]);
    expect((missing.body.error as { message: string }).message).toBe('no publish entry for secret/bert@9.9.9 in the log');
    expect(await lookup('secret/bert@1.0.0', reader)).toEqual({
      status: 200,
      body: { index: where.get('publish secret/bert@1.0.0'), sealed: true },
    });
    expect((await lookup('open/gpt@1.0.0')).body).toEqual({ index: where.get('publish open/gpt@1.0.0'), sealed: false });
  });

  it('modelsec log entry prints a sealed entry as sealed, and opened for a token that can read it; log verify checks openings', async () => {
    const env = { MODELSEC_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'modelsec-cfg-')) };
    const index = String(where.get('publish secret/bert@1.0.0'));
    const anonymous = await runCli(['log', 'entry', index, '--registry', url, '--json'], { env });
    expect(anonymous.code).toBe(0);
    expect(anonymous.json()).toMatchObject({ sealed: true, opened: false, entry: { type: 'sealed' } });
    expect(anonymous.stdout).not.toContain('bert');
    const text = await runCli(['log', 'entry', index, '--registry', url], { env });
    expect(text.stdout).toContain('sealed: an entry of a private namespace');
    const opened = await runCli(['log', 'entry', index, '--registry', url, '--token', reader, '--json'], { env });
    expect(opened.json()).toMatchObject({
      sealed: true,
      opened: true,
      entry: { type: 'publish', namespace: 'secret', model: 'bert', rootDigest },
    });
    const verify = await runCli(['log', 'verify', '--registry', url, '--token', reader, '--json'], { env });
    expect(verify.code).toBe(0);
    expect(verify.json()).toMatchObject({ problems: [], sealed: { opened: 4, closed: 0 } });
    const blind = await runCli(['log', 'verify', '--registry', url, '--json'], { env });
    expect(blind.json()).toMatchObject({ problems: [], sealed: { opened: 0, closed: 4 } });
  }, 60_000);
});

describe('an entry too long for a C2SP entry bundle', () => {
  it('is sealed with an opening readable to the namespace readers (everyone, when public), so tiles still serve', async () => {
    const registry = await testRegistry();
    try {
      const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
      const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
      await admin.json('POST', '/v1/namespaces', { json: { name: 'big', public: true } });
      await admin.json('PUT', '/v1/namespaces/big/policy', { json: NO_SCAN });
      const files: Record<string, string> = {};
      for (let i = 0; i < 400; i++) files[`shards/${'long-directory-name-'.repeat(4)}/part-${i}.bin`] = `shard ${i}`;
      const model = await signedModel(files);
      const pushed = await pushModel(admin, model.dir, parseModelRef('big/many@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      });
      const index = pushed.logIndex as number;
      const leaf = new Uint8Array(await (await fetch(`${url}/v1/log/entries/${index}`)).arrayBuffer());
      expect(decodeLogEntry(leaf).type).toBe('sealed');
      const opening = (await (await fetch(`${url}/v1/log/openings/${index}`)).json()) as SealOpening;
      const entry = openSealedEntry(leaf, opening);
      expect(encodeLogEntry(entry).length).toBeGreaterThan(MAX_TILE_ENTRY_BYTES);
      expect(entry).toMatchObject({ type: 'publish', namespace: 'big', rootDigest: pushed.rootDigest });
      expect((entry as { files: unknown[] }).files).toHaveLength(400);
      const bundle = await fetch(`${url}/v1/log/tile/entries/${tileIndexPath(0)}.p/${index + 1}`);
      expect(bundle.status).toBe(200);
      const lookup = (await (await fetch(`${url}/v1/log/lookup?namespace=big&model=many&version=1.0.0`)).json()) as {
        index: number;
      };
      expect(lookup.index).toBe(index);
    } finally {
      await registry.app.close();
    }
  }, 120_000);
});
