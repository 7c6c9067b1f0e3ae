/**
 * Registry benchmarks at the embedded default (SQLite + filesystem blobs), server in a child process
 * (`modelsec registry serve`, built CLI: run `npx tsc -b` first):
 * with the namespace on the DEFAULT policy (the registry scans every pushed file before it publishes):
 * - `check` lookups (GET /v1/versions?rootDigest=…, what `modelsec check` asks) under autocannon over at least
 *   10,000 published versions (quick: 1,000): a few pushed over HTTP, the rest seeded through the metadata store's
 *   API (copies of a pushed version with their own digests), then timed through HTTP: req/s and p99.
 * - push of a 1 GB safetensors model (quick: 100 MB) vs copying the same bytes on the same disk in the same run:
 *   alternating rounds (copy then push, push then copy) of fresh bytes, median ratio; the push includes the
 *   registry's scan of the file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKey, signModel } from '../packages/core/src/index.js';
import { parseModelRef, pushModel, RegistryClient, SqliteMetadataStore } from '../packages/registry/src/index.js';
import { type BenchResult, median, round, target, timeIt } from './lib.js';

const CLI = fileURLToPath(new URL('../packages/cli/bin/modelsec.js', import.meta.url));
const ADMIN = 'msk_bench-admin';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'registry', 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--json'], {
      env: { ...process.env, MODELSEC_ADMIN_TOKEN: ADMIN },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      const m = /"listening":\s*"(http:[^"]+)"/.exec(text);
      if (m) resolve({ url: m[1] as string, child });
    });
    child.once('close', (code) => reject(new Error(`registry exited with ${code}`)));
  });
}

/** A safetensors file of `bytes` random tensor bytes (one U8 tensor): what the registry's scan reads as clean. */
async function writeRandomSafetensors(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  let json = JSON.stringify({ w: { dtype: 'U8', shape: [bytes], data_offsets: [0, bytes] } });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length));
  out.write(head);
  out.write(json);
  const block = randomBytes(8 * 1024 * 1024);
  for (let written = 0; written < bytes; written += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, bytes - written));
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  // On disk before anything is timed: its writeback must not slow down whichever measurement comes first.
  const handle = await open(file, 'r');
  await handle.sync();
  await handle.close();
}

/**
 * Adds `count` published versions beside the pushed ones, through the metadata store's API (pushing 10,000 over
 * HTTP would take most of the bench): copies of bench/m0@1.0.0 across 100 models, each with its own root and file
 * digests (random), so a root-digest lookup searches an index of every row and finds only its own version.
 */
async function seedVersions(databaseFile: string, count: number): Promise<void> {
  const store = SqliteMetadataStore.open(databaseFile);
  try {
    const template = await store.getVersion('bench', 'm0', '1.0.0');
    if (!template) throw new Error('seeding needs the pushed version bench/m0@1.0.0');
    const files = await store.versionFiles('bench', 'm0', '1.0.0');
    const attachments = await store.versionAttachments('bench', 'm0', '1.0.0');
    await store.transaction(async (tx) => {
      for (let i = 0; i < count; i++) {
        const key = { namespace: 'bench', model: `seeded${i % 100}`, version: `2.0.${i}` };
        if (i < 100) await tx.ensureModel({ namespace: 'bench', name: key.model, createdAt: template.publishedAt });
        await tx.insertVersion(
          { ...template, ...key, rootDigest: randomBytes(32).toString('hex') },
          files.map((f) => ({ ...f, ...key, digest: randomBytes(32).toString('hex') })),
          attachments.map((a) => ({ ...a, ...key })),
        );
      }
    });
  } finally {
    await store.close();
  }
}

