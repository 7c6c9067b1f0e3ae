import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import { addConnectionOptions, DEFAULT_REGISTRY_LISTEN, type RegistryConnectionOptions } from './connection-options.js';
import { registerQueries } from './registry-queries.js';
import { TRUSTED_ROOT_HELP } from './trust-flags.js';

export { DEFAULT_REGISTRY_LISTEN } from './connection-options.js';

export interface ServeOptions {
  data?: string;
  listen?: string;
  database?: string;
  trustedRoot?: string;
  config?: string;
  witness?: string[];
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
      action(env, async (out, options: ServeOptions & { data: string; listen: string }) =>
        (await import('./registry-serve-action.js')).runServe(env, out, options),
      ),
    );

  const namespace = registry.command('namespace').description('Create and list namespaces');
  addConnectionOptions(
    namespace
      .command('create <ns>')
      .description('Create a namespace (registry admin token)')
      .option('--public', 'anyone may read (pull, check) without a token'),
  ).action(
    action(env, async (out, ns: string, options: RegistryConnectionOptions & { public?: boolean }) =>
      (await import('./registry-action.js')).runNamespaceCreate(env, out, ns, options),
    ),
  );
  addConnectionOptions(namespace.command('list').description('Namespaces the token can read')).action(
    action(env, async (out, options: RegistryConnectionOptions) =>
      (await import('./registry-action.js')).runNamespaceList(env, out, options),
    ),
  );

  const policy = registry.command('policy').description("Set and show a namespace's policy");
  addConnectionOptions(
    policy.command('set <ns> <file>').description('Replace the namespace policy (namespace admin); the change is recorded'),
  ).action(
    action(env, async (out, ns: string, file: string, options: RegistryConnectionOptions) =>
      (await import('./registry-action.js')).runPolicySet(env, out, ns, file, options),
    ),
  );
  addConnectionOptions(policy.command('show <ns>').description('Print the current policy')).action(
    action(env, async (out, ns: string, options: RegistryConnectionOptions) =>
      (await import('./registry-action.js')).runPolicyShow(env, out, ns, options),
    ),
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
      .option('--description <text>', 'what the token is for')
      .option('--expires-in <seconds>', 'lifetime in seconds (60 to 34560000); default: the token never expires'),
  ).action(
    action(
      env,
      async (
        out,
        options: RegistryConnectionOptions & { namespace: string; scope: string; description?: string; expiresIn?: string },
      ) => (await import('./registry-action.js')).runTokenCreate(env, out, options),
    ),
  );
  addConnectionOptions(
    token
      .command('list')
      .description(
        "List tokens: id, namespace, scope, description, creator, revoked (never the secrets); a namespace's (namespace admin) or, without --namespace, every token including registry-wide ones (registry admin)",
      )
      .option('--namespace <ns>', 'namespace whose tokens to list (default: every token; registry admin token)'),
  ).action(
    action(env, async (out, options: RegistryConnectionOptions & { namespace?: string }) =>
      (await import('./registry-action.js')).runTokenList(env, out, options),
    ),
  );
  addConnectionOptions(
    token
      .command('revoke <id>')
      .description(
        'Revoke a token (the id from `token create` or `token list`); it stops working at once. Without --namespace: any token, registry-wide ones included (registry admin token)',
      )
      .option('--namespace <ns>', 'namespace the token belongs to (namespace admin token)'),
  ).action(
    action(env, async (out, id: string, options: RegistryConnectionOptions & { namespace?: string }) =>
      (await import('./registry-action.js')).runTokenRevoke(env, out, id, options),
    ),
  );
}
