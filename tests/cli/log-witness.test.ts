/**
 * The witness from the command line: `modelsec log witness keygen`, `modelsec log witness serve`, and
 * `modelsec registry serve --witness URL=KEYFILE`, as real processes over HTTP on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCosignerKey, parseCosignerVerifierKey, verifyWitnessQuorum } from '@modelsec/core';
import { createRegistry, RegistryClient } from '@modelsec/registry';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, runCli } from '../helpers/cli.js';

const ADMIN = 'msk_witness-cli-admin';
const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
});

/** Starts a long-running CLI command and resolves with its `listening` URL (from its --json result line). */
function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args, '--json'], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /"listening":\s*"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve({ child, url: m[1] as string, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err}${out}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    if (child.pid) process.kill(child.pid, 'SIGTERM');
  });
}

describe('modelsec log witness (CLI)', () => {
  it('keygen writes the witness key pair; the key files refuse to be overwritten without --force', async () => {
    const dir = tmp('modelsec-wkey-');
    const run = await runCli([
      'log',
      'witness',
      'keygen',
      '--name',
      'w1.example/witness',
      '--out',
      path.join(dir, 'w1'),
      '--json',
    ]);
    expect(run.code).toBe(0);
    const secret = readFileSync(path.join(dir, 'w1.key'), 'utf8');
    const pub = readFileSync(path.join(dir, 'w1.pub'), 'utf8').trim();
    expect(statSync(path.join(dir, 'w1.key')).mode & 0o777).toBe(0o600);
    expect(parseCosignerKey(secret).text).toBe(pub);
    expect(parseCosignerVerifierKey(pub).name).toBe('w1.example/witness');
    expect(run.json()).toMatchObject({ ok: true, name: 'w1.example/witness', key: pub });
    const again = await runCli(['log', 'witness', 'keygen', '--name', 'w1.example/witness', '--out', path.join(dir, 'w1')]);
    expect(again.code).toBe(2);
    expect(readFileSync(path.join(dir, 'w1.key'), 'utf8')).toBe(secret);
  });

  it('registry serve --witness URL=KEYFILE gets each checkpoint cosigned by `log witness serve`, which keeps its state', async () => {
    const work = tmp('modelsec-wcli-');
    const dataDir = path.join(work, 'registry');
    // The registry's log key exists once the registry started once (it is generated on first start).
    const probe = await createRegistry({ dataDir, adminToken: ADMIN, scanner: null });
    const logKey = (await probe.app.inject({ url: '/v1/log/key' })).body.trim();
    await probe.app.close();
    writeFileSync(path.join(work, 'log.pub'), `# the registry's log\n${logKey}\n`);
    expect(
      (await runCli(['log', 'witness', 'keygen', '--name', 'w1.example/witness', '--out', path.join(work, 'w1')])).code,
    ).toBe(0);
    const witnessKey = readFileSync(path.join(work, 'w1.pub'), 'utf8').trim();
    const state = path.join(work, 'witness-state');
    const witnessArgs = ['log', 'witness', 'serve', '--key', path.join(work, 'w1.key'), '--log-key', path.join(work, 'log.pub')];
    const witness = await start([...witnessArgs, '--state', state, '--port', '0']);

    const registry = await start(
      [
        'registry',
        'serve',
        '--data',
        dataDir,
        '--listen',
        '127.0.0.1:0',
        '--witness',
        `${witness.url}=${path.join(work, 'w1.pub')}`,
      ],
      { MODELSEC_ADMIN_TOKEN: ADMIN },
    );
    const admin = new RegistryClient({ baseUrl: registry.url, token: ADMIN });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'acme', public: true } });
    await admin.json('POST', '/v1/namespaces', { json: { name: 'beta', public: true } });
    const cp = await (await fetch(`${registry.url}/v1/log/checkpoint`)).text();
    expect(verifyWitnessQuorum(cp, logKey, [witnessKey], 1).checkpoint.size).toBe(2);

    expect(await stop(witness.child)).toBe(0);
    expect(witness.stderr()).toContain('witness stopped');
    const files = readdirSync(state).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(state, files[0] as string), 'utf8'))).toMatchObject({ size: 2 });
    expect(existsSync(path.join(state, 'witness.lock'))).toBe(false);

    // The witness is down: a change still goes through, and the registry says so on stderr.
    await admin.json('POST', '/v1/namespaces', { json: { name: 'gamma', public: true } });
    for (let i = 0; i < 50 && !registry.stderr().includes('witness w1.example/witness'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(registry.stderr()).toMatch(/witness w1\.example\/witness unreachable for checkpoint 3/);
    expect(await stop(registry.child)).toBe(0);
  }, 120_000);

  it('serve refuses a missing key file and a log-key file without keys (exit 2)', async () => {
    const work = tmp('modelsec-wcli-');
    writeFileSync(path.join(work, 'empty.pub'), '# nothing\n');
    const missing = await runCli([
      'log',
      'witness',
      'serve',
      '--key',
      path.join(work, 'nope.key'),
      '--log-key',
      'x',
      '--state',
      work,
      '--json',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.json()).toMatchObject({ ok: false, error: { code: 'FILE_NOT_FOUND' } });
    expect((await runCli(['log', 'witness', 'keygen', '--name', 'w', '--out', path.join(work, 'w')])).code).toBe(0);
    const empty = await runCli([
      'log',
      'witness',
      'serve',
      '--key',
      path.join(work, 'w.key'),
      '--log-key',
      path.join(work, 'empty.pub'),
      '--state',
      work,
      '--json',
    ]);
    expect(empty.code).toBe(2);
    expect(empty.json()).toMatchObject({ ok: false, error: { code: 'USAGE' } });
  });
});