/** The number of versions a GET /v1/versions answer lists. */
function countVersions(body: unknown): number {
  const versions = (body as { versions?: unknown[] } | null)?.versions;
  return Array.isArray(versions) ? versions.length : -1;
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  if (!existsSync(path.join(path.dirname(CLI), '..', 'dist', 'main.js'))) throw new Error('build the CLI first: npx tsc -b');
  const work = mkdtempSync(path.join(os.tmpdir(), 'modelsec-bench-registry-'));
  const { url, child } = await startServer(path.join(work, 'data'));
  try {
    const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'bench' } });
    // No policy set: the namespace runs on the default policy, whose scan is required.
    const key = generateSigningKey();

    // A small model for the lookup benchmark, pushed over HTTP as 10 versions; then versions seeded through the
    // metadata store so the index has at least 10,000 published rows to search.
    const small = path.join(work, 'small');
    mkdirSync(small);
    writeFileSync(path.join(small, 'config.json'), '{"bench": true}');
    await writeRandomSafetensors(path.join(small, 'weights.safetensors'), 4096);
    const signed = await signModel(small, { kind: 'key', privateKeyPem: key.privateKeyPem });
    writeFileSync(path.join(small, 'model.sig'), JSON.stringify(signed.bundle));
    const pushed = 10;
    for (let i = 0; i < pushed; i++) {
      await pushModel(admin, small, parseModelRef(`bench/m${i}@1.0.${i}`), {
        signaturePath: path.join(small, 'model.sig'),
        publicKeyPem: key.publicKeyPem,
      });
    }
    const seeded = (opts.quick ? 1_000 : 10_000) - pushed;
    await seedVersions(path.join(work, 'data', 'registry.sqlite'), seeded);
    const versions = pushed + seeded;
    const lookupUrl = `${url}/v1/versions?rootDigest=${signed.digest.rootDigest}&namespace=bench&model=m3`;
    const found = (await (await fetch(lookupUrl, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as unknown;
    const foundCount = countVersions(found);
    const lookup = await autocannon({
      url: lookupUrl,
      connections: 10,
      duration: opts.quick ? 3 : 10,
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const rps = round(lookup.requests.average, 0);
    const p99 = lookup.latency.p99;

    // Push a big single-file model vs copying the same bytes, in rounds (the disk's speed drifts a lot on a
    // shared machine; each round pairs a copy with a push of fresh bytes measured next to it).
    const size = (opts.quick ? 100 : 1024) * 1024 * 1024;
    const rounds = opts.quick ? 3 : 5;
    const pairs: { copy: number; push: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const big = path.join(work, `big${round}`);
      mkdirSync(big);
      await writeRandomSafetensors(path.join(big, 'model.safetensors'), size);
      const bigSigned = await signModel(big, { kind: 'key', privateKeyPem: key.privateKeyPem });
      writeFileSync(path.join(big, 'model.sig'), JSON.stringify(bigSigned.bundle));
      // The baseline copies the bytes durably (copy + fsync), as the registry must before it acknowledges a blob.
      const copyDurably = () =>
        timeIt(async () => {
          await copyFile(path.join(big, 'model.safetensors'), path.join(work, `copy${round}.bin`));
          const handle = await open(path.join(work, `copy${round}.bin`), 'r');
          await handle.sync();
          await handle.close();
        });
      const pushIt = () =>
        timeIt(() =>
          pushModel(admin, big, parseModelRef(`bench/big@1.0.${round}`), {
            signaturePath: path.join(big, 'model.sig'),
            publicKeyPem: key.publicKeyPem,
          }),
        );
      // Alternate which goes first, so neither always runs on a disk still busy with the other's writeback.
      let copy: Awaited<ReturnType<typeof copyDurably>>;
      let push: Awaited<ReturnType<typeof pushIt>>;
      if (round % 2 === 0) {
        copy = await copyDurably();
        push = await pushIt();
      } else {
        push = await pushIt();
        copy = await copyDurably();
      }
      if (push.value.uploaded !== 1) throw new Error('the bench push deduplicated: the rounds must use fresh bytes');
      pairs.push({ copy: copy.seconds, push: push.seconds });
    }
    const mb = size / (1024 * 1024);
    const ratios = pairs.map((p) => p.copy / p.push);
    const ratio = round(median(ratios), 2);
    const pushSeconds = median(pairs.map((p) => p.push));
    const copySeconds = median(pairs.map((p) => p.copy));
    return [
      {
        name: `registry check lookup over ${versions.toLocaleString('en')} published versions (GET /v1/versions?rootDigest=, 10 connections, embedded SQLite)`,
        figures: {
          'mean ms': round(lookup.latency.average, 2),
          errors: lookup.errors,
          'versions pushed over HTTP': pushed,
          'versions seeded through the store': seeded,
        },
        targets: [
          target('published versions', versions, '>=', opts.quick ? 1_000 : 10_000),
          target('versions the lookup finds (m3@1.0.3)', foundCount, '==', 1),
          target('requests/s', rps, '>=', 2000),
          target('p99 ms', p99, '<', 20),
          target('non-2xx', lookup.non2xx, '==', 0),
        ],
      },
      {
        name: `registry push of a ${mb} MB safetensors model (default policy: registry scan on) vs a durable copy (copy + fsync, same disk, same run; median of ${rounds} rounds)`,
        figures: {
          'push s (median)': round(pushSeconds, 2),
          'push MB/s (median)': round(mb / pushSeconds, 1),
          'copy s (median)': round(copySeconds, 2),
          'copy MB/s (median)': round(mb / copySeconds, 1),
          'ratio per round (copy time / push time)': ratios.map((r) => round(r, 2)).join(', '),
        },
        targets: [target('ratio copy time / push time (median)', ratio, '>=', 0.5)],
      },
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    rmSync(work, { recursive: true, force: true });
  }
}
