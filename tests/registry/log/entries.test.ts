/**
 * Log entry format v2 as the registry writes it at push: every field is what the registry verified (signer, files,
 * sizes, attachments) or computed (its own scan, whose full report is stored content-addressed and readable to the
 * namespace's readers), so a client decides on the signed, logged entry and nothing else.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  canonicalJson,
  decodeLogEntry,
  type FileReport,
  gateFileOf,
  generateSigningKey,
  keyHint,
  loadPublicKey,
  MODELSEC_VERSION,
  type PolicyEntry,
  type PublishEntry,
  severityRank,
  type YankEntry,
} from '@modelsec/core';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import type { Ajv as AjvClass, Options } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, signedModel, testRegistry } from '../../../packages/registry/src/test-support.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as new (options: Options) => AjvClass;
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** Lets every scan verdict through so the logged summary can be compared with the stored report. */
const PERMISSIVE = { scan: { required: true, maxSeverity: 'critical', allowIncomplete: true } };

describe('publish, yank and policy entries (format v2) written at push', () => {
  let registry: Awaited<ReturnType<typeof testRegistry>>;
  let url: string;
  let admin: RegistryClient;
  let model: Awaited<ReturnType<typeof signedModel>>;
  let pushed: Awaited<ReturnType<typeof pushModel>>;

  const leaf = async (index: number) =>
    decodeLogEntry(new Uint8Array(await (await fetch(`${url}/v1/log/entries/${index}`)).arrayBuffer()));

  beforeAll(async () => {
    // The default scanner (core's engine), not the test registry's "no scanner".
    registry = await testRegistry({ scanner: undefined });
    url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'pub', public: true } });
    model = await signedModel({
      'config.json': '{"architectures":["Bert"]}',
      'weights.bin': 'opaque weight bytes the scanner cannot identify',
      'sub/notes.md': '# notes\n',
      // A protocol-0 pickle that calls os.system: a critical finding the permissive policy lets through.
      'model.pkl': "cos\nsystem\n(S'echo pwned'\ntR.",
    });
    await admin.json('PUT', '/v1/namespaces/pub/policy', {
      json: { ...PERMISSIVE, signers: [{ publicKey: model.key.publicKeyPem }] },
    });
    // The manifest CLAIMS another key: the policy's signer is what verifies, and what the entry records.
    pushed = await pushModel(admin, model.dir, parseModelRef('pub/bert@1.0.0'), {
      signaturePath: model.signaturePath,
      publicKeyPem: generateSigningKey().publicKeyPem,
    });
  }, 60_000);
  afterAll(async () => registry.app.close());

  it('the policy entry carries the policy document and the digest of its canonical JSON', async () => {
    const entry = (await leaf(1)) as PolicyEntry & { v: number };
    expect(entry).toMatchObject({ type: 'policy', namespace: 'pub', policyVersion: 1, v: 2 });
    expect(entry.policy).toEqual({ ...PERMISSIVE, signers: [{ publicKey: model.key.publicKeyPem }] });
    expect(entry.policyDigest).toBe(sha256(canonicalJson(entry.policy)));
  });

  it('the publish entry binds the verified root digest, bundle bytes, signer and files with their sizes', async () => {
    expect(pushed.logIndex).toBe(2);
    const entry = (await leaf(2)) as PublishEntry & { v: number };
    expect(entry).toMatchObject({ type: 'publish', namespace: 'pub', model: 'bert', version: '1.0.0', v: 2 });
    expect(entry.rootDigest).toBe(pushed.rootDigest);
    expect(entry.rootDigest).toBe(model.digest.rootDigest);
    expect(entry.bundleDigest).toBe(sha256(readFileSync(model.signaturePath)));
    expect(entry.signer).toEqual({ kind: 'key', keyFingerprint: keyHint(loadPublicKey(model.key.publicKeyPem)) });
    expect(entry.files).toEqual(
      ['config.json', 'model.pkl', 'sub/notes.md', 'weights.bin'].map((p) => ({
        path: p,
        digest: sha256(readFileSync(path.join(model.dir, p))),
        size: statSync(path.join(model.dir, p)).size,
      })),
    );
    expect(entry.attachments).toEqual([]);
  });

  it("the publish entry's scan is the registry's own, summarised from the per-file gate data of its stored report", async () => {
    const entry = (await leaf(2)) as PublishEntry;
    expect(entry.scan.status).toBe('scanned');
    expect(entry.scan.scanner).toBe(`modelsec ${MODELSEC_VERSION}`);
    const digest = entry.scan.reportDigest as string;
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    // Content-addressed and readable to the namespace's readers (public here: anonymous).
    const response = await fetch(`${url}/v1/namespaces/pub/blobs/${digest}`);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(sha256(bytes)).toBe(digest);
    const report = JSON.parse(bytes.toString('utf8')) as { files: FileReport[]; summary: Record<string, unknown> };
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas/scan-report.schema.json'), 'utf8'));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    // Files by manifest path (not by blob name), one per logged file.
    expect(report.files.map((f) => f.path)).toEqual(entry.files.map((f) => f.path));
    expect(report.files.map((f) => f.sha256)).toEqual(entry.files.map((f) => f.digest));
    // The core gate's view of each file gives exactly the logged summary.
    const gate = report.files.map(gateFileOf);
    const verdicts = { clean: 0, findings: 0, incomplete: 0 };
    for (const g of gate) verdicts[g.verdict]++;
    const max = gate
      .map((g) => g.maxSeverity)
      .filter((s) => s !== null)
      .sort((a, b) => severityRank(b) - severityRank(a))[0];
    expect(entry.scan.verdicts).toEqual(verdicts);
    expect(verdicts.findings).toBeGreaterThanOrEqual(1);
    expect(entry.scan.maxSeverity).toBe('critical');
    expect(entry.scan.incompleteFiles).toBe(verdicts.incomplete);
    expect(entry.scan.maxSeverity).toBe(max ?? null);
    expect(report.summary.verdicts).toEqual(verdicts);
    // The version lists the report as its registry-scan attachment.
    const version = await admin.json<{ attachments: { kind: string; digest: string }[] }>(
      'GET',
      '/v1/namespaces/pub/models/bert/versions/1.0.0',
    );
    expect(version.attachments.filter((a) => a.kind === 'registry-scan').map((a) => a.digest)).toEqual([digest]);
  });

  it('the yank entry names the root digest it yanks', async () => {
    const before = await (await fetch(`${url}/v1/log/checkpoint`)).text();
    const size = Number(before.split('\n')[1]);
    await admin.json('POST', '/v1/namespaces/pub/models/bert/versions/1.0.0/yank', { json: { reason: 'bad weights' } });
    const entry = (await leaf(size)) as YankEntry & { v: number };
    expect(entry).toEqual({
      type: 'yank',
      namespace: 'pub',
      model: 'bert',
      version: '1.0.0',
      rootDigest: pushed.rootDigest,
      reason: 'bad weights',
      at: '2026-01-02T03:04:05.000Z',
      v: 2,
    });
  });
});

