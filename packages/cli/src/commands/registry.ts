import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { clockFromEnv, ModelsecError } from '@modelsec/core';
import {
  createRegistry,
  type Policy,
  RegistryClient,
  STORAGE_LIMIT_SETTINGS,
  storageLimitsFrom,
  type WitnessEvent,
} from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import { registerQueries } from './registry-queries.js';
import { readTrustedRoot, TRUSTED_ROOT_HELP } from './verify.js';

/** Default listen address of `registry serve` (loopback: exposing the registry is an explicit choice). */
export const DEFAULT_REGISTRY_LISTEN = '127.0.0.1:8780';

export interface RegistryConnectionOptions {
  registry?: string;
  token?: string;
}

/** Runs that were already warned about plain http:// (once per command run). */
const warnedInsecure = new WeakSet<CliEnv>();

/**
 * `--registry` / MODELSEC_REGISTRY and `--token` / MODELSEC_TOKEN. The transport rule is the client's
 * (RegistryClient: CLIENT_INSECURE_TRANSPORT for a token over plain http:// to anything but loopback); every use of
 * plain http:// is warned about on stderr. TLS is pinned with NODE_EXTRA_CA_CERTS (docs/ci.md).
 */
export function clientFrom(options: RegistryConnectionOptions, env: CliEnv): RegistryClient {
  const baseUrl = options.registry ?? env.env.MODELSEC_REGISTRY;
  if (!baseUrl) throw new ModelsecError('USAGE', 'give --registry URL (or set MODELSEC_REGISTRY)');
  if (!/^https?:\/\//.test(baseUrl)) throw new ModelsecError('USAGE', `--registry must be an http(s) URL, got '${baseUrl}'`);
  const client = new RegistryClient({ baseUrl, token: options.token ?? env.env.MODELSEC_TOKEN });
  if (client.insecure && !warnedInsecure.has(env)) {
    warnedInsecure.add(env);
    env.stderr.write(
      `warning: ${baseUrl} is plain http://: anyone on the path can read and change what the registry answers (only what verifies against local trust is accepted); use https:// beyond loopback\n`,
    );
  }
  return client;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .option('--registry <url>', 'registry base URL (default: $MODELSEC_REGISTRY)')
    .option('--token <token>', 'API token (default: $MODELSEC_TOKEN)');
}

function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new ModelsecError('USAGE', `--listen takes HOST:PORT, got '${value}'`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

interface ServeOptions {
  data?: string;
  listen?: string;
  database?: string;
  trustedRoot?: string;
  config?: string;
  witness?: string[];
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

/** `modelsec registry ...`: run and administer a modelsec registry. */
export function register(program: Command, env: CliEnv): void {
  const registry = program.command('registry').description('Run and administer a modelsec registry');

  registry
    .command('serve')
    .description('Start the registry service (embedded SQLite + filesystem blobs under --data)')
    .option('--data <dir>', 'data directory', 'modelsec-registry')
    .option('--listen <host:port>', 'address to listen on', DEFAULT_REGISTRY_LISTEN)
    .option('--database <url>', 'metadata database: sqlite:PATH (default under --data) or postgres://...')
    .option('--trusted-root <file>', TRUSTED_ROOT_HELP)
    .option(
      '--config <file>',
      'JSON file with data, listen, database, trustedRoot and storage limits (maxUploadSessions, maxBytesInFlight, maxStoredBytes, uploadExpirySeconds, gcGraceSeconds, gcIntervalSeconds); flags win',
    )
    .option(
      '--witness <url=keyfile>',
      'submit each new log checkpoint to this C2SP witness (KEYFILE: its verifier key) and serve its cosignatures (repeatable)',
      collect,
    )
    .action(
      action(env, async (out, options: ServeOptions & { data: string; listen: string }) => {
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
        if (reg.generatedAdminToken) {
          out.stdout.write(`admin token (shown once, store it now): ${reg.generatedAdminToken}\n`);
        }
        out.result({ listening: url, data: dataDir }, () => `modelsec registry listening on ${url} (data: ${dataDir})`);
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
      }),
    );

  const namespace = registry.command('namespace').description('Create and list namespaces');
  addConnectionOptions(
    namespace
      .command('create <ns>')
      .description('Create a namespace (registry admin token)')
      .option('--public', 'anyone may read (pull, check) without a token'),
  ).action(
    action(env, async (out, ns: string, options: RegistryConnectionOptions & { public?: boolean }) => {
      const created = await clientFrom(options, env).json<Record<string, unknown>>('POST', '/v1/namespaces', {
        json: { name: ns, public: Boolean(options.public) },
      });
      out.result({ namespace: created }, () => `created namespace ${ns}${options.public ? ' (public)' : ''}`);
    }),
  );
  addConnectionOptions(namespace.command('list').description('Namespaces the token can read')).action(
    action(env, async (out, options: RegistryConnectionOptions) => {
      const { namespaces } = await clientFrom(options, env).json<{ namespaces: { name: string; public: boolean }[] }>(
        'GET',
        '/v1/namespaces',
      );
      out.result({ namespaces }, () => namespaces.map((n) => `${n.name}${n.public ? ' (public)' : ''}`).join('\n') || '(none)');
    }),
  );

  const policy = registry.command('policy').description("Set and show a namespace's policy");
  addConnectionOptions(
    policy.command('set <ns> <file>').description('Replace the namespace policy (namespace admin); the change is recorded'),
  ).action(
    action(env, async (out, ns: string, file: string, options: RegistryConnectionOptions) => {
      let document: Policy;
      try {
        document = JSON.parse(await readFile(path.resolve(env.cwd, file), 'utf8')) as Policy;
      } catch (error) {
        throw new ModelsecError('INVALID_JSON', `${file}: not a readable JSON policy`, { cause: error, details: { file } });
      }
      const r = await clientFrom(options, env).json<{ version: number }>('PUT', `/v1/namespaces/${ns}/policy`, {
        json: document,
      });
      out.result({ namespace: ns, version: r.version }, () => `policy of ${ns} is now version ${r.version}`);
    }),
  );
  addConnectionOptions(policy.command('show <ns>').description('Print the current policy')).action(
    action(env, async (out, ns: string, options: RegistryConnectionOptions) => {
      const r = await clientFrom(options, env).json<{ version: number; policy: unknown }>('GET', `/v1/namespaces/${ns}/policy`);
      out.result({ namespace: ns, version: r.version, policy: r.policy }, () =>
        r.policy
          ? JSON.stringify(r.policy, null, 2)
          : 'default policy: any valid signature, refuse scan findings at high or above',
      );
    }),
  );

  registerQueries(registry, env);

  const token = registry
    .command('token')
    .description('Create, list and revoke API tokens (namespace admin; registry-wide with the registry admin token)');
  addConnectionOptions(
    token
      .command('create')
      .description('Create a token for a namespace (printed once)')
      .requiredOption('--namespace <ns>', 'namespace the token acts on')
      .requiredOption('--scope <scope>', 'read | push | admin')
      .option('--description <text>', 'what the token is for'),
  ).action(
    action(env, async (out, options: RegistryConnectionOptions & { namespace: string; scope: string; description?: string }) => {
      if (!['read', 'push', 'admin'].includes(options.scope))
        throw new ModelsecError('USAGE', `--scope takes read, push or admin, got '${options.scope}'`);
      const r = await clientFrom(options, env).json<{ id: string; token: string }>(
        'POST',
        `/v1/namespaces/${options.namespace}/tokens`,
        {
          json: { scope: options.scope, ...(options.description ? { description: options.description } : {}) },
        },
      );
      out.result({ id: r.id, token: r.token, namespace: options.namespace, scope: options.scope }, () => r.token);
    }),
  );
  addConnectionOptions(
    token
      .command('list')
      .description(
        "List tokens: id, namespace, scope, description, creator, revoked (never the secrets); a namespace's (namespace admin) or, without --namespace, every token including registry-wide ones (registry admin)",
      )
      .option('--namespace <ns>', 'namespace whose tokens to list (default: every token; registry admin token)'),
  ).action(
    action(env, async (out, options: RegistryConnectionOptions & { namespace?: string }) => {
      const { tokens } = await clientFrom(options, env).json<{
        tokens: {
          id: string;
          namespace?: string | null;
          scope: string;
          description: string;
          createdAt: string;
          createdBy: string;
          revoked: boolean;
          revokedAt?: string | null;
        }[];
      }>('GET', options.namespace ? `/v1/namespaces/${options.namespace}/tokens` : '/v1/tokens');
      const where = options.namespace ?? 'the registry';
      out.result({ ...(options.namespace ? { namespace: options.namespace } : {}), tokens }, () =>
        tokens.length === 0
          ? `no tokens in ${where}`
          : tokens
              .map(
                (t) =>
                  `${t.id}  ${options.namespace ? '' : `${(t.namespace ?? '(registry-wide)').padEnd(16)}  `}${t.scope.padEnd(5)}  ${t.revoked ? `revoked${t.revokedAt ? ` ${t.revokedAt}` : ''}` : 'active '}  ${t.createdAt}  by ${t.createdBy}${t.description ? `  ${t.description}` : ''}`,
              )
              .join('\n'),
      );
    }),
  );
  addConnectionOptions(
    token
      .command('revoke <id>')
      .description(
        'Revoke a token (the id from `token create` or `token list`); it stops working at once. Without --namespace: any token, registry-wide ones included (registry admin token)',
      )
      .option('--namespace <ns>', 'namespace the token belongs to (namespace admin token)'),
  ).action(
    action(env, async (out, id: string, options: RegistryConnectionOptions & { namespace?: string }) => {
      const r = await clientFrom(options, env).json<{ id: string; namespace?: string | null; revoked: boolean }>(
        'DELETE',
        options.namespace
          ? `/v1/namespaces/${options.namespace}/tokens/${encodeURIComponent(id)}`
          : `/v1/tokens/${encodeURIComponent(id)}`,
      );
      const owner = options.namespace ?? r.namespace ?? null;
      out.result({ ...r, namespace: owner }, () => `revoked token ${r.id} of ${owner ?? 'the registry (registry-wide)'}`);
    }),
  );
}
