/**
 * Issue 15, end to end through the CLI: sign, scan --attest, bom --attest, push to a real registry (child process),
 * pull into a new directory, stop the registry, then `check --offline` on the pulled directory with a local policy.
 * The honest model passes (exit 0); each refusal case of the acceptance list exits 1 naming its rule.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  attestModel,
  generateNoteSigner,
  type InTotoStatement,
  MLBOM_PREDICATE_TYPE,
  manifestDigest,
  manifestSubject,
  OMS_ROOT_DIGEST_ANNOTATION,
  readUnverifiedModelStatement,
  SCAN_ATTESTATION_SCHEMA_PATH,
  SCAN_PREDICATE_TYPE,
  type SignedModel,
  signStatement,
  validateCycloneDx,
} from '@modelsec/core';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, REPO_ROOT, runCli } from '../../helpers/cli.js';

const ADMIN = 'msk_evidence-offline-admin';
const work = mkdtempSync(path.join(os.tmpdir(), 'modelsec-evidence-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const model = path.join(work, 'model');
const pulled = path.join(work, 'pulled');
const prefix = path.join(work, 'signer');
const stranger = path.join(work, 'stranger');
let logKey = '';
let publicKeyPem = '';
const online: { honest?: CliRun; tampered?: CliRun; tamperedDir: string } = { tamperedDir: '' };
/** No registry listens here: the offline gate must never need one. */
const OFFLINE_ENV = { MODELSEC_REGISTRY: 'http://127.0.0.1:9', MODELSEC_TOKEN: '' };

