import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadSnapshot, fixedClock, gatherHubModel, generateModelBom, hubClient, validateCycloneDx } from '@modelsec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { type FakeHub, filesFromDirectory, startFakeHub } from '../../helpers/fake-hub.js';

const HF_DIR = join(REPO_ROOT, 'fixtures', 'models', 'hf-tiny-llama');
const SHA = '0123456789abcdef0123456789abcdef01234567';
const clock = fixedClock('2024-06-01T00:00:00Z');
// biome-ignore lint/suspicious/noExplicitAny: assertions walk BOM JSON of many shapes
type Json = Record<string, any>;

let hub: FakeHub;
const scratch: string[] = [];
beforeAll(async () => {
  const files = filesFromDirectory(HF_DIR);
  const tampered = new Map(files);
  hub = await startFakeHub([
    {
      id: 'tiny-org/hf-tiny-llama',
      sha: SHA,
      files,
      cardData: { license: 'apache-2.0', pipeline_tag: 'text-generation' },
      config: { model_type: 'llama' },
    },
    {
      id: 'tiny-org/tiny-gguf',
      sha: SHA,
      files: new Map([
        ['tiny.gguf', new Uint8Array(readFileSync(join(REPO_ROOT, 'fixtures', 'models', 'tiny.gguf')))],
        ['tiny.onnx', new Uint8Array(readFileSync(join(REPO_ROOT, 'fixtures', 'models', 'tiny.onnx')))],
      ]),
    },
    {
      id: 'tiny-org/tampered',
      sha: SHA,
      files: tampered,
      lieAboutLfs: new Map([['model-00001-of-00002.safetensors', 'f'.repeat(64)]]),
    },
  ]);
});
afterAll(async () => {
  await hub.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** The model facts that must not depend on where the bytes came from. */
function modelFacts(text: string): Json {
  const bom = JSON.parse(text);
  const model = bom.metadata.component;
  return {
    licenses: model.licenses,
    description: model.description,
    authors: model.authors,
    tags: model.tags,
    pedigree: model.pedigree,
    modelCard: model.modelCard,
    properties: model.properties,
    components: (bom.components as Json[]).map((c) => ({
      type: c.type,
      name: c.name,
      hashes: c.hashes,
      purl: c.purl,
      data: c.data,
      properties: c.properties,
    })),
    dependencies: bom.dependencies,
  };
}

describe('hf:// against the fake Hub', () => {
  it('gives the same model facts as the local directory of the same files', async () => {
    const local = await generateModelBom(HF_DIR, { clock, deps: 'auto' });
    const remote = await generateModelBom('hf://tiny-org/hf-tiny-llama', { clock, deps: 'auto', hub: { endpoint: hub.url } });
    expect(validateCycloneDx(remote.text).valid).toBe(true);
    const localFacts = modelFacts(local.text);
    const remoteFacts = modelFacts(remote.text);
    // Dataset URLs name the endpoint the model came from; compare them without it.
    const strip = (s: string) => s.replaceAll(hub.url, 'https://huggingface.co');
    expect(JSON.parse(strip(JSON.stringify(remoteFacts)))).toEqual(localFacts);
    expect(remote.warnings).toEqual([]);
  });

  it('identifies the model by repo id and full commit SHA', async () => {
    const remote = await generateModelBom('hf://tiny-org/hf-tiny-llama@main', { clock, hub: { endpoint: hub.url } });
    const model = JSON.parse(remote.text).metadata.component;
    expect(model).toMatchObject({
      group: 'tiny-org',
      name: 'hf-tiny-llama',
      version: SHA,
      purl: `pkg:huggingface/tiny-org/hf-tiny-llama@${SHA}`,
    });
    expect(model.supplier.name).toBe('tiny-org');
    expect(model.externalReferences.map((r: Json) => r.type).sort()).toEqual(['distribution', 'model-card']);
  });

  it('reads big weights through range requests only and takes their hash from the LFS sha256', async () => {
    const before = hub.requests.length;
    const facts = await gatherHubModel('hf://tiny-org/hf-tiny-llama', { endpoint: hub.url, maxHashedBytes: 0 });
    const weightRequests = hub.requests.slice(before).filter((r) => r.path.endsWith('.safetensors'));
    expect(weightRequests.length).toBeGreaterThan(0);
    expect(weightRequests.every((r) => r.range !== undefined)).toBe(true);
    const shard = facts.files.find((f) => f.path === 'model-00001-of-00002.safetensors')!;
    expect(shard.sha256Source).toBe('hub-lfs');
    expect(facts.files.find((f) => f.path === 'config.json')!.sha256Source).toBeUndefined();
    expect(shard.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(HF_DIR, shard.path)))
        .digest('hex'),
    );
    expect(facts.weights.filter((w) => w.format === 'safetensors').map((w) => w.parameterCount)).toHaveLength(2);
  });

  it('reads GGUF metadata and ONNX opsets through range requests, the same facts as the local files', async () => {
    const before = hub.requests.length;
    const remote = await gatherHubModel('hf://tiny-org/tiny-gguf', { endpoint: hub.url, maxHashedBytes: 0 });
    const sent = hub.requests.slice(before).filter((r) => r.path.includes('/resolve/'));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((r) => r.range !== undefined)).toBe(true);
    const localGguf = (await generateModelBom(join(REPO_ROOT, 'fixtures', 'models', 'tiny.gguf'), { clock })).facts.weights[0];
    const localOnnx = (await generateModelBom(join(REPO_ROOT, 'fixtures', 'models', 'tiny.onnx'), { clock })).facts.weights[0];
    expect(remote.weights).toEqual([
      { ...localGguf, file: 'tiny.gguf' },
      { ...localOnnx, file: 'tiny.onnx' },
    ]);
  });

  it('--deps-file lockfiles join the packages of an hf:// model', async () => {
    const remote = await generateModelBom('hf://tiny-org/tiny-gguf', {
      clock,
      deps: 'auto',
      depsFiles: [join(REPO_ROOT, 'fixtures', 'deps', 'npm', 'package-lock.json')],
      hub: { endpoint: hub.url },
    });
    const purls = (JSON.parse(remote.text).components as Json[]).filter((c) => c.type === 'library').map((c) => c.purl);
    expect(purls.length).toBeGreaterThan(0);
    expect(purls.every((p) => p.startsWith('pkg:npm/'))).toBe(true);
  });

  it('fails with HUB_HASH_MISMATCH when downloaded bytes differ from the LFS sha256', async () => {
    await expect(generateModelBom('hf://tiny-org/tampered', { clock, hub: { endpoint: hub.url } })).rejects.toMatchObject({
      code: 'HUB_HASH_MISMATCH',
    });
  });

  it('answers HUB_ERROR for a missing repo or revision', async () => {
    await expect(gatherHubModel('hf://tiny-org/nope', { endpoint: hub.url })).rejects.toMatchObject({ code: 'HUB_ERROR' });
    await expect(gatherHubModel('hf://tiny-org/hf-tiny-llama@no-such-branch', { endpoint: hub.url })).rejects.toMatchObject({
      code: 'HUB_ERROR',
    });
  });

  it('honours HF_ENDPOINT and sends HF_TOKEN as a bearer token', async () => {
    const client = hubClient({ env: { HF_ENDPOINT: `${hub.url}/`, HF_TOKEN: 'hf_test_token' } });
    expect(client.endpoint).toBe(hub.url);
    const before = hub.requests.length;
    await gatherHubModel('hf://tiny-org/hf-tiny-llama', { env: { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' } });
    const sent = hub.requests.slice(before);
    expect(sent.length).toBeGreaterThan(2);
    expect(sent.every((r) => r.authorization === 'Bearer hf_test_token')).toBe(true);
  });
});

describe('downloadSnapshot', () => {
  it('writes the standard HF cache layout and verifies LFS files', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'modelsec-hfcache-'));
    scratch.push(cacheDir);
    let last = 0;
    const snap = await downloadSnapshot('hf://tiny-org/hf-tiny-llama', {
      endpoint: hub.url,
      cacheDir,
      onProgress: (done) => (last = done),
    });
    const repoDir = join(cacheDir, 'models--tiny-org--hf-tiny-llama');
    expect(snap.path).toBe(join(repoDir, 'snapshots', SHA));
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(SHA);
    for (const [path, bytes] of filesFromDirectory(HF_DIR)) {
      expect(readFileSync(join(snap.path, path))).toEqual(Buffer.from(bytes));
    }
    const shardLink = readlinkSync(join(snap.path, 'model-00001-of-00002.safetensors'));
    const shardSha = createHash('sha256')
      .update(readFileSync(join(HF_DIR, 'model-00001-of-00002.safetensors')))
      .digest('hex');
    expect(shardLink).toBe(join('..', '..', 'blobs', shardSha));
    expect(last).toBe(snap.files.reduce((n, f) => n + f.size, 0));
    // A second call reuses the cache.
    const before = hub.requests.length;
    await downloadSnapshot('hf://tiny-org/hf-tiny-llama', { endpoint: hub.url, cacheDir });
    expect(hub.requests.slice(before).filter((r) => r.path.includes('/resolve/'))).toEqual([]);
  });

  it('a BOM of the downloaded snapshot names the same repo and commit as the hf:// BOM', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'modelsec-hfcache-'));
    scratch.push(cacheDir);
    const snap = await downloadSnapshot('hf://tiny-org/hf-tiny-llama', { endpoint: hub.url, cacheDir });
    const local = await generateModelBom(snap.path, { clock, deps: 'auto' });
    const remote = await generateModelBom('hf://tiny-org/hf-tiny-llama', { clock, deps: 'auto', hub: { endpoint: hub.url } });
    const pick = (text: string) => {
      const m = JSON.parse(text).metadata.component;
      return { group: m.group, name: m.name, version: m.version, purl: m.purl };
    };
    expect(pick(local.text)).toEqual(pick(remote.text));
    expect(pick(local.text).purl).toBe(`pkg:huggingface/tiny-org/hf-tiny-llama@${SHA}`);
    expect(local.warnings).toEqual([]);
    expect(modelFacts(local.text).components).toEqual(
      modelFacts(remote.text.replaceAll(hub.url, 'https://huggingface.co')).components,
    );
  });

  it('refuses a blob whose bytes differ from the LFS sha256 and keeps nothing of it', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'modelsec-hfcache-'));
    scratch.push(cacheDir);
    await expect(downloadSnapshot('hf://tiny-org/tampered', { endpoint: hub.url, cacheDir })).rejects.toMatchObject({
      code: 'HUB_HASH_MISMATCH',
    });
    expect(existsSync(join(cacheDir, 'models--tiny-org--tampered', 'blobs', 'f'.repeat(64)))).toBe(false);
  });
});
