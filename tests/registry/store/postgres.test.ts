/**
 * Two registry processes (the built CLI, `modelsec registry serve --database postgres://...`) on one PostgreSQL
 * database, taking concurrent pushes: one log, no gaps, no duplicate versions, every proof checks.
 * The database comes from tests/setup/postgres.ts (globalSetup), which fails the run when PostgreSQL is unreachable.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decodeLogEntry,
  hashLeaf,
  openSealedEntry,
  parseVerifierKey,
  type SealOpening,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@modelsec/core';
import { parseModelRef, pushModel, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedModel } from '../../../packages/registry/src/test-support.js';
import { CLI_BIN } from '../../helpers/cli.js';

const DB_URL = process.env.MODELSEC_TEST_POSTGRES_URL as string;
if (!DB_URL) throw new Error('MODELSEC_TEST_POSTGRES_URL is not set: the vitest globalSetup tests/setup/postgres.ts did not run');
const TOKEN = 'msk_postgres-two-process-admin';

function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI_BIN, 'registry', 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--database', DB_URL, '--json'],
      { env: { ...process.env, MODELSEC_ADMIN_TOKEN: TOKEN, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /"listening":\s*"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve({ child, url: m[1] as string });
    });
    child.on('exit', (code) => reject(new Error(`registry exited ${code}: ${err}${out}`)));
  });
}

describe('two registry processes on one PostgreSQL database', () => {
  const procs: ChildProcess[] = [];
  let urls: string[] = [];

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-pg-reg-'));
    // Sequential start: the first one migrates and creates the log key, the second finds both.
    const a = await serve(dataDir);
    const b = await serve(dataDir);
    procs.push(a.child, b.child);
    urls = [a.url, b.url];
    const admin = new RegistryClient({ baseUrl: a.url, token: TOKEN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
    await admin.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { required: false } } });
  }, 60_000);
  afterAll(() => {
    for (const p of procs) p.kill('SIGTERM');
  });

  it('concurrent pushes: one version wins per number, the log has no gaps and every proof checks', async () => {
    const model = await signedModel();
    const clients = urls.map((u) => new RegistryClient({ baseUrl: u, token: TOKEN }));
    const pushes = [];
    for (let i = 0; i < 12; i++) {
      const version = `1.0.${i % 6}`; // every version pushed twice, once to each process
      pushes.push(
        pushModel(clients[i % 2] as RegistryClient, model.dir, parseModelRef(`acme/bert@${version}`), {
          signaturePath: model.signaturePath,
          publicKeyPem: model.key.publicKeyPem,
        }),
      );
    }
    const results = await Promise.allSettled(pushes);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(6);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('CONFLICT');

    const key = parseVerifierKey(await (await fetch(`${urls[0]}/v1/log/key`)).text());
    expect((await (await fetch(`${urls[1]}/v1/log/key`)).text()).trim()).toBe(key.text);
    const cps = await Promise.all(
      urls.map(async (u) => verifyCheckpoint(await (await fetch(`${u}/v1/log/checkpoint`)).text(), key)),
    );
    // namespace + policy + 6 publishes
    expect(cps.map((c) => c.size)).toEqual([8, 8]);
    expect(
      Buffer.from((cps[0] as { rootHash: Uint8Array }).rootHash).equals(
        Buffer.from((cps[1] as { rootHash: Uint8Array }).rootHash),
      ),
    ).toBe(true);
    const cp = cps[0] as { size: number; rootHash: Uint8Array };
    const versions: string[] = [];
    for (let i = 0; i < cp.size; i++) {
      const server = urls[i % 2] as string;
      const leaf = new Uint8Array(await (await fetch(`${server}/v1/log/entries/${i}`)).arrayBuffer());
      const decoded = decodeLogEntry(leaf);
      // acme is private: every leaf is sealed, and either process opens it (the openings live in the database).
      expect(decoded.type).toBe('sealed');
      const opening = (await (
        await fetch(`${urls[(i + 1) % 2]}/v1/log/openings/${i}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as SealOpening;
      const entry = openSealedEntry(leaf, opening);
      if (entry.type === 'publish') versions.push(entry.version);
      const { hashes } = (await (await fetch(`${server}/v1/log/proofs/inclusion?index=${i}&size=${cp.size}`)).json()) as {
        hashes: string[];
      };
      expect(
        verifyInclusion(
          i,
          cp.size,
          hashLeaf(leaf),
          hashes.map((h) => Buffer.from(h, 'base64')),
          cp.rootHash,
        ),
      ).toBe(true);
    }
    expect([...versions].sort()).toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5']);
    const okIndexes = ok.map((r) => (r as PromiseFulfilledResult<{ logIndex?: number }>).value.logIndex).sort();
    expect(okIndexes).toEqual([2, 3, 4, 5, 6, 7]);

    // The first checkpoint (after namespace + policy) is consistent with the final one, as served by either process.
    const leaf0 = new Uint8Array(await (await fetch(`${urls[1]}/v1/log/entries/0`)).arrayBuffer());
    const { hashes } = (await (await fetch(`${urls[1]}/v1/log/proofs/consistency?from=1&to=${cp.size}`)).json()) as {
      hashes: string[];
    };
    expect(
      verifyConsistency(
        1,
        cp.size,
        hashLeaf(leaf0),
        cp.rootHash,
        hashes.map((h) => Buffer.from(h, 'base64')),
      ),
    ).toBe(true);
  });
});
