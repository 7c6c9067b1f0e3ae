/** The actions of the registry administration commands: namespaces, policies, tokens. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import type { Policy } from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { RegistryConnectionOptions } from './connection-options.js';
import { clientFrom } from './registry-client.js';

export async function runNamespaceCreate(
  env: CliEnv,
  out: Output,
  ns: string,
  options: RegistryConnectionOptions & { public?: boolean },
) {
  const created = await clientFrom(options, env).json<Record<string, unknown>>('POST', '/v1/namespaces', {
    json: { name: ns, public: Boolean(options.public) },
  });
  out.result({ namespace: created }, () => `created namespace ${ns}${options.public ? ' (public)' : ''}`);
}

export async function runNamespaceList(env: CliEnv, out: Output, options: RegistryConnectionOptions) {
  const { namespaces } = await clientFrom(options, env).json<{ namespaces: { name: string; public: boolean }[] }>(
    'GET',
    '/v1/namespaces',
  );
  out.result({ namespaces }, () => namespaces.map((n) => `${n.name}${n.public ? ' (public)' : ''}`).join('\n') || '(none)');
}

export async function runPolicySet(env: CliEnv, out: Output, ns: string, file: string, options: RegistryConnectionOptions) {
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
}

export async function runPolicyShow(env: CliEnv, out: Output, ns: string, options: RegistryConnectionOptions) {
  const r = await clientFrom(options, env).json<{ version: number; policy: unknown }>('GET', `/v1/namespaces/${ns}/policy`);
  out.result({ namespace: ns, version: r.version, policy: r.policy }, () =>
    r.policy ? JSON.stringify(r.policy, null, 2) : 'default policy: any valid signature, refuse scan findings at high or above',
  );
}

export async function runTokenCreate(
  env: CliEnv,
  out: Output,
  options: RegistryConnectionOptions & { namespace: string; scope: string; description?: string; expiresIn?: string },
) {
  if (!['read', 'push', 'admin'].includes(options.scope))
    throw new ModelsecError('USAGE', `--scope takes read, push or admin, got '${options.scope}'`);
  if (options.expiresIn !== undefined && !/^[1-9][0-9]{0,9}$/.test(options.expiresIn))
    throw new ModelsecError('USAGE', `--expires-in takes a whole number of seconds, got '${options.expiresIn}'`);
  const r = await clientFrom(options, env).json<{ id: string; token: string; expiresAt?: string | null }>(
    'POST',
    `/v1/namespaces/${options.namespace}/tokens`,
    {
      json: {
        scope: options.scope,
        ...(options.description ? { description: options.description } : {}),
        ...(options.expiresIn !== undefined ? { expiresInSeconds: Number(options.expiresIn) } : {}),
      },
    },
  );
  out.result(
    { id: r.id, token: r.token, namespace: options.namespace, scope: options.scope, expiresAt: r.expiresAt ?? null },
    () => r.token,
  );
}

export async function runTokenList(env: CliEnv, out: Output, options: RegistryConnectionOptions & { namespace?: string }) {
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
      expiresAt?: string | null;
      expired?: boolean;
    }[];
  }>('GET', options.namespace ? `/v1/namespaces/${options.namespace}/tokens` : '/v1/tokens');
  const where = options.namespace ?? 'the registry';
  out.result({ ...(options.namespace ? { namespace: options.namespace } : {}), tokens }, () =>
    tokens.length === 0
      ? `no tokens in ${where}`
      : tokens
          .map(
            (t) =>
              `${t.id}  ${options.namespace ? '' : `${(t.namespace ?? '(registry-wide)').padEnd(16)}  `}${t.scope.padEnd(5)}  ${t.revoked ? `revoked${t.revokedAt ? ` ${t.revokedAt}` : ''}` : t.expired ? `expired ${t.expiresAt}` : 'active '}  ${t.createdAt}  by ${t.createdBy}${!t.revoked && !t.expired && t.expiresAt ? `  expires ${t.expiresAt}` : ''}${t.description ? `  ${t.description}` : ''}`,
          )
          .join('\n'),
  );
}

export async function runTokenRevoke(
  env: CliEnv,
  out: Output,
  id: string,
  options: RegistryConnectionOptions & { namespace?: string },
) {
  const r = await clientFrom(options, env).json<{ id: string; namespace?: string | null; revoked: boolean }>(
    'DELETE',
    options.namespace
      ? `/v1/namespaces/${options.namespace}/tokens/${encodeURIComponent(id)}`
      : `/v1/tokens/${encodeURIComponent(id)}`,
  );
  const owner = options.namespace ?? r.namespace ?? null;
  out.result({ ...r, namespace: owner }, () => `revoked token ${r.id} of ${owner ?? 'the registry (registry-wide)'}`);
}
