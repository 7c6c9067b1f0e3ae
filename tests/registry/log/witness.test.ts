/**
 * Split view: witnesses (C2SP tlog-witness + tlog-cosignature v1). An honest registry gets its checkpoints cosigned
 * and serves the cosignatures; a registry that forks (an old data dir restored and other entries appended under the
 * same log key) cannot get a cosignature from a witness that saw the other branch, so a client requiring a quorum
 * refuses it.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  cosignCheckpoint,
  generateCosigner,
  generateNoteSigner,
  MerkleTree,
  parseCheckpointNote,
  parseVerifierKey,
  signCheckpoint,
  verifierOf,
  verifyWitnessQuorum,
} from '@modelsec/core';
import { createRegistry, RegistryClient } from '@modelsec/registry';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWitnessServer,
  TLOG_SIZE_CONTENT_TYPE,
  Witness,
  type WitnessEvent,
} from '../../../packages/registry/src/log/index.js';
import { ADMIN } from '../../../packages/registry/src/test-support.js';

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));
const FIXED = { now: () => new Date('2026-01-02T03:04:05Z') };

/** A log of `n` leaves "leaf-<tag>-<i>" and its signed checkpoint of each size. */
function fakeLog(signer = generateNoteSigner('log.example/one'), tag = 'a') {
  const tree = new MerkleTree();
  const checkpoint = (size: number) =>
    signCheckpoint({ origin: signer.name, size, rootHash: tree.root(size), extensions: [] }, signer);
  const grow = (n: number) => {
    while (tree.size < n) tree.append(Buffer.from(`leaf-${tag}-${tree.size}`));
  };
  return { signer, tree, checkpoint, grow };
}