describe('the scan report of a private namespace', () => {
  it('is readable with a token of that namespace only', async () => {
    const registry = await testRegistry({ scanner: undefined });
    try {
      const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
      const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
      for (const name of ['secret', 'other']) {
        await admin.json('POST', '/v1/namespaces', { json: { name } });
        await admin.json('PUT', `/v1/namespaces/${name}/policy`, { json: PERMISSIVE });
      }
      const model = await signedModel();
      await pushModel(admin, model.dir, parseModelRef('secret/bert@1.0.0'), {
        signaturePath: model.signaturePath,
        publicKeyPem: model.key.publicKeyPem,
      });
      const reader = await admin.json<{ token: string }>('POST', '/v1/namespaces/secret/tokens', { json: { scope: 'read' } });
      const stranger = await admin.json<{ token: string }>('POST', '/v1/namespaces/other/tokens', { json: { scope: 'read' } });
      const version = await admin.json<{ attachments: { kind: string; digest: string }[] }>(
        'GET',
        '/v1/namespaces/secret/models/bert/versions/1.0.0',
      );
      const digest = version.attachments.find((a) => a.kind === 'registry-scan')?.digest as string;
      const get = (token?: string) =>
        fetch(`${url}/v1/namespaces/secret/blobs/${digest}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      expect((await get(reader.token)).status).toBe(200);
      expect((await get()).status).toBe(401);
      expect((await get(stranger.token)).status).toBe(403);
    } finally {
      await registry.app.close();
    }
  }, 60_000);
});