function startServer(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI_BIN, 'registry', 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--json'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1', MODELSEC_ADMIN_TOKEN: ADMIN },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.push(child);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /"listening":\s*"(http:\/\/[^"]+)"/.exec(out);
      if (m)
        resolve({
          url: m[1] as string,
          stop: () =>
            new Promise((done) => {
              child.once('close', () => done());
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('close', (code) => reject(new Error(`registry exited ${code}`)));
  });
}

async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const run = await runCli(args, { env });
  expect(run.code, `${args.join(' ')}\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

beforeAll(async () => {
  cpSync(path.join(REPO_ROOT, 'fixtures', 'models', 'hf-tiny-llama'), model, { recursive: true });
  const server = await startServer(path.join(work, 'data'));
  const env = { MODELSEC_REGISTRY: server.url, MODELSEC_TOKEN: ADMIN, MODELSEC_CONFIG_DIR: path.join(work, 'cfg') };
  try {
    await ok(['keygen', '--out', prefix]);
    await ok(['keygen', '--out', stranger]);
    publicKeyPem = readFileSync(`${prefix}.pub`, 'utf8');
    await ok(['sign', 'key', model, '--private-key', `${prefix}.key`]);
    await ok(['scan', model, '--attest', 'key', '--private-key', `${prefix}.key`]);
    await ok(['bom', model, '-o', path.join(work, 'bom.json'), '--attest', 'key', '--private-key', `${prefix}.key`]);
    await ok(['registry', 'namespace', 'create', 'acme'], env);
    await ok(
      [
        'push',
        model,
        'acme/tiny@1.0.0',
        '--public-key',
        `${prefix}.pub`,
        '--bom',
        path.join(work, 'bom.json'),
        '--attestation',
        path.join(model, 'model.scan.att.sig'),
        '--attestation',
        path.join(model, 'model.bom.att.sig'),
      ],
      env,
    );
    logKey = (await ok(['log', 'key'], env)).trim();
    writeFileSync(path.join(work, 'log.key'), logKey);
    await ok(
      ['pull', 'acme/tiny@1.0.0', '-o', pulled, '--public-key', `${prefix}.pub`, '--log-key', path.join(work, 'log.key')],
      env,
    );
    // The online gate on the same model and policy, while the registry runs (compared with the offline one below).
    online.honest = await runCli(['check', pulled, '--policy', policy(), '--json'], { env });
    online.tamperedDir = copy();
    writeFileSync(path.join(online.tamperedDir, 'generation_config.json'), '{"changed": true}\n');
    online.tampered = await runCli(['check', online.tamperedDir, '--policy', policy(), '--json'], { env });
  } finally {
    await server.stop();
  }
}, 300_000);

/** A deploy policy: the registry's policy schema plus log.key / log.required. */
function policy(overrides: Record<string, unknown> = {}): string {
  const file = path.join(mkdtempSync(path.join(work, 'policy-')), 'policy.json');
  writeFileSync(
    file,
    JSON.stringify({
      models: ['acme/tiny@^1'],
      log: { key: logKey, required: true },
      signers: [{ publicKey: publicKeyPem }],
      scan: { maxSeverity: 'medium', allowIncomplete: false },
      mlbom: { required: true },
      licenses: { allowed: ['Apache-2.0', 'MIT'] },
      attestations: { required: [SCAN_PREDICATE_TYPE, MLBOM_PREDICATE_TYPE] },
      ...overrides,
    }),
  );
  return file;
}

/** A fresh copy of the pulled model to change. */
function copy(): string {
  const dir = path.join(mkdtempSync(path.join(work, 'case-')), 'm');
  cpSync(pulled, dir, { recursive: true });
  return dir;
}

async function check(dir: string, policyFile = policy(), extra: string[] = []) {
  return runCli(['check', dir, '--offline', '--policy', policyFile, '--json', ...extra], {
    env: { ...OFFLINE_ENV, MODELSEC_CONFIG_DIR: mkdtempSync(path.join(work, 'cfg-')) },
  });
}

type Failed = { rule: string; code: string; message: string }[];
const failedOf = (run: { json<T>(): T }) => run.json<{ failed: Failed }>().failed;
const rules = (run: { json<T>(): T }) => failedOf(run).map((f) => `${f.rule}:${f.code}`);

function statementOf(file: string): InTotoStatement {
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as InTotoStatement;
}

const signedSet = (dir: string): SignedModel => readUnverifiedModelStatement(readFileSync(path.join(dir, 'model.sig')));

async function attestWith(
  dir: string,
  file: string,
  subject: SignedModel,
  type: string,
  predicate: Record<string, unknown>,
  key = `${prefix}.key`,
) {
  const { bundle } = await attestModel(subject, type, predicate, { kind: 'key', privateKeyPem: readFileSync(key, 'utf8') });
  writeFileSync(path.join(dir, file), JSON.stringify(bundle));
}

describe('check --offline on a pulled model (issue 15 acceptance)', () => {
  it('the honest pass: push and pull wrote the evidence, and with no registry running the gate exits 0', async () => {
    for (const f of ['model.sig', 'model.scan.att.sig', 'model.bom.att.sig', 'model.tlog.json'])
      expect(existsSync(path.join(pulled, f)), f).toBe(true);
    expect(existsSync(path.join(model, 'model.tlog.json'))).toBe(true);
    const run = await check(pulled);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = run.json<{
      verified: boolean;
      failed: Failed;
      version: { namespace: string; model: string; version: string };
      attestations: { predicateType: string; path: string }[];
      attestedScan: { files: number; verdicts: { incomplete: number } }[];
      log: { origin: string };
    }>();
    expect(report).toMatchObject({ verified: true, failed: [], version: { namespace: 'acme', model: 'tiny', version: '1.0.0' } });
    expect(report.attestations.map((a) => [a.predicateType, a.path]).sort()).toEqual([
      [MLBOM_PREDICATE_TYPE, 'model.bom.att.sig'],
      [SCAN_PREDICATE_TYPE, 'model.scan.att.sig'],
    ]);
    expect(report.attestedScan).toEqual([
      expect.objectContaining({ files: 11, verdicts: expect.objectContaining({ incomplete: 0 }) }),
    ]);
    expect(report.log.origin).toBe('modelsec-registry');
  });

  it('the online check (registry running) and the offline one agree: one verifier, the same verdicts', async () => {
    const honest = online.honest as CliRun;
    expect(honest.code, honest.stdout).toBe(0);
    const offlineHonest = await check(pulled);
    const verdict = (r: CliRun) => {
      const j = r.json<{ verified: boolean; signer: unknown; attestations?: unknown; verifiedAttestations?: unknown }>();
      return { verified: j.verified, signer: j.signer };
    };
    expect(verdict(offlineHonest)).toEqual(verdict(honest));
    const tampered = online.tampered as CliRun;
    expect(tampered.code).toBe(1);
    const offlineTampered = await check(online.tamperedDir);
    expect(offlineTampered.code).toBe(1);
    expect(rules(offlineTampered)).toEqual(rules(tampered));
    expect(rules(tampered)).toEqual(['local-files:SIGNING_DIGEST_MISMATCH']);
  });

  it('one byte of one file changed → local-files SIGNING_DIGEST_MISMATCH', async () => {
    const dir = copy();
    const file = path.join(dir, 'config.json');
    const bytes = readFileSync(file);
    bytes[5] = (bytes[5] as number) ^ 1;
    writeFileSync(file, bytes);
    const run = await check(dir);
    expect(run.code).toBe(1);
    expect(rules(run)).toEqual(['local-files:SIGNING_DIGEST_MISMATCH']);
    expect(failedOf(run)[0]?.message).toContain('config.json');
  });

  it('a file added → local-files SIGNING_FILE_EXTRA; a file removed → SIGNING_FILE_MISSING', async () => {
    const added = copy();
    writeFileSync(path.join(added, 'extra.py'), 'import os\n');
    const a = await check(added);
    expect(a.code).toBe(1);
    expect(rules(a)).toEqual(['local-files:SIGNING_FILE_EXTRA']);
    const removed = copy();
    rmSync(path.join(removed, 'tokenizer.json'));
    const r = await check(removed);
    expect(r.code).toBe(1);
    expect(rules(r)).toEqual(['local-files:SIGNING_FILE_MISSING']);
  });

  it('the scan attestation taken from another model (same signer) → attestations ATTESTATION_SUBJECT_MISMATCH', async () => {
    const other = path.join(mkdtempSync(path.join(work, 'other-')), 'm');
    cpSync(pulled, other, { recursive: true });
    rmSync(path.join(other, 'README.md'));
    rmSync(path.join(other, 'model.sig'));
    await ok(['sign', 'key', other, '--private-key', `${prefix}.key`]);
    await ok(['scan', other, '--attest', 'key', '--private-key', `${prefix}.key`]);
    const dir = copy();
    cpSync(path.join(other, 'model.scan.att.sig'), path.join(dir, 'model.scan.att.sig'));
    const run = await check(dir);
    expect(run.code).toBe(1);
    expect(rules(run)).toEqual(['attestations:ATTESTATION_SUBJECT_MISMATCH', 'attestations:ATTESTATION_REQUIRED']);
    expect(failedOf(run)[0]?.message).toContain('model.scan.att.sig');
  }, 60_000);

  it('an attestation signed by an untrusted key → attestations SIGNING_KEY_MISMATCH (even with the policy not requiring it)', async () => {
    const dir = copy();
    await ok(['scan', dir, '--attest', 'key', '--private-key', `${stranger}.key`]);
    const run = await check(dir);
    expect(run.code).toBe(1);
    expect(rules(run)).toEqual(['attestations:SIGNING_KEY_MISMATCH', 'attestations:ATTESTATION_REQUIRED']);
    // A stray attestation fails by itself: nothing unverified travels silently with the model.
    const loose = await check(dir, policy({ attestations: { required: [] } }));
    expect(rules(loose)).toEqual(['attestations:SIGNING_KEY_MISMATCH']);
  });

  it("an attestation whose subject lists this model's manifest digest among others → ATTESTATION_SUBJECT_MISMATCH", async () => {
    const dir = copy();
    const honest = statementOf(path.join(dir, 'model.scan.att.sig'));
    const signed = signedSet(dir);
    expect(honest.subject).toEqual([manifestSubject(signed)]);
    const statement: InTotoStatement = {
      ...honest,
      subject: [manifestSubject(signed), { name: 'other', digest: { sha256: 'ab'.repeat(32) } }],
    };
    const bundle = await signStatement(statement, { kind: 'key', privateKeyPem: readFileSync(`${prefix}.key`, 'utf8') });
    writeFileSync(path.join(dir, 'model.scan.att.sig'), JSON.stringify(bundle));
    const run = await check(dir);
    expect(run.code).toBe(1);
    expect(rules(run)).toEqual(['attestations:ATTESTATION_SUBJECT_MISMATCH', 'attestations:ATTESTATION_REQUIRED']);
    expect(failedOf(run)[0]?.message).toMatch(/2 subjects/);
  });

  it('an attestation about the bare OMS root digest (no file names bound) is refused', async () => {
    const dir = copy();
    const signed = signedSet(dir);
    const honest = statementOf(path.join(dir, 'model.scan.att.sig'));
    const { bundle } = await attestModel(
      { subjectName: signed.subjectName, rootDigest: signed.rootDigest },
      SCAN_PREDICATE_TYPE,
      honest.predicate,
      { kind: 'key', privateKeyPem: readFileSync(`${prefix}.key`, 'utf8') },
    );
    writeFileSync(path.join(dir, 'model.scan.att.sig'), JSON.stringify(bundle));
    const run = await check(dir);
    expect(run.code).toBe(1);
    expect(rules(run)[0]).toBe('attestations:ATTESTATION_SUBJECT_MISMATCH');
    expect(failedOf(run)[0]?.message).toMatch(/root digest/);
  });

  it('a scan predicate with an incomplete file under a policy that forbids it → scan SCAN_INCOMPLETE (allowed: passes)', async () => {
    const dir = copy();
    const predicate = structuredClone(statementOf(path.join(dir, 'model.scan.att.sig')).predicate) as {
      files: { path: string; verdict: string; findings: unknown[] }[];
      summary: { verdicts: { clean: number; incomplete: number } };
    };
    const target = predicate.files.find((f) => f.path === 'model-00001-of-00002.safetensors');
    if (!target) throw new Error('fixture changed');
    target.verdict = 'incomplete';
    target.findings = [{ ruleId: 'MS-ENG-002', severity: 'medium', incomplete: true, message: 'a limit was reached' }];
    predicate.summary.verdicts.clean -= 1;
    predicate.summary.verdicts.incomplete += 1;
    await attestWith(dir, 'model.scan.att.sig', signedSet(dir), SCAN_PREDICATE_TYPE, predicate);
    const run = await check(dir);
    expect(run.code).toBe(1);
    expect(rules(run)).toEqual(['scan:SCAN_INCOMPLETE']);
    expect(failedOf(run)[0]?.message).toContain('model-00001-of-00002.safetensors');
    const allowed = await check(dir, policy({ scan: { maxSeverity: 'medium', allowIncomplete: true } }));
    expect(allowed.code, allowed.stdout).toBe(0);
  });

  it('a BOM with a disallowed licence → licenses LICENSE_DENIED', async () => {
    const dir = copy();
    const bom = structuredClone(statementOf(path.join(dir, 'model.bom.att.sig')).predicate) as {
      metadata: { component: { licenses?: unknown } };
    };
    bom.metadata.component.licenses = [{ license: { id: 'GPL-3.0-only' } }];
    await attestWith(dir, 'model.bom.att.sig', signedSet(dir), MLBOM_PREDICATE_TYPE, bom);
    const run = await check(dir);
    expect(run.code).toBe(1);
    expect(rules(run)).toEqual(['licenses:LICENSE_DENIED']);
    expect(failedOf(run)[0]?.message).toContain('GPL-3.0-only');
  });

  it('the log proof from another log, or a forged checkpoint → log LOG_PROOF_INVALID; log.required without a proof fails', async () => {
    const anotherLog = generateNoteSigner('modelsec-registry').text;
    const other = await check(pulled, policy({ log: { key: anotherLog, required: true } }));
    expect(other.code).toBe(1);
    expect(rules(other)).toEqual(['log:LOG_PROOF_INVALID']);

    const forged = copy();
    const proofFile = path.join(forged, 'model.tlog.json');
    const proof = JSON.parse(readFileSync(proofFile, 'utf8')) as { checkpoint: string };
    const lines = proof.checkpoint.split('\n');
    lines[1] = String(Number(lines[1]) + 1);
    proof.checkpoint = lines.join('\n');
    writeFileSync(proofFile, JSON.stringify(proof));
    const f = await check(forged);
    expect(f.code).toBe(1);
    expect(rules(f)).toEqual(['log:LOG_PROOF_INVALID']);

    const unlogged = copy();
    rmSync(path.join(unlogged, 'model.tlog.json'));
    const u = await check(unlogged);
    expect(u.code).toBe(1);
    expect(rules(u)).toEqual(['log:EVIDENCE_NOT_LOGGED']);
    const optional = await check(unlogged, policy({ log: { key: logKey } }));
    expect(optional.code).toBe(0);
    expect(optional.json<{ warnings: string[] }>().warnings.join('\n')).toMatch(/no transparency log proof/);
  });

  it('--format sarif lists every failed rule (several at once), located at the file each names', async () => {
    const dir = copy();
    writeFileSync(path.join(dir, 'extra.bin'), 'x');
    rmSync(path.join(dir, 'model.tlog.json'));
    const run = await runCli(['check', dir, '--offline', '--policy', policy(), '--format', 'sarif'], {
      env: { ...OFFLINE_ENV, MODELSEC_CONFIG_DIR: mkdtempSync(path.join(work, 'cfg-')) },
    });
    expect(run.code).toBe(1);
    const sarif = JSON.parse(run.stdout) as {
      version: string;
      runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0]?.results ?? [];
    expect(results.map((r) => r.ruleId).sort()).toEqual(['check/local-files', 'check/log']);
    expect(results.find((r) => r.ruleId === 'check/local-files')?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      'extra.bin',
    );
  });

  it('every attestation verifies with sigstore-js (DSSE bundle, the signer key) and its predicate validates against its schema', async () => {
    const key = createPublicKey(publicKeyPem);
    const root = TrustedRoot.fromJSON({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    });
    const verifier = new Verifier(
      toTrustMaterial(root, () => ({ publicKey: key, validFor: () => true })),
      { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
    );
    const signed = signedSet(pulled);
    const { $schema: _s, ...schema } = JSON.parse(readFileSync(SCAN_ATTESTATION_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
    const validateScan = new Ajv({ strict: false, allErrors: true }).compile(schema);
    for (const file of ['model.scan.att.sig', 'model.bom.att.sig']) {
      const text = readFileSync(path.join(pulled, file), 'utf8');
      expect(() => verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(text))))).not.toThrow();
      const statement = statementOf(path.join(pulled, file));
      expect(statement.subject).toEqual([
        {
          name: signed.subjectName,
          digest: { sha256: manifestDigest(signed) },
          annotations: { [OMS_ROOT_DIGEST_ANNOTATION]: signed.rootDigest },
        },
      ]);
      if (statement.predicateType === SCAN_PREDICATE_TYPE)
        expect(validateScan(statement.predicate), JSON.stringify(validateScan.errors)).toBe(true);
      else expect(validateCycloneDx(JSON.stringify(statement.predicate)).valid).toBe(true);
    }
    // And a tampered DSSE payload does not verify with sigstore-js either.
    const bundle = JSON.parse(readFileSync(path.join(pulled, 'model.scan.att.sig'), 'utf8')) as {
      dsseEnvelope: { payload: string };
    };
    const statement = statementOf(path.join(pulled, 'model.scan.att.sig'));
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify({ ...statement, predicate: {} })).toString('base64');
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(bundle)))).toThrow();
  });
});
