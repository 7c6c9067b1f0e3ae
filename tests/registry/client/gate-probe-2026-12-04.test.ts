/**
 * Gate probe, third pass (issue 12 client side and issue 15, 3-4 December 2026): a malicious registry against `check`,
 * `pull`, `push` and `check --offline`, end to end through the built CLI against tests/helpers/malicious-registry.ts.
 * Classes: a stale but validly signed (and once cosigned) checkpoint served to hide later entries (freshness); a
 * sealed entry whose opening the registry withholds from its reader; a sealed entry backdated behind its neighbours
 * (entry times are trusted signing times); a single-file model checked offline; push attaching the attestations
 * beside the signature, refusing those about another file set, and confirming the log lists them.
 */
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  addNoteSignatures,
  cosignCheckpoint,
  decodeLogEntry,
  generateCosigner,
  generateSigningKey,
  type PublishEntry,
  parseVerifierKey,
  signCheckpoint,
  verifyWitnessQuorum,
} from '@modelsec/core';
import { createRegistry, RegistryClient } from '@modelsec/registry';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWitnessServer, WITNESS_COSIGNATURE_REFRESH_MS, Witness } from '../../../packages/registry/src/log/index.js';
import { ADMIN } from '../../../packages/registry/src/test-support.js';
import { runCli } from '../../helpers/cli.js';
import {
  failedCodes,
  freshClient,
  MaliciousRegistry,
  type SignedFixture,
  signedFixture,
  tempDir,
  tempFile,
} from '../../helpers/malicious-registry.js';

vi.setConfig({ testTimeout: 240_000 });

let v1: SignedFixture;
let keyFile: string;

beforeAll(async () => {
  v1 = await signedFixture();
  keyFile = tempFile('signer.pub', v1.publicKeyPem);
});

