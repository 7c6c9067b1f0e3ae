/**
 * Registry processes for storage tests: `modelsec registry serve` (the built CLI) as child processes, on a fresh
 * PostgreSQL schema of the test database (tests/setup/postgres.ts) or the embedded SQLite store, and raw HTTP
 * helpers that can hold a request body open (to race it against another request).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import pg from 'pg';
import { CLI_BIN, REPO_ROOT } from './cli.js';

export interface ServedRegistry {
  url: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const started: ChildProcess[] = [];
/** Kills every process these helpers started (call from afterAll). */
export function killAllRegistries(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A new, empty PostgreSQL schema in the test database; the URL selects it (search_path). */
export async function freshPostgresSchema(): Promise<string> {
  const base = process.env.MODELSEC_TEST_POSTGRES_URL;
  if (!base) throw new Error('MODELSEC_TEST_POSTGRES_URL is not set: the vitest globalSetup tests/setup/postgres.ts did not run');
  const schema = `storage_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export function serveRegistry(
  dataDir: string,
  options: { databaseUrl?: string; adminToken: string; env?: NodeJS.ProcessEnv; args?: string[] },
): Promise<ServedRegistry> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        CLI_BIN,
        'registry',
        'serve',
        '--data',
        dataDir,
        '--listen',
        '127.0.0.1:0',
        '--json',
        ...(options.databaseUrl ? ['--database', options.databaseUrl] : []),
        ...(options.args ?? []),
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1', MODELSEC_ADMIN_TOKEN: options.adminToken, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.push(child);
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /"listening":\s*"(http:\/\/[^"]+)"/.exec(out);
      if (m)
        resolve({
          url: m[1] as string,
          child,
          stop: (signal = 'SIGTERM') =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('close', () => done());
              child.kill(signal);
            }),
        });
    });
    child.once('close', (code) => reject(new Error(`registry exited ${code}: ${err}${out}`)));
  });
}

export interface HeldRequest {
  req: ClientRequest;
  /** Sends `bytes` and ends the body; resolves with the answer. */
  finish(bytes: Uint8Array): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Starts a request with a body of `length` bytes, sends `first` of them and holds the rest. */
export async function holdRequest(
  url: string,
  method: string,
  headers: Record<string, string | number>,
  length: number,
  first: Uint8Array,
): Promise<HeldRequest> {
  const u = new URL(url);
  const req = request({
    host: u.hostname,
    port: u.port,
    path: `${u.pathname}${u.search}`,
    method,
    headers: { ...headers, 'content-length': length },
  });
  const answer = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  await new Promise<void>((resolve) => req.write(first, () => resolve()));
  return {
    req,
    finish: async (bytes) => {
      req.end(bytes);
      return answer;
    },
  };
}
