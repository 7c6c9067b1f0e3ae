/** `modelsec registry serve`: the one command that loads the registry server (fastify, the database drivers). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { clockFromEnv } from '@modelsec/core/util';
import { createRegistry, STORAGE_LIMIT_SETTINGS, storageLimitsFrom, type WitnessEvent } from '@modelsec/registry/server';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { DEFAULT_REGISTRY_LISTEN } from './connection-options.js';
import type { ServeOptions } from './registry.js';
import { readTrustedRoot } from './trusted-root.js';

function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new ModelsecError('USAGE', `--listen takes HOST:PORT, got '${value}'`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

/** `--witness URL=KEYFILE`: the witness's submission prefix and a file holding its verifier key. */
async function readWitnesses(env: CliEnv, values: readonly string[]): Promise<{ url: string; key: string }[]> {
  const witnesses: { url: string; key: string }[] = [];
  for (const value of values) {
    const split = value.lastIndexOf('=');
    const url = value.slice(0, split);
    if (split <= 0 || !/^https?:\/\//.test(url))
      throw new ModelsecError('USAGE', `--witness takes URL=KEYFILE (an http(s) URL), got '${value}'`, { details: { value } });
    const file = path.resolve(env.cwd, value.slice(split + 1));
    const key = await readFile(file, 'utf8').catch((cause: unknown) => {
      throw new ModelsecError('FILE_NOT_FOUND', `--witness ${value}: cannot read the key file`, {
        cause,
        details: { path: file },
      });
    });
    witnesses.push({ url, key: key.trim() });
  }
  return witnesses;
}

/** Keys of `registry serve --config FILE` (each a string; flags win). */
const SERVE_CONFIG_KEYS = ['data', 'listen', 'database', 'trustedRoot'] as const;
/** Storage limit keys of the config file (whole numbers; MODELSEC_REGISTRY_* environment variables win). */
const STORAGE_CONFIG_KEYS: readonly string[] = STORAGE_LIMIT_SETTINGS.map((s) => s.config);

async function loadServeConfig(file: string | undefined): Promise<ServeOptions & Record<string, unknown>> {
  if (!file) return {};
  const allowed = [...SERVE_CONFIG_KEYS, ...STORAGE_CONFIG_KEYS].join(', ');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ModelsecError('INVALID_CONFIG', `${file}: not a readable JSON object {${allowed}}`, {
      cause: error,
    });
  }
  const c = parsed as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    const storage = STORAGE_CONFIG_KEYS.includes(key);
    const ok = storage
      ? typeof c[key] === 'number' || typeof c[key] === 'string'
      : (SERVE_CONFIG_KEYS as readonly string[]).includes(key) && typeof c[key] === 'string';
    if (!ok) {
      throw new ModelsecError(
        'INVALID_CONFIG',
        `${file}: unknown key '${key}' or a value of the wrong type (allowed: ${allowed})`,
        {
          details: { file, key },
        },
      );
    }
  }
  return c as ServeOptions & Record<string, unknown>;
}

/** The action of `modelsec registry serve`: listen until SIGINT or SIGTERM. */
export async function runServe(env: CliEnv, out: Output, options: ServeOptions & { data: string; listen: string }) {
  const config = await loadServeConfig(options.config);
  const dataDir = path.resolve(env.cwd, config.data && options.data === 'modelsec-registry' ? config.data : options.data);
  const listen = parseListen(config.listen && options.listen === DEFAULT_REGISTRY_LISTEN ? config.listen : options.listen);
  const databaseUrl = options.database ?? config.database;
  const adminToken = env.env.MODELSEC_ADMIN_TOKEN;
  const trustedRootFile = options.trustedRoot ?? config.trustedRoot;
  const sigstoreTrustedRoot = trustedRootFile ? await readTrustedRoot(env, trustedRootFile) : undefined;
  const witnesses = await readWitnesses(env, options.witness ?? []);
  const storage = storageLimitsFrom(config, env.env);
  const reg = await createRegistry({
    dataDir,
    storage,
    ...(witnesses.length > 0
      ? {
          witnesses,
          onWitnessEvent: (event: WitnessEvent) => {
            if (event.kind === 'cosigned') return;
            const detail =
              event.kind === 'refused'
                ? `refused checkpoint ${event.size} (HTTP ${event.status}${event.fork ? ', it saw another tree: FORK?' : ''}): ${event.message}`
                : event.kind === 'ahead'
                  ? `has cosigned size ${event.witnessSize}, larger than this log's ${event.size}: was this data directory restored from a backup?`
                  : `unreachable for checkpoint ${event.size}: ${event.message}`;
            out.warn(`witness ${event.witness} ${detail}`);
          },
        }
      : {}),
    ...(sigstoreTrustedRoot !== undefined ? { sigstoreTrustedRoot } : {}),
    clock: clockFromEnv(env.env),
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(adminToken ? { adminToken } : {}),
  });
  const url = await reg.app.listen({ host: listen.host, port: listen.port });
  // With --json the generated token is a field of the one JSON document on stdout, not a line before it.
  if (reg.generatedAdminToken && !out.json) {
    out.stdout.write(`admin token (shown once, store it now): ${reg.generatedAdminToken}\n`);
  }
  out.result(
    { listening: url, data: dataDir, ...(reg.generatedAdminToken ? { adminToken: reg.generatedAdminToken } : {}) },
    () => `modelsec registry listening on ${url} (data: ${dataDir})`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      reg.app.close().then(
        () => resolve(),
        () => resolve(),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out.info('registry stopped');
}
