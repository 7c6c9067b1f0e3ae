/**
 * `pushModel` (what `modelsec push` runs) over real HTTP: files are read once (digests come from the signature,
 * the registry verifies the bytes), resumable sessions in several appends, and every way the local model can
 * disagree with its signature stops the push with the file named and nothing published.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey, signModel } from '@modelsec/core';
import { checkModel, parseExpectation, parseModelRef, pullModel, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, signedModel, tempDir, testRegistry } from '../../../packages/registry/src/test-support.js';

/** Client trust for these tests: the signer key, and a fresh config dir (the log key is stored on first use). */
function trusting(publicKeyPem: string) {
  return { configDir: tempDir('modelsec-cfg-'), cliSigners: [{ publicKey: publicKeyPem }] };
}

describe('pushModel', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  let url: string;
  let admin: RegistryClient;

  beforeAll(async () => {
    registry = await testRegistry();
    url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { required: false } } });
  });
  afterAll(async () => registry.app.close());

  const versionStatus = async (ref: string) => {
    const [name, version] = ref.split('@') as [string, string];
    return (
      await fetch(`${url}/v1/namespaces/acme/models/${name}/versions/${version}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })
    ).status;
  };

  it('sends large files through a session in several appends and the pulled bytes are the signed ones', async () => {
    const weights = randomBytes(200 * 1024 + 5);
    const model = await signedModel({ 'config.json': '{"layers":2}', 'weights.bin': weights.toString('latin1') });
    // Small limits so a 200 KB file takes the resumable path in 4 appends.
    const client = new RegistryClient({ baseUrl: url, token: ADMIN, singlePutMaxBytes: 1024, uploadChunkBytes: 64 * 1024 });
    const events: { phase: string; done: number; total: number }[] = [];
    const pushed = await pushModel(client, model.dir, parseModelRef('acme/sessions@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
      onProgress: (e) => events.push(e),
    });
    expect(pushed).toMatchObject({ uploaded: 2, deduplicated: 0, rootDigest: model.digest.rootDigest });
    const uploads = events.filter((e) => e.phase === 'upload');
    expect(uploads.at(-1)).toMatchObject({ done: uploads[0]?.total });
    expect(uploads.length).toBeGreaterThanOrEqual(5);
    const out = path.join(tempDir(), 'pulled');
    await pullModel(admin, parseModelRef('acme/sessions@1.0.0'), out, trusting(model.key.publicKeyPem));
    expect(readFileSync(path.join(out, 'weights.bin')).equals(readFileSync(path.join(model.dir, 'weights.bin')))).toBe(true);
  });

  it('uploads a model of many files (two with the same bytes share one blob) with progress reaching the total', async () => {
    const files: Record<string, string> = { 'a/dup-1.bin': 'same bytes', 'b/dup-2.bin': 'same bytes' };
    for (let i = 0; i < 30; i++) files[`shards/part-${String(i).padStart(2, '0')}.bin`] = `part ${i} `.repeat(i + 1);
    const model = await signedModel(files);
    const events: { phase: string; done: number; total: number }[] = [];
    const pushed = await pushModel(admin, model.dir, parseModelRef('acme/many@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
      onProgress: (e) => events.push(e),
    });
    expect(pushed).toMatchObject({ uploaded: 32, deduplicated: 0 });
    const version = await admin.json<{ files: { path: string; digest: string }[] }>(
      'GET',
      '/v1/namespaces/acme/models/many/versions/1.0.0',
    );
    expect(version.files).toHaveLength(32);
    expect(new Set(version.files.map((f) => f.digest)).size).toBe(31);
    const last = events.filter((e) => e.phase === 'upload').at(-1);
    expect(last?.done).toBe(last?.total);
  });

  it('a file changed after signing is refused by the registry, named by path, and nothing is published', async () => {
    const model = await signedModel({ 'config.json': '{}', 'weights.bin': 'signed weights' });
    writeFileSync(path.join(model.dir, 'weights.bin'), 'swapped weights');
    const client = new RegistryClient({ baseUrl: url, token: ADMIN, singlePutMaxBytes: 4 });
    for (const c of [admin, client]) {
      await expect(
        pushModel(c, model.dir, parseModelRef('acme/swapped@1.0.0'), {
          signaturePath: model.signaturePath,
          publicKeyPem: model.key.publicKeyPem,
        }),
      ).rejects.toMatchObject({
        code: 'SIGNING_DIGEST_MISMATCH',
        message: expect.stringContaining('weights.bin'),
      });
    }
    expect(await versionStatus('swapped@1.0.0')).toBe(404);
  });

  it('when the registry already stores the signed bytes, the local file is still checked (no upload, no publish)', async () => {
    const model = await signedModel({ 'config.json': '{}', 'weights.bin': 'first weights' });
    await pushModel(admin, model.dir, parseModelRef('acme/dedupe@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    const again = await pushModel(admin, model.dir, parseModelRef('acme/dedupe@1.0.1'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
    expect(again).toMatchObject({ uploaded: 0, deduplicated: 2 });
    writeFileSync(path.join(model.dir, 'weights.bin'), 'other weights');
    await expect(
      pushModel(admin, model.dir, parseModelRef('acme/dedupe@1.0.2'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      }),
    ).rejects.toMatchObject({
      code: 'SIGNING_DIGEST_MISMATCH',
      details: { mismatches: [{ kind: 'digest', name: 'weights.bin' }] },
    });
    expect(await versionStatus('dedupe@1.0.2')).toBe(404);
  });

  it('an unsigned extra file or a missing signed file stops the push before anything is uploaded', async () => {
    const extra = await signedModel({ 'config.json': '{"extra":1}', 'weights.bin': 'extra-case weights' });
    writeFileSync(path.join(extra.dir, 'notes.txt'), 'added after signing');
    const options = { signaturePath: extra.signaturePath, publicKeyPem: extra.key.publicKeyPem };
    await expect(pushModel(admin, extra.dir, parseModelRef('acme/extra@1.0.0'), options)).rejects.toMatchObject({
      code: 'SIGNING_FILE_EXTRA',
      message: expect.stringContaining('notes.txt'),
    });
    expect(await admin.hasBlob('acme', extra.digest.resources.find((r) => r.name === 'weights.bin')?.digest as string)).toBe(
      false,
    );

    const missing = await signedModel({ 'config.json': '{"missing":1}', 'weights.bin': 'missing-case weights' });
    rmSync(path.join(missing.dir, 'weights.bin'));
    await expect(
      pushModel(admin, missing.dir, parseModelRef('acme/missing@1.0.0'), {
        signaturePath: missing.signaturePath,
        publicKeyPem: missing.key.publicKeyPem,
      }),
    ).rejects.toMatchObject({ code: 'SIGNING_FILE_MISSING', message: expect.stringContaining('weights.bin') });
    const config = missing.digest.resources.find((r) => r.name === 'config.json')?.digest as string;
    expect(await admin.hasBlob('acme', config)).toBe(false);
  });

  it('a shards signature: pushed (the registry checks every shard), checked, pulled; a changed file is refused', async () => {
    const dir = tempDir('modelsec-model-');
    writeFileSync(path.join(dir, 'weights.bin'), 'sharded weights, 35 bytes in total.');
    writeFileSync(path.join(dir, 'config.json'), '{"s":1}');
    writeFileSync(path.join(dir, 'empty.txt'), '');
    const key = generateSigningKey();
    const { bundle, digest } = await signModel(
      dir,
      { kind: 'key', privateKeyPem: key.privateKeyPem },
      { method: 'shards', shardSize: 8 },
    );
    writeFileSync(path.join(dir, 'model.sig'), JSON.stringify(bundle));
    const events: string[] = [];
    const pushed = await pushModel(admin, dir, parseModelRef('acme/sharded@1.0.0'), {
      signaturePath: path.join(dir, 'model.sig'),
      publicKeyPem: key.publicKeyPem,
      onProgress: (e) => events.push(e.phase),
    });
    expect(pushed).toMatchObject({ rootDigest: digest.rootDigest, uploaded: 3 });
    expect(events).toContain('hash');
    expect(
      await checkModel(admin, dir, { ...trusting(key.publicKeyPem), expectations: [parseExpectation('acme/sharded')] }),
    ).toMatchObject({ ok: true, failed: [] });
    const out = path.join(tempDir(), 'pulled');
    await pullModel(admin, parseModelRef('acme/sharded@1.0.0'), out, trusting(key.publicKeyPem));
    expect(readFileSync(path.join(out, 'weights.bin'), 'utf8')).toBe('sharded weights, 35 bytes in total.');

    // Changed after signing: the registry hashes the shards of what it received and refuses.
    writeFileSync(path.join(dir, 'weights.bin'), 'sharded weights, 35 bytes in TOTAL.');
    const refused = await pushModel(admin, dir, parseModelRef('acme/sharded@1.0.1'), {
      signaturePath: path.join(dir, 'model.sig'),
      publicKeyPem: key.publicKeyPem,
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'POLICY_DENIED' });
    expect(
      (refused as { details: { failed: { code: string; details: { mismatches: { name: string }[] } }[] } }).details.failed[0],
    ).toMatchObject({ code: 'MODEL_MISMATCH', details: { mismatches: [{ name: 'weights.bin' }] } });
    expect(await versionStatus('sharded@1.0.1')).toBe(404);
  });

  it('a missing signature names its path', async () => {
    const dir = tempDir('modelsec-model-');
    writeFileSync(path.join(dir, 'weights.bin'), 'unsigned weights');
    await expect(
      pushModel(admin, dir, parseModelRef('acme/unsigned@1.0.0'), { signaturePath: path.join(dir, 'nope.sig') }),
    ).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', details: { path: path.join(dir, 'nope.sig') } });
  });
});

describe('pullModel', () => {
  it('refuses blobs the registry serves corrupted (nothing left behind) and never writes into an existing directory', async () => {
    const registry = await testRegistry();
    try {
      const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
      const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
      await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
      await admin.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { required: false } } });
      const model = await signedModel({ 'config.json': '{}', 'weights.bin': 'weights that will rot on disk' });
      await pushModel(admin, model.dir, parseModelRef('acme/rot@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      });
      const parent = tempDir();
      const existing = path.join(parent, 'existing');
      writeFileSync(existing, 'not a directory to overwrite');
      await expect(
        pullModel(admin, parseModelRef('acme/rot@1.0.0'), existing, trusting(model.key.publicKeyPem)),
      ).rejects.toMatchObject({
        code: 'FILE_WRITE_FAILED',
      });
      expect(readFileSync(existing, 'utf8')).toBe('not a directory to overwrite');

      // Bit rot (or a tampered disk) on the registry side: the stored blob no longer has its digest. The registry
      // re-verifies a changed blob before serving it: it quarantines it and refuses (the client, which hashes every
      // byte itself, is tested against a registry that serves bad bytes in registry-client-pull.test.ts).
      const weights = model.digest.resources.find((r) => r.name === 'weights.bin')?.digest as string;
      writeFileSync(
        path.join(registry.dataDir, 'blobs', 'sha256', weights.slice(0, 2), weights),
        'weights that have rot on disk',
      );
      const out = path.join(parent, 'pulled');
      await expect(
        pullModel(admin, parseModelRef('acme/rot@1.0.0'), out, trusting(model.key.publicKeyPem)),
      ).rejects.toMatchObject({
        code: 'REGISTRY_BLOB_CORRUPT',
        details: { digest: weights },
      });
      expect(readdirSync(parent)).toEqual(['existing']);
      expect(readdirSync(path.join(registry.dataDir, 'quarantine', weights))).toHaveLength(1);
    } finally {
      await registry.app.close();
    }
  });
});