function request(old: number, proof: Uint8Array[], note: string): string {
  return `old ${old}\n${proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${note}`;
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function openWitness(logKeys: string[], stateDir = tmp('modelsec-witness-'), name = 'witness.example/w1') {
  const cosigner = generateCosigner(name);
  const witness = await Witness.open({ cosigner, logKeys: logKeys.map((k) => parseVerifierKey(k)), stateDir, clock: FIXED });
  closers.push(() => witness.close());
  return { witness, cosigner, stateDir };
}

describe('C2SP tlog-witness add-checkpoint (the witness)', () => {
  it('cosigns the first checkpoint it sees, then only consistent extensions, with the statuses of the spec', async () => {
    const log = fakeLog();
    const { witness, cosigner } = await openWitness([log.signer.text]);
    log.grow(3);
    const first = await witness.addCheckpoint(request(0, [], log.checkpoint(3)));
    expect(first.status).toBe(200);
    const cosigned = `${log.checkpoint(3)}${first.body}`;
    expect(verifyWitnessQuorum(cosigned, log.signer.text, [cosigner.text], 1).cosignatures[0]).toMatchObject({
      name: 'witness.example/w1',
      timestamp: Math.floor(FIXED.now().getTime() / 1000),
    });

    // A stale old size: 409 telling the size it cosigned.
    log.grow(8);
    const stale = await witness.addCheckpoint(request(0, [], log.checkpoint(8)));
    expect(stale).toEqual({ status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '3\n' });
    // The right old size and proof: cosigned.
    const next = await witness.addCheckpoint(request(3, log.tree.consistencyProof(3, 8), log.checkpoint(8)));
    expect(next.status).toBe(200);
    expect(witness.latest(log.signer.name)).toMatchObject({ size: 8 });
    // The same tree again (same size, same root): cosigned again.
    expect((await witness.addCheckpoint(request(8, [], log.checkpoint(8)))).status).toBe(200);
  });

  it('refuses unknown logs (404), unsigned checkpoints (403), malformed requests (400), bad proofs (422)', async () => {
    const log = fakeLog();
    const { witness } = await openWitness([log.signer.text]);
    log.grow(4);
    const stranger = fakeLog(generateNoteSigner('log.example/other'));
    stranger.grow(4);
    expect((await witness.addCheckpoint(request(0, [], stranger.checkpoint(4)))).status).toBe(404);
    const impostor = fakeLog(generateNoteSigner(log.signer.name));
    impostor.grow(4);
    expect((await witness.addCheckpoint(request(0, [], impostor.checkpoint(4)))).status).toBe(403);
    expect((await witness.addCheckpoint(request(5, [], log.checkpoint(4)))).status).toBe(400);
    expect((await witness.addCheckpoint(`old 01\n\n${log.checkpoint(4)}`)).status).toBe(400);
    expect((await witness.addCheckpoint(`old 0\nnot-base64!\n\n${log.checkpoint(4)}`)).status).toBe(400);
    expect((await witness.addCheckpoint(`old 0\n${log.checkpoint(4)}`)).status).toBe(400);
    const tooLong = Array.from({ length: 64 }, () => new Uint8Array(32));
    expect((await witness.addCheckpoint(request(0, tooLong, log.checkpoint(4)))).status).toBe(400);
    expect((await witness.addCheckpoint(request(0, [], log.checkpoint(2)))).status).toBe(200);
    // A proof that does not lead from the size-2 tree to the size-4 tree.
    const wrong = log.tree.consistencyProof(1, 4);
    expect((await witness.addCheckpoint(request(2, wrong, log.checkpoint(4)))).status).toBe(422);
    expect(witness.latest(log.signer.name)?.size).toBe(2);
  });

  it('never cosigns a fork: another tree of the same size (409) or a branch off the tree it saw (422), even after a restart', async () => {
    const signer = generateNoteSigner('log.example/one');
    const honest = fakeLog(signer, 'honest');
    const fork = fakeLog(signer, 'fork');
    const first = await openWitness([signer.text]);
    honest.grow(5);
    expect((await first.witness.addCheckpoint(request(0, [], honest.checkpoint(5)))).status).toBe(200);
    await first.witness.close();
    // The state survives the process: a new witness on the same directory.
    const again = await Witness.open({
      cosigner: first.cosigner,
      logKeys: [verifierOf(signer)],
      stateDir: first.stateDir,
      clock: FIXED,
    });
    closers.push(() => again.close());
    fork.grow(5);
    const sameSize = await again.addCheckpoint(request(5, [], fork.checkpoint(5)));
    expect(sameSize.status).toBe(409);
    expect(sameSize.contentType).not.toBe(TLOG_SIZE_CONTENT_TYPE);
    fork.grow(9);
    expect((await again.addCheckpoint(request(5, fork.tree.consistencyProof(5, 9), fork.checkpoint(9)))).status).toBe(422);
    honest.grow(9);
    expect((await again.addCheckpoint(request(5, honest.tree.consistencyProof(5, 9), honest.checkpoint(9)))).status).toBe(200);
  });

  it('keeps one process per state directory and refuses to start on a state it cannot read', async () => {
    const log = fakeLog();
    const { stateDir } = await openWitness([log.signer.text]);
    await expect(
      Witness.open({ cosigner: generateCosigner('w.example/x'), logKeys: [verifierOf(log.signer)], stateDir }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const broken = tmp('modelsec-witness-');
    writeFileSync(path.join(broken, 'log-00000000000000000000000000000000.json'), '{not json');
    await expect(
      Witness.open({ cosigner: generateCosigner('w.example/x'), logKeys: [verifierOf(log.signer)], stateDir: broken }),
    ).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });
  });

  it('serves add-checkpoint over HTTP (POST only, bounded body)', async () => {
    const log = fakeLog();
    const { witness } = await openWitness([log.signer.text]);
    const server = createWitnessServer(witness);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    log.grow(2);
    const ok = await fetch(`${base}/add-checkpoint`, { method: 'POST', body: request(0, [], log.checkpoint(2)) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^\u2014 witness\.example\/w1 [A-Za-z0-9+/=]+\n$/);
    expect((await fetch(`${base}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${base}/other`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/add-checkpoint`, { method: 'POST', body: 'x'.repeat(70_000) })).status).toBe(413);
    expect((await (await fetch(`${base}/key`)).text()).trim()).toBe(witness.verifierKey);
  });
});

async function witnessOverHttp(logKey: string, name: string, stateDir = tmp('modelsec-witness-')) {
  const { witness, cosigner } = await openWitness([logKey], stateDir, name);
  let down = false;
  const inner = createWitnessServer(witness);
  const server = createWitnessServer(witness);
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (down) {
      res.writeHead(503).end('down\n');
      return;
    }
    inner.emit('request', req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return {
    witness,
    cosigner,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDown: (value: boolean) => {
      down = value;
    },
  };
}

async function logKeyOf(dataDir: string): Promise<string> {
  const probe = await createRegistry({ dataDir, adminToken: ADMIN, scanner: null });
  const key = (await probe.app.inject({ url: '/v1/log/key' })).body.trim();
  await probe.app.close();
  return key;
}

async function startRegistry(dataDir: string, witnesses: { url: string; key: string }[], events: WitnessEvent[] = []) {
  const registry = await createRegistry({
    dataDir,
    adminToken: ADMIN,
    scanner: null,
    witnesses,
    onWitnessEvent: (e) => events.push(e),
    witnessRetryIntervalMs: 100,
  });
  const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
  const close = () => registry.app.close();
  closers.push(close);
  const admin = new RegistryClient({ baseUrl: url, token: ADMIN });
  const checkpoint = async () => (await fetch(`${url}/v1/log/checkpoint`)).text();
  return { registry, url, admin, checkpoint, close, events };
}

describe('the registry and its witnesses', () => {
  it('an honest registry: every change is cosigned by its witnesses and GET /v1/log/checkpoint carries the cosignatures', async () => {
    const dataDir = tmp('modelsec-reg-');
    const logKey = await logKeyOf(dataDir);
    const w1 = await witnessOverHttp(logKey, 'w1.example/witness');
    const w2 = await witnessOverHttp(logKey, 'w2.example/witness');
    const keys = [w1.cosigner.text, w2.cosigner.text];
    const reg = await startRegistry(dataDir, [
      { url: w1.url, key: w1.cosigner.text },
      { url: w2.url, key: w2.cosigner.text },
    ]);
    await reg.admin.json('POST', '/v1/namespaces', { json: { name: 'acme', public: true } });
    const one = verifyWitnessQuorum(await reg.checkpoint(), logKey, keys, 2);
    expect(one.checkpoint.size).toBe(1);
    await reg.admin.json('POST', '/v1/namespaces', { json: { name: 'beta' } });
    await reg.admin.json('PUT', '/v1/namespaces/beta/policy', { json: { scan: { required: false } } });
    const three = verifyWitnessQuorum(await reg.checkpoint(), logKey, keys, 2);
    expect(three.checkpoint.size).toBe(3);
    expect(three.cosignatures.map((c) => c.name).sort()).toEqual(['w1.example/witness', 'w2.example/witness']);
    expect(w1.witness.latest(parseCheckpointNote(await reg.checkpoint()).checkpoint.origin)?.size).toBe(3);
    // The cosignatures are in the store: served after a restart.
    await reg.close();
    closers.pop();
    const restarted = await startRegistry(dataDir, []);
    expect(verifyWitnessQuorum(await restarted.checkpoint(), logKey, keys, 2).checkpoint.size).toBe(3);
  });

  it('a witness that is down never blocks a change, and catches up in a background round when it is back', async () => {
    const dataDir = tmp('modelsec-reg-');
    const logKey = await logKeyOf(dataDir);
    const w1 = await witnessOverHttp(logKey, 'w1.example/witness');
    w1.setDown(true);
    const reg = await startRegistry(dataDir, [{ url: w1.url, key: w1.cosigner.text }]);
    const started = Date.now();
    await reg.admin.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(reg.events.some((e) => e.kind === 'refused' && e.status === 503)).toBe(true);
    await expect(reg.checkpoint().then((cp) => verifyWitnessQuorum(cp, logKey, [w1.cosigner.text], 1))).rejects.toMatchObject({
      code: 'LOG_WITNESS_QUORUM',
    });
    w1.setDown(false);
    for (let i = 0; i < 50 && !reg.events.some((e) => e.kind === 'cosigned'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(verifyWitnessQuorum(await reg.checkpoint(), logKey, [w1.cosigner.text], 1).checkpoint.size).toBe(1);
  });

  it('split view: a restored old data dir that appends other entries under the same key gets no cosignature', async () => {
    const dataDir = tmp('modelsec-reg-');
    const logKey = await logKeyOf(dataDir);
    const w1 = await witnessOverHttp(logKey, 'w1.example/witness');
    const keys = [w1.cosigner.text];
    const honest = await startRegistry(dataDir, [{ url: w1.url, key: w1.cosigner.text }]);
    await honest.admin.json('POST', '/v1/namespaces', { json: { name: 'acme', public: true } });
    await honest.close();
    closers.pop();
    // The operator's backup, taken at size 1.
    const backup = tmp('modelsec-backup-');
    cpSync(dataDir, backup, { recursive: true });
    const live = await startRegistry(dataDir, [{ url: w1.url, key: w1.cosigner.text }]);
    await live.admin.json('POST', '/v1/namespaces', { json: { name: 'beta', public: true } });
    expect(verifyWitnessQuorum(await live.checkpoint(), logKey, keys, 1).checkpoint.size).toBe(2);

    // The backup restored, a different entry appended at the same size under the same log key.
    const events: WitnessEvent[] = [];
    const forked = await startRegistry(backup, [{ url: w1.url, key: w1.cosigner.text }], events);
    await forked.admin.json('POST', '/v1/namespaces', { json: { name: 'evil', public: true } });
    const forkCp = await forked.checkpoint();
    expect(parseCheckpointNote(forkCp).checkpoint.size).toBe(2);
    expect(parseCheckpointNote(forkCp).checkpoint.rootHash).not.toEqual(
      parseCheckpointNote(await live.checkpoint()).checkpoint.rootHash,
    );
    expect(() => verifyWitnessQuorum(forkCp, logKey, keys, 1)).toThrow(expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }));
    expect(events).toContainEqual(expect.objectContaining({ kind: 'refused', status: 409, fork: true }));
    // The fork grows past the size the witness saw: its consistency proof does not lead from the witnessed tree.
    await forked.admin.json('POST', '/v1/namespaces', { json: { name: 'evil2', public: true } });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'refused', status: 422, fork: true }));
    await expect(forked.checkpoint().then((cp) => verifyWitnessQuorum(cp, logKey, keys, 1))).rejects.toMatchObject({
      code: 'LOG_WITNESS_QUORUM',
    });
    // A forged cosignature line cannot be made without the witness key; the honest log still gets cosigned.
    const forged = cosignCheckpoint(parseCheckpointNote(forkCp).text, generateCosigner('w1.example/witness'), 1);
    expect(() => verifyWitnessQuorum(forkCp + forged, logKey, keys, 1)).toThrow(
      expect.objectContaining({ code: 'LOG_WITNESS_QUORUM' }),
    );
    await live.admin.json('POST', '/v1/namespaces', { json: { name: 'gamma', public: true } });
    expect(verifyWitnessQuorum(await live.checkpoint(), logKey, keys, 1).checkpoint.size).toBe(3);
  });
});
