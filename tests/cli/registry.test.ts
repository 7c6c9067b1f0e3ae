import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, runCli } from '../helpers/cli.js';

const ADMIN = 'msk_cli-test-admin';
const work = mkdtempSync(path.join(os.tmpdir(), 'modelsec-registry-cli-'));
/** Every server started, killed at the end even when a test timed out before its own cleanup. */
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

interface Server {
  url: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `modelsec registry serve` on a free loopback port as a child process. */
function startServer(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI_BIN, 'registry', 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--json'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1', MODELSEC_ADMIN_TOKEN: ADMIN, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.push(child);
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /"listening":\s*"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        resolve({
          url: m[1] as string,
          child,
          stop: (signal = 'SIGTERM') =>
            new Promise((done) => {
              child.once('close', () => done());
              child.kill(signal);
            }),
        });
      }
    });
    child.once('close', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

describe('modelsec registry / push / pull / check (child processes over HTTP)', () => {
  let server: Server;
  let env: NodeJS.ProcessEnv;
  const model = path.join(work, 'model');
  beforeAll(async () => {
    server = await startServer(path.join(work, 'data'));
    env = { MODELSEC_REGISTRY: server.url, MODELSEC_TOKEN: ADMIN };
    cpSync(path.join(REPO_ROOT, 'fixtures', 'models', 'hf-tiny-llama'), model, { recursive: true });
  }, 60_000);
  afterAll(async () => server.stop());

  it('creates a namespace, policy and token, pushes a signed model, checks it (0), catches tampering (1), pulls it', async () => {
    expect((await runCli(['registry', 'namespace', 'create', 'acme'], { env })).code).toBe(0);
    const policy = path.join(work, 'policy.json');
    writeFileSync(policy, JSON.stringify({ scan: { required: false, maxSeverity: 'medium' } }));
    expect((await runCli(['registry', 'policy', 'set', 'acme', policy], { env })).code).toBe(0);
    const token = await runCli(['registry', 'token', 'create', '--namespace', 'acme', '--scope', 'push', '--json'], { env });
    const pushToken = token.json<{ token: string }>().token;
    expect(pushToken).toMatch(/^msk_/);

    const prefix = path.join(work, 'signer');
    expect((await runCli(['keygen', '--out', prefix])).code).toBe(0);
    expect((await runCli(['sign', 'key', model, '--private-key', `${prefix}.key`])).code).toBe(0);

    const pushEnv = { MODELSEC_REGISTRY: server.url, MODELSEC_TOKEN: pushToken };
    const pushed = await runCli(['push', model, 'acme/tiny@1.0.0', '--public-key', `${prefix}.pub`], { env: pushEnv });
    // Only the warning that the registry URL is plain http:// (loopback here).
    expect(pushed.stderr).toMatch(/^warning: http:\/\/127\.0\.0\.1:\d+ is plain http:\/\/[^\n]*\n$/);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain('accepted acme/tiny@1.0.0');
    const again = await runCli(['push', model, 'acme/tiny@1.0.0', '--public-key', `${prefix}.pub`, '--json'], { env: pushEnv });
    expect(again.code).toBe(1);
    expect(again.json()).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    // Auditor queries: versions, one version in full, versions by file digest and by signer key, the audit log.
    const versions = await runCli(['registry', 'versions', 'acme/tiny'], { env: pushEnv });
    expect(versions.code).toBe(0);
    expect(versions.stdout).toMatch(
      /^acme\/tiny@1\.0\.0 {2}[0-9a-f]{16} {2}signed by [0-9a-f]{64} {2}scan scanned {2}published /,
    );
    const shown = await runCli(['registry', 'show', 'acme/tiny@1.0.0', '--json'], { env: pushEnv });
    const shownVersion = shown.json<{
      version: { files: { path: string; digest: string }[]; signer: { keyFingerprint: string } };
    }>().version;
    const configDigest = shownVersion.files.find((f) => f.path === 'config.json')?.digest as string;
    expect(configDigest).toBe(
      createHash('sha256')
        .update(readFileSync(path.join(model, 'config.json')))
        .digest('hex'),
    );
    const byFile = await runCli(['registry', 'find', '--file-digest', configDigest, '--json'], { env: pushEnv });
    expect(byFile.json<{ versions: { version: string }[] }>().versions.map((v) => v.version)).toEqual(['1.0.0']);
    const byKey = await runCli(['registry', 'find', '--signer-key', shownVersion.signer.keyFingerprint], { env: pushEnv });
    expect(byKey.stdout).toContain('acme/tiny@1.0.0');
    const badFind = await runCli(['registry', 'find', '--file-digest', 'abc', '--json'], { env: pushEnv });
    expect(badFind.code).toBe(2);
    const audit = await runCli(['registry', 'audit', '--namespace', 'acme', '--json'], { env });
    const entries = audit.json<{ entries: { action: string; outcome: string }[] }>().entries;
    expect(entries).toContainEqual(expect.objectContaining({ outcome: 'refused' }));
    expect(entries).toContainEqual(expect.objectContaining({ outcome: 'ok' }));

    const ok = await runCli(['check', model, '--name', 'acme/tiny@^1', '--public-key', `${prefix}.pub`], { env: pushEnv });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /verified: acme\/tiny@1\.0\.0 \(root [0-9a-f]{64}\)\n {2}signed by key [0-9a-f]{64}, trusted by the command line/,
    );

    const out = path.join(work, 'pulled');
    const pulled = await runCli(['pull', 'acme/tiny@1.0.0', '-o', out, '--public-key', `${prefix}.pub`], { env: pushEnv });
    expect(pulled.code).toBe(0);
    expect(readFileSync(path.join(out, 'config.json'))).toEqual(readFileSync(path.join(model, 'config.json')));

    writeFileSync(path.join(model, 'config.json'), '{"tampered": true}');
    const bad = await runCli(['check', model, '--name', 'acme/tiny', '--public-key', `${prefix}.pub`, '--json'], {
      env: pushEnv,
    });
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({
      ok: true,
      verified: false,
      failed: [{ rule: 'local-files', code: 'SIGNING_DIGEST_MISMATCH', message: 'config.json differs from the signed digest' }],
    });
    // The online gate prints SARIF too (--format sarif), and --sarif-file writes it beside the JSON result of the same run.
    const sarifFile = path.join(work, 'check.sarif');
    const both = await runCli(
      ['check', model, '--name', 'acme/tiny', '--public-key', `${prefix}.pub`, '--json', '--sarif-file', sarifFile],
      { env: pushEnv },
    );
    expect(both.code).toBe(1);
    expect(both.json()).toMatchObject({ ok: true, verified: false, failed: [{ rule: 'local-files' }] });
    type Sarif = {
      version: string;
      runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    const written = JSON.parse(readFileSync(sarifFile, 'utf8')) as Sarif;
    expect(written.version).toBe('2.1.0');
    expect(written.runs[0]?.results.map((r) => [r.ruleId, r.locations[0]?.physicalLocation.artifactLocation.uri])).toEqual([
      ['check/local-files', 'config.json'],
    ]);
    const printed = await runCli(['check', model, '--name', 'acme/tiny', '--public-key', `${prefix}.pub`, '--format', 'sarif'], {
      env: pushEnv,
    });
    expect(printed.code).toBe(1);
    expect((JSON.parse(printed.stdout) as Sarif).runs[0]?.results.map((r) => r.ruleId)).toEqual(['check/local-files']);

    const denied = await runCli(['registry', 'namespace', 'create', 'other', '--json'], { env: pushEnv });
    expect(denied.code).toBe(2);
    expect(denied.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });

    // The admin lists the namespace's tokens (never the secrets) and revokes the push token: it stops working.
    const tokenId = token.json<{ id: string }>().id;
    const listed = await runCli(['registry', 'token', 'list', '--namespace', 'acme', '--json'], { env });
    expect(listed.code).toBe(0);
    expect(listed.json<{ tokens: { id: string; scope: string }[] }>().tokens).toContainEqual(
      expect.objectContaining({ id: tokenId, scope: 'push', revoked: false }),
    );
    expect(listed.stdout).not.toContain(pushToken);
    const revoked = await runCli(['registry', 'token', 'revoke', tokenId, '--namespace', 'acme'], { env });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked token ${tokenId}`);
    const pulledAgain = path.join(work, 'pulled-again');
    const afterRevoke = await runCli(['pull', 'acme/tiny@1.0.0', '-o', pulledAgain, '--public-key', `${prefix}.pub`, '--json'], {
      env: pushEnv,
    });
    expect(afterRevoke.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect(existsSync(pulledAgain), 'nothing is written with a revoked token').toBe(false);
  }, 180_000);

  it('push --bom and --attestation satisfy a policy that requires an ML-BOM, an allowed license and an attestation', async () => {
    const ml = path.join(work, 'ml-model');
    cpSync(path.join(REPO_ROOT, 'fixtures', 'models', 'hf-tiny-llama'), ml, { recursive: true });
    expect((await runCli(['registry', 'namespace', 'create', 'ml'], { env })).code).toBe(0);
    const policy = path.join(work, 'ml-policy.json');
    const bomType = 'https://cyclonedx.org/bom';
    writeFileSync(
      policy,
      JSON.stringify({
        scan: { required: false },
        mlbom: { required: true },
        licenses: { allowed: ['Apache-2.0'] },
        attestations: { required: [bomType] },
      }),
    );
    expect((await runCli(['registry', 'policy', 'set', 'ml', policy], { env })).code).toBe(0);
    const prefix = path.join(work, 'ml-signer');
    expect((await runCli(['keygen', '--out', prefix])).code).toBe(0);
    expect((await runCli(['sign', 'key', ml, '--private-key', `${prefix}.key`])).code).toBe(0);
    const bom = path.join(work, 'ml-bom.json');
    expect((await runCli(['bom', ml, '-o', bom])).code).toBe(0);
    const attested = await runCli(
      ['attest', 'key', ml, '--private-key', `${prefix}.key`, '--predicate', bom, '--predicate-type', bomType, '--json'],
      {},
    );
    expect(attested.code).toBe(0);
    const attestation = path.join(ml, 'model.cyclonedx.org_bom.att.sig');
    expect(existsSync(attestation)).toBe(true);

    const failedRules = (res: { json(): unknown }) =>
      (res.json() as { error: { details: { failed: { rule: string }[] } } }).error.details.failed.map((f) => f.rule).sort();
    const bare = await runCli(
      ['push', ml, 'ml/tiny@1.0.0', '--public-key', `${prefix}.pub`, '--no-auto-attestations', '--json'],
      { env },
    );
    expect(bare.code).toBe(1);
    // Every failed rule is listed: without an ML-BOM the licenses cannot be checked either.
    expect(failedRules(bare)).toEqual(['attestations', 'licenses', 'mlbom']);
    // By default the attestation beside model.sig travels with the push: only the ML-BOM is missing.
    const auto = await runCli(['push', ml, 'ml/tiny@1.0.0', '--public-key', `${prefix}.pub`, '--json'], { env });
    expect(auto.code).toBe(1);
    expect(failedRules(auto)).toEqual(['licenses', 'mlbom']);

    const pushed = await runCli(
      ['push', ml, 'ml/tiny@1.0.0', '--public-key', `${prefix}.pub`, '--bom', bom, '--attestation', attestation, '--json'],
      { env },
    );
    expect(pushed.code).toBe(0);
    const version = (await (
      await fetch(`${server.url}/v1/namespaces/ml/models/tiny/versions/1.0.0`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as { attachments: { kind: string; predicateType: string | null }[] };
    const bomOut = path.join(work, 'ml-bom-from-registry.json');
    const shown = await runCli(['registry', 'show', 'ml/tiny@1.0.0', '--bom-out', bomOut], { env });
    expect(shown.code).toBe(0);
    expect(readFileSync(bomOut)).toEqual(readFileSync(bom));
    expect(version.attachments.map((a) => [a.kind, a.predicateType]).sort()).toEqual([
      ['attestation', bomType],
      ['bundle', null],
      ['mlbom', null],
      ['registry-scan', null],
    ]);
  }, 180_000);
});

describe('registry query commands with bad arguments', () => {
  it('refuse before any request, exit 2 with a stable code naming the argument', async () => {
    const env = { MODELSEC_REGISTRY: 'http://127.0.0.1:9', MODELSEC_TOKEN: ADMIN };
    const noVersion = await runCli(['registry', 'show', 'acme/tiny', '--json'], { env });
    expect(noVersion.code).toBe(2);
    expect(noVersion.json()).toMatchObject({ error: { code: 'USAGE', message: expect.stringContaining('NS/NAME@VERSION') } });
    const badLimit = await runCli(['registry', 'audit', '--limit', '0', '--json'], { env });
    expect(badLimit.code).toBe(2);
    expect(badLimit.json()).toMatchObject({ error: { code: 'USAGE', message: expect.stringContaining('--limit') } });
    const nothing = await runCli(['registry', 'find', '--json'], { env });
    expect(nothing.code).toBe(2);
    expect(nothing.json()).toMatchObject({ error: { code: 'USAGE', message: expect.stringContaining('--file-digest') } });
    const badRef = await runCli(['registry', 'versions', '../etc', '--json'], { env });
    expect(badRef.code).toBe(2);
    expect(badRef.json()).toMatchObject({ error: { code: 'USAGE' } });
  });
});

describe('registry serve --trusted-root', () => {
  it('refuses to start with a file that is not a Sigstore trusted root (exit 2, INVALID_CONFIG)', async () => {
    const bad = path.join(work, 'bad-root.json');
    writeFileSync(bad, JSON.stringify({ mediaType: 'application/json', tlogs: [] }));
    const r = await runCli(['registry', 'serve', '--data', path.join(work, 'never'), '--trusted-root', bad, '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'INVALID_CONFIG' } });
    expect(existsSync(path.join(work, 'never'))).toBe(false);
  });
});

/** Quotas and garbage collection on, tight: a sweep every second, a one-minute grace, small per-namespace quotas. */
const STORAGE_LIMITS_ENV = {
  MODELSEC_REGISTRY_MAX_UPLOAD_SESSIONS: '2',
  MODELSEC_REGISTRY_MAX_BYTES_IN_FLIGHT: String(8 * 1024 * 1024),
  MODELSEC_REGISTRY_MAX_STORED_BYTES: String(16 * 1024 * 1024),
  MODELSEC_REGISTRY_UPLOAD_EXPIRY_SECONDS: '600',
  MODELSEC_REGISTRY_GC_GRACE_SECONDS: '60',
  MODELSEC_REGISTRY_GC_INTERVAL_SECONDS: '1',
};

describe('registry killed mid-upload (quotas and garbage collection enabled)', () => {
  it('shows no partial blob after restart and the upload resumes where it stopped', async () => {
    const dataDir = path.join(work, 'crash-data');
    let server = await startServer(dataDir, STORAGE_LIMITS_ENV);
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    await fetch(`${server.url}/v1/namespaces`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'acme' }) });
    const { id } = (await (
      await fetch(`${server.url}/v1/namespaces/acme/uploads`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as { id: string };
    const bytes = randomBytes(4 * 1024 * 1024);
    const digest = createHash('sha256').update(bytes).digest('hex');

    // Send half of a chunk, then kill the server with SIGKILL while the request is still open.
    const half = bytes.subarray(0, 2 * 1024 * 1024);
    const u = new URL(`${server.url}/v1/namespaces/acme/uploads/${id}`);
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'application/octet-stream',
        'content-length': bytes.length,
        'upload-offset': 0,
      },
    });
    req.on('error', () => undefined);
    await new Promise<void>((resolve) => req.write(half, () => resolve()));
    await new Promise((r) => setTimeout(r, 200));
    await server.stop('SIGKILL');
    req.destroy();

    server = await startServer(dataDir, STORAGE_LIMITS_ENV);
    // Sweeps run (every second) while the upload resumes; the interrupted session is neither expired nor counted twice.
    await new Promise((r) => setTimeout(r, 1500));
    const u2 = new URL(`${server.url}/v1/namespaces/acme/uploads/${id}`);
    try {
      const head = await fetch(`${server.url}/v1/namespaces/acme/blobs/${digest}`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(head.status).toBe(404);
      const blobDir = path.join(dataDir, 'blobs', 'sha256', digest.slice(0, 2));
      expect(existsSync(blobDir) ? readdirSync(blobDir) : []).toEqual([]);
      const { offset } = (await (await fetch(u2, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
        offset: number;
      };
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThanOrEqual(half.length);
      const rest = bytes.subarray(offset);
      const patch = await fetch(u2, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${ADMIN}`,
          'content-type': 'application/octet-stream',
          'upload-offset': String(offset),
        },
        body: rest,
      });
      expect(patch.status).toBe(200);
      const finish = await fetch(`${u2}?digest=${digest}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(finish.status).toBe(201);
      expect(
        (
          await fetch(`${server.url}/v1/namespaces/acme/blobs/${digest}`, {
            method: 'HEAD',
            headers: { authorization: `Bearer ${ADMIN}` },
          })
        ).status,
      ).toBe(200);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