const check = (r: MaliciousRegistry, args: string[] = [], env = freshClient(r), dir = v1.dir) =>
  runCli(['check', dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json', ...args], { env });

const errorCode = (json: Record<string, unknown>) => (json.error as { code?: string } | undefined)?.code;

describe('freshness: a stale checkpoint cannot be served for ever (--max-checkpoint-age, log.maxCheckpointAgeSeconds)', () => {
  let r: MaliciousRegistry;
  let w1: string;
  let w2: string;
  beforeAll(async () => {
    r = await MaliciousRegistry.start();
    w1 = tempFile('w1.pub', r.addWitness('witness.example/w1').text);
    w2 = tempFile('w2.pub', r.addWitness('witness.example/w2').text);
    r.publish(v1, { version: '1.0.0' });
  });
  afterAll(async () => r.close());

  /** The checkpoint as the registry signs it, cosigned by each witness `agesSeconds[i]` seconds ago. */
  const cosignedAgo = (agesSeconds: number[]) => {
    r.override = (_req, res, url) => {
      if (url.pathname !== '/v1/log/checkpoint') return false;
      const note = signCheckpoint(
        { origin: r.signer.name, size: r.leaves.length, rootHash: r.tree.root(r.leaves.length), extensions: [] },
        r.signer,
      );
      const body = note.slice(0, note.indexOf('\n\n') + 1);
      const now = Math.floor(Date.now() / 1000);
      const lines = agesSeconds.map((age, i) => cosignCheckpoint(body, r.witnesses[i] as never, now - age)).join('');
      res.end(addNoteSignatures(note, lines));
      return true;
    };
  };

  it('honest control: fresh cosignatures pass under the default bound and an explicit one', async () => {
    cosignedAgo([30, 60]);
    try {
      expect((await check(r, ['--witness', w1, '--witness', w2])).json()).toMatchObject({ verified: true });
      expect((await check(r, ['--witness', w1, '--witness', w2, '--max-checkpoint-age', '5m'])).json()).toMatchObject({
        verified: true,
      });
    } finally {
      r.override = undefined;
    }
  });

  it('cosignatures two days old: LOG_CHECKPOINT_STALE by default with witnesses; 0 lifts the bound; the policy sets it', async () => {
    cosignedAgo([2 * 86_400, 2 * 86_400 + 5]);
    try {
      const stale = await check(r, ['--witness', w1, '--witness', w2]);
      expect(stale.code).toBe(1);
      expect(errorCode(stale.json())).toBe('LOG_CHECKPOINT_STALE');
      // pull refuses the same way, writing nothing.
      const parent = tempDir('modelsec-pull-');
      const pulled = await runCli(
        ['pull', 'acme/tiny@1.0.0', '-o', path.join(parent, 'out'), '--public-key', keyFile, '--witness', w1, '--json'],
        { env: freshClient(r) },
      );
      expect(errorCode(pulled.json())).toBe('LOG_CHECKPOINT_STALE');
      expect(readdirSync(parent)).toEqual([]);
      // An explicit bound wider than the age, or none, accepts (the user's choice, never the registry's).
      expect((await check(r, ['--witness', w1, '--witness', w2, '--max-checkpoint-age', '3d'])).json()).toMatchObject({
        verified: true,
      });
      expect((await check(r, ['--witness', w1, '--witness', w2, '--max-checkpoint-age', '0'])).json()).toMatchObject({
        verified: true,
      });
      const policy = (seconds: number) =>
        tempFile(
          'policy.json',
          JSON.stringify({
            models: ['acme/tiny'],
            log: { witnesses: [readFileSync(w1, 'utf8'), readFileSync(w2, 'utf8')], maxCheckpointAgeSeconds: seconds },
          }),
        );
      expect(errorCode((await check(r, ['--policy', policy(3600)])).json())).toBe('LOG_CHECKPOINT_STALE');
      expect((await check(r, ['--policy', policy(7 * 86_400)])).json()).toMatchObject({ verified: true });
    } finally {
      r.override = undefined;
    }
  });

  it('one fresh and one stale witness: a quorum of two is stale, a quorum of one passes on the fresh one', async () => {
    cosignedAgo([60, 3 * 86_400]);
    try {
      expect(errorCode((await check(r, ['--witness', w1, '--witness', w2])).json())).toBe('LOG_CHECKPOINT_STALE');
      expect((await check(r, ['--witness', w1, '--witness', w2, '--witness-quorum', '1'])).json()).toMatchObject({
        verified: true,
        log: { cosignedBy: ['witness.example/w1'] },
      });
    } finally {
      r.override = undefined;
    }
  });

  it('a bound without witnesses is a usage error (a checkpoint has no time of its own); a bad duration too', async () => {
    const res = await check(r, ['--max-checkpoint-age', '1h']);
    expect(res.code).toBe(2);
    expect(errorCode(res.json())).toBe('USAGE');
    expect((await check(r, ['--witness', w1, '--max-checkpoint-age', 'soon'])).code).toBe(2);
  });
});

describe('an idle registry keeps its checkpoint fresh: cosignatures older than WITNESS_COSIGNATURE_REFRESH_MS are renewed', () => {
  it('with no change to the log, a background round gets the same checkpoint cosigned again at the new time', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const clock = { now: () => new Date(now) };
    const dataDir = tempDir('modelsec-reg-');
    const probe = await createRegistry({ dataDir, adminToken: ADMIN, scanner: null });
    const logKey = (await probe.app.inject({ url: '/v1/log/key' })).body.trim();
    await probe.app.close();
    const cosigner = generateCosigner('w1.example/witness');
    const witness = await Witness.open({
      cosigner,
      logKeys: [parseVerifierKey(logKey)],
      stateDir: tempDir('modelsec-w-'),
      clock,
    });
    const server = createWitnessServer(witness);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const wurl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const registry = await createRegistry({
      dataDir,
      adminToken: ADMIN,
      scanner: null,
      clock,
      witnesses: [{ url: wurl, key: cosigner.text }],
      witnessRetryIntervalMs: 100,
    });
    try {
      const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
      await new RegistryClient({ baseUrl: url, token: ADMIN }).json('POST', '/v1/namespaces', { json: { name: 'acme' } });
      const cosignedAt = async () =>
        verifyWitnessQuorum(await (await fetch(`${url}/v1/log/checkpoint`)).text(), logKey, [cosigner.text], 1, {
          now: clock.now(),
        }).cosignatures[0]?.timestamp;
      expect(await cosignedAt()).toBe(now / 1000);
      // Within the refresh interval nothing is resubmitted; past it, the next background round renews.
      const first = now;
      now += WITNESS_COSIGNATURE_REFRESH_MS / 2;
      await new Promise((r) => setTimeout(r, 400));
      expect(await cosignedAt()).toBe(first / 1000);
      now += WITNESS_COSIGNATURE_REFRESH_MS;
      for (let i = 0; i < 50 && (await cosignedAt()) !== now / 1000; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await cosignedAt()).toBe(now / 1000);
    } finally {
      await registry.app.close();
      await new Promise((resolve) => server.close(resolve));
      await witness.close();
    }
  });
});

describe('a sealed entry whose opening the registry withholds', () => {
  it('check and pull of the exact version name LOG_OPENING_WITHHELD; the honest control passes', async () => {
    const r = await MaliciousRegistry.start();
    try {
      r.readers.set('msk_reader', ['acme']);
      const index = r.publish(v1, { version: '1.0.0', sealed: true });
      r.api.set('GET /v1/log/lookup', { index, sealed: true });
      const env = () => freshClient(r, { MODELSEC_TOKEN: 'msk_reader' });
      expect((await check(r, ['--name', 'acme/tiny@1.0.0'], env())).json()).toMatchObject({ verified: true });
      // The registry answers the openings listing with nothing for its reader.
      r.override = (_req, res, url) => {
        if (url.pathname !== '/v1/log/openings') return false;
        res.end(JSON.stringify({ openings: [] }));
        return true;
      };
      const res = await check(r, ['--name', 'acme/tiny@1.0.0'], env());
      expect(res.code).toBe(1);
      expect(failedCodes(res.json())).toEqual(['LOG_OPENING_WITHHELD']);
      const parent = tempDir('modelsec-pull-');
      const pulled = await runCli(
        ['pull', 'acme/tiny@1.0.0', '-o', path.join(parent, 'out'), '--public-key', keyFile, '--json'],
        { env: env() },
      );
      expect(errorCode(pulled.json())).toBe('LOG_OPENING_WITHHELD');
      expect(readdirSync(parent)).toEqual([]);
      // Without the registry's lookup claim the refusal is the plain "not logged" (still closed).
      r.api.delete('GET /v1/log/lookup');
      expect(failedCodes((await check(r, ['--name', 'acme/tiny@1.0.0'], env())).json())).toEqual(['EVIDENCE_NOT_LOGGED']);
    } finally {
      await r.close();
    }
  });
});

describe('sealed entries are held to the log time rule once opened (entry times are trusted signing times)', () => {
  it('a sealed publish dated years before an earlier entry → LOG_INCONSISTENT; dated in order it passes', async () => {
    const r = await MaliciousRegistry.start();
    try {
      r.readers.set('msk_reader', ['acme']);
      const other = await signedFixture({ 'a.txt': 'other' });
      r.publish(other, { namespace: 'open', model: 'thing', version: '1.0.0' });
      r.publish(v1, { version: '1.0.0', sealed: true });
      const env = () => freshClient(r, { MODELSEC_TOKEN: 'msk_reader' });
      expect((await check(r, [], env())).json()).toMatchObject({ verified: true });
      // A second registry (the same log key) whose sealed entry is backdated by six years.
      const bad = await MaliciousRegistry.start(r.signer);
      try {
        bad.readers.set('msk_reader', ['acme']);
        bad.publish(other, { namespace: 'open', model: 'thing', version: '1.0.0', at: '2026-01-01T00:00:00.000Z' });
        bad.publish(v1, { version: '1.0.0', sealed: true, at: '2020-01-01T00:00:00.000Z' });
        const res = await runCli(['check', v1.dir, '--name', 'acme/tiny', '--public-key', keyFile, '--json'], {
          env: freshClient(bad, { MODELSEC_TOKEN: 'msk_reader' }),
        });
        expect(res.code).toBe(1);
        expect(errorCode(res.json())).toBe('LOG_INCONSISTENT');
        expect(res.stdout).toContain('backdated');
      } finally {
        await bad.close();
      }
    } finally {
      await r.close();
    }
  });
});

describe('check --offline on a single-file model (issue 15)', () => {
  let dir: string;
  let file: string;
  let pub: string;
  beforeAll(async () => {
    dir = tempDir('modelsec-single-');
    file = path.join(dir, 'model.safetensors');
    writeFileSync(file, 'weights-of-a-single-file-model');
    writeFileSync(path.join(dir, 'README.md'), 'not part of the signed model');
    const key = generateSigningKey();
    const priv = tempFile('signer.key', key.privateKeyPem);
    pub = tempFile('signer.pub', key.publicKeyPem);
    expect((await runCli(['sign', 'key', file, '--private-key', priv])).code).toBe(0);
    expect((await runCli(['scan', file, '--attest', 'key', '--private-key', priv])).code).toBe(0);
  });
  const policy = () =>
    tempFile('policy.json', JSON.stringify({ attestations: { required: ['https://modelsec.dev/attestations/scan/v1'] } }));

  it('signed with model.sig beside it (as sign FILE writes it): verified, with its scan attestation', async () => {
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'model.safetensors', 'model.scan.att.sig', 'model.sig']);
    const res = await runCli(['check', file, '--offline', '--public-key', pub, '--policy', policy(), '--json']);
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({
      verified: true,
      evidence: { signature: 'model.sig', attestations: ['model.scan.att.sig'] },
    });
  });

  it('one byte changed, the directory checked instead of the file, or --ignore with a file: refused', async () => {
    const copy = tempDir('modelsec-single-');
    for (const n of readdirSync(dir)) writeFileSync(path.join(copy, n), readFileSync(path.join(dir, n)));
    const target = path.join(copy, 'model.safetensors');
    writeFileSync(target, 'weights-of-a-single-file-modeL');
    const changed = await runCli(['check', target, '--offline', '--public-key', pub, '--policy', policy(), '--json']);
    expect(changed.code).toBe(1);
    expect(failedCodes(changed.json())).toContain('SIGNING_DIGEST_MISMATCH');
    // The signature is of the single file: the directory around it (README included) is not that model.
    const asDir = await runCli(['check', dir, '--offline', '--public-key', pub, '--json']);
    expect(asDir.code).toBe(1);
    const ignore = await runCli(['check', file, '--offline', '--public-key', pub, '--ignore', 'x', '--json']);
    expect(ignore.code).toBe(2);
    // Online, a single file is not a registry model: a usage error that points to --offline.
    const online = await runCli(['check', file, '--name', 'acme/tiny', '--public-key', pub, '--registry', 'http://127.0.0.1:9']);
    expect(online.code).toBe(2);
    expect(online.stderr).toContain('--offline');
  });
});

