/**
 * vitest globalSetup: makes sure the PostgreSQL server on 127.0.0.1:5432 is up (starting the local cluster with
 * pg_ctlcluster when it is not), creates a scratch database with a unique name, exports its URL as
 * MODELSEC_TEST_POSTGRES_URL for the PostgreSQL store tests, and drops it at the end. It fails loudly when PostgreSQL
 * cannot be reached: the PostgreSQL tests must never be skipped silently.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const ADMIN_URL = process.env.MODELSEC_TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** How long to wait for a just-started server to accept connections. */
const START_WAIT_MS = 30_000;

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function startCluster(): void {
  let versions: string[] = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    return;
  }
  for (const version of versions) {
    try {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'ignore' });
    } catch {
      // already running or not startable by this user; the reachability check below decides
    }
  }
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Scratch databases of earlier runs that were killed before their teardown (their process is gone). */
async function dropStaleScratchDatabases(): Promise<void> {
  const { rows } = await admin((c) => c.query("SELECT datname FROM pg_database WHERE datname LIKE 'modelsec\\_test\\_%'"));
  for (const { datname } of rows as { datname: string }[]) {
    const pid = Number(/^modelsec_test_(\d+)_[0-9a-f]+$/.exec(datname)?.[1]);
    if (Number.isSafeInteger(pid) && pid > 0 && !processAlive(pid))
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`)).catch(() => undefined);
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  // The CLI pins registry log keys on first use under the config dir: give each test run its own, so keys of
  // earlier runs' registries (same loopback port, new key) never meet, and the user's real config is untouched.
  const configDir = process.env.MODELSEC_CONFIG_DIR ? undefined : mkdtempSync(path.join(os.tmpdir(), 'modelsec-test-config-'));
  if (configDir) process.env.MODELSEC_CONFIG_DIR = configDir;
  if (!(await reachable())) {
    startCluster();
    const deadline = Date.now() + START_WAIT_MS;
    while (!(await reachable())) {
      if (Date.now() > deadline)
        throw new Error(
          `PostgreSQL is not reachable at ${ADMIN_URL} and could not be started (pg_ctlcluster). ` +
            'The PostgreSQL store tests need it: start it or set MODELSEC_TEST_POSTGRES_ADMIN_URL.',
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await dropStaleScratchDatabases();
  const name = `modelsec_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  process.env.MODELSEC_TEST_POSTGRES_URL = url.toString();
  return async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  };
}
