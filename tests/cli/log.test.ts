import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, signedModel, testRegistry } from '../../packages/registry/src/test-support.js';
import { runCli } from '../helpers/cli.js';

describe('modelsec log (CLI over a real registry)', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  let url: string;
  let env: NodeJS.ProcessEnv;
  let modelDir: string;
  let signerPublicKey: string;

  beforeAll(async () => {
    registry = await testRegistry();
    url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    env = { MODELSEC_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'modelsec-cfg-')), MODELSEC_TOKEN: ADMIN };
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { required: false } } });
    const model = await signedModel();
    modelDir = model.dir;
    signerPublicKey = model.key.publicKeyPem;
    await pushModel(admin, model.dir, parseModelRef('acme/bert@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: model.key.publicKeyPem,
    });
  });
  afterAll(async () => registry.app.close());

  it('key, checkpoint (TOFU then consistency), entry and verify', async () => {
    const key = await runCli(['log', 'key', '--registry', url], { env });
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^modelsec-registry\+[0-9a-f]{8}\+/);

    const first = await runCli(['log', 'checkpoint', '--registry', url, '--json'], { env });
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ ok: true, size: 3, keyTrust: 'first-use' });
    const second = await runCli(['log', 'checkpoint', '--registry', url, '--json'], { env });
    expect(second.json()).toMatchObject({ keyTrust: 'known', consistentWith: 3 });

    const entry = await runCli(['log', 'entry', '2', '--registry', url, '--json'], { env });
    expect(entry.json()).toMatchObject({
      index: 2,
      entry: { type: 'publish', namespace: 'acme', model: 'bert', version: '1.0.0' },
    });

    const verify = await runCli(['log', 'verify', '--registry', url], { env });
    // Only the warning that the registry URL is plain http:// (loopback here).
    expect(verify.stderr).toMatch(/^warning: http:\/\/127\.0\.0\.1:\d+ is plain http:\/\/[^\n]*\n$/);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('replayed 3 entries');
    expect(verify.stdout).toContain('every entry matches the registry');
  }, 120_000);

  it('log verify reports a version whose served files differ from the logged ones (exit 1)', async () => {
    const db = new Database(path.join(registry.dataDir, 'registry.sqlite'));
    db.prepare("UPDATE version_files SET size = size + 1 WHERE namespace = 'acme' AND path = 'weights.bin'").run();
    db.close();
    try {
      const verify = await runCli(['log', 'verify', '--registry', url], { env });
      expect(verify.code).toBe(1);
      expect(verify.stdout).toContain('acme/bert@1.0.0: the files the registry serves differ from the logged ones');
    } finally {
      const restore = new Database(path.join(registry.dataDir, 'registry.sqlite'));
      restore.prepare("UPDATE version_files SET size = size - 1 WHERE namespace = 'acme' AND path = 'weights.bin'").run();
      restore.close();
    }
  }, 120_000);

  it('a pinned --log-key that differs is refused loudly (exit 1, LOG_KEY_MISMATCH)', async () => {
    const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'modelsec-key-')), 'log.pub');
    writeFileSync(keyFile, 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n');
    const run = await runCli(['log', 'checkpoint', '--registry', url, '--log-key', keyFile, '--json'], { env });
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 'LOG_KEY_MISMATCH' } });
  });

  it('check verifies the log entry, and fails (exit 1) when the pinned log key differs', async () => {
    const cfg = mkdtempSync(path.join(os.tmpdir(), 'modelsec-cfg-'));
    const signer = path.join(cfg, 'signer.pub');
    writeFileSync(signer, signerPublicKey);
    const args = ['check', modelDir, '--registry', url, '--name', 'acme/bert', '--public-key', signer, '--json'];
    const ok = await runCli(args, { env: { ...env, MODELSEC_CONFIG_DIR: cfg } });
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ verified: true, version: { logIndex: 2 }, log: { size: 3, keyTrust: 'first-use' } });
    const keyFile = path.join(cfg, 'other.pub');
    writeFileSync(keyFile, 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n');
    const bad = await runCli([...args, '--log-key', keyFile], { env: { ...env, MODELSEC_CONFIG_DIR: cfg } });
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({
      ok: false,
      error: { code: 'LOG_KEY_MISMATCH', message: expect.stringContaining('LOG KEY') },
    });
  }, 120_000);
});