describe('push attaches the attestations beside the signature, each about exactly the pushed file set', () => {
  let r: MaliciousRegistry;
  let model: string;
  let priv: string;
  beforeAll(async () => {
    r = await MaliciousRegistry.start();
    model = tempDir('modelsec-push-');
    writeFileSync(path.join(model, 'config.json'), '{"a":1}');
    writeFileSync(path.join(model, 'weights.bin'), 'weights-bytes');
    const key = generateSigningKey();
    priv = tempFile('signer.key', key.privateKeyPem);
    expect((await runCli(['sign', 'key', model, '--private-key', priv])).code).toBe(0);
    expect((await runCli(['scan', model, '--attest', 'key', '--private-key', priv])).code).toBe(0);
  });
  afterAll(async () => r.close());
  const push = (version: string, extra: string[] = []) =>
    runCli(['push', model, `acme/tiny@${version}`, '--json', ...extra], { env: freshClient(r, { MODELSEC_TOKEN: 'msk_push' }) });
  const lastPublish = () => decodeLogEntry(r.leaves[r.leaves.length - 1] as Uint8Array) as PublishEntry;

  it('honest control: model.scan.att.sig is sent and the log entry lists it; --no-auto-attestations sends none', async () => {
    const res = await push('1.0.0');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ attestations: [expect.stringMatching(/model\.scan\.att\.sig$/)] });
    const sent = readFileSync(path.join(model, 'model.scan.att.sig'));
    const digest = (await import('node:crypto')).createHash('sha256').update(sent).digest('hex');
    expect(lastPublish().attachments).toEqual([{ kind: 'attestation', digest }]);
    expect((await push('1.0.1', ['--no-auto-attestations'])).code).toBe(0);
    expect(lastPublish().attachments).toEqual([]);
  });

  it('an attestation of another model beside the signature: ATTESTATION_SUBJECT_MISMATCH before any upload', async () => {
    const other = tempDir('modelsec-other-');
    writeFileSync(path.join(other, 'weights.bin'), 'other-weights');
    expect((await runCli(['sign', 'key', other, '--private-key', priv])).code).toBe(0);
    expect((await runCli(['scan', other, '--attest', 'key', '--private-key', priv])).code).toBe(0);
    const stray = path.join(model, 'model.bom.att.sig');
    writeFileSync(stray, readFileSync(path.join(other, 'model.scan.att.sig')));
    const before = r.requests.length;
    try {
      const res = await push('1.0.2');
      expect(res.code).toBe(1);
      expect(errorCode(res.json())).toBe('ATTESTATION_SUBJECT_MISMATCH');
      expect(r.requests.slice(before).filter((q) => q.startsWith('PUT') || q.startsWith('POST'))).toEqual([]);
      // Given with --attestation, the same.
      const given = await runCli(['push', model, 'acme/tiny@1.0.2', '--no-auto-attestations', '--attestation', stray, '--json'], {
        env: freshClient(r),
      });
      expect(errorCode(given.json())).toBe('ATTESTATION_SUBJECT_MISMATCH');
    } finally {
      (await import('node:fs')).rmSync(stray);
    }
  });

  it('a registry that accepts the attestation but leaves it out of the log entry → EVIDENCE_LOG_MISMATCH', async () => {
    r.onPush = (honest) => ({ ...honest, attachments: [] });
    try {
      const res = await push('1.0.3');
      expect(res.code).toBe(1);
      expect(errorCode(res.json())).toBe('EVIDENCE_LOG_MISMATCH');
    } finally {
      r.onPush = undefined;
    }
  });
});

describe("the client's trust store (log keys trusted on first use, log mirrors) is private to its user", () => {
  it('a group/world-writable logs/ is made 0700; one owned by another user, or a symbolic link, is refused (exit 2)', async () => {
    const r = await MaliciousRegistry.start();
    try {
      r.publish(v1, { version: '1.0.0' });
      const env = freshClient(r);
      const logs = path.join(env.MODELSEC_CONFIG_DIR as string, 'logs');
      mkdirSync(logs, { mode: 0o777 });
      chmodSync(logs, 0o777);
      expect((await check(r, [], env)).json()).toMatchObject({ verified: true });
      expect(statSync(logs).mode & 0o777).toBe(0o700);
      for (const name of readdirSync(logs).filter((n) => n.startsWith('mirror-')))
        expect(statSync(path.join(logs, name)).mode & 0o777).toBe(0o700);
      // logs/ replaced by a link to a directory someone else prepared.
      const other = freshClient(r);
      const elsewhere = tempDir('modelsec-elsewhere-');
      symlinkSync(elsewhere, path.join(other.MODELSEC_CONFIG_DIR as string, 'logs'));
      const linked = await check(r, [], other);
      expect(linked.code).toBe(2);
      expect(errorCode(linked.json())).toBe('CLIENT_TRUST_STORE_UNSAFE');
      // Owned by another user (only root can make one here).
      if (process.getuid?.() === 0) {
        const foreign = freshClient(r);
        const dir = path.join(foreign.MODELSEC_CONFIG_DIR as string, 'logs');
        mkdirSync(dir);
        chownSync(dir, 65534, 65534);
        const res = await check(r, [], foreign);
        expect(res.code).toBe(2);
        expect(errorCode(res.json())).toBe('CLIENT_TRUST_STORE_UNSAFE');
      }
    } finally {
      await r.close();
    }
  });
});
