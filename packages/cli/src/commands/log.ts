import path from 'node:path';
import { decodeLogEntry, type LogEntry, ModelsecError } from '@modelsec/core';
import {
  fetchLogEntry,
  fetchLogKey,
  type LogTrustOptions,
  modelsecConfigDir,
  type RegistryClient,
  replayLog,
  verifiedCheckpoint,
} from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv, parseIntegerOption } from '../command-kit.js';
import { addConnectionOptions, clientFrom, type RegistryConnectionOptions } from './registry.js';

type LogOptions = RegistryConnectionOptions & { logKey?: string };

function trustOptions(options: LogOptions, env: CliEnv): LogTrustOptions {
  return {
    configDir: modelsecConfigDir(env.env),
    ...(options.logKey ? { logKeyFile: path.resolve(env.cwd, options.logKey) } : {}),
  };
}

function baseUrl(options: LogOptions, env: CliEnv): string {
  clientFrom(options, env); // validates --registry / MODELSEC_REGISTRY
  return (options.registry ?? env.env.MODELSEC_REGISTRY) as string;
}

function withLogOptions(command: Command): Command {
  return addConnectionOptions(command).option(
    '--log-key <file>',
    'pin the log verifier key in FILE (default: trust on first use, kept under the modelsec config dir)',
  );
}

/** Checks one replayed entry against the registry's records. */
async function checkAgainstStore(client: RegistryClient, entry: LogEntry): Promise<string | undefined> {
  if (entry.type !== 'publish' && entry.type !== 'yank') return undefined;
  let version: { rootDigest?: string; bundleDigest?: string; yanked?: boolean };
  try {
    version = await client.json('GET', `/v1/namespaces/${entry.namespace}/models/${entry.model}/versions/${entry.version}`);
  } catch (error) {
    if (error instanceof ModelsecError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')) return undefined;
    return `${entry.namespace}/${entry.model}@${entry.version} is logged but the registry does not serve it (${(error as Error).message})`;
  }
  if (entry.type === 'publish') {
    if (version.rootDigest !== entry.rootDigest)
      return `${entry.namespace}/${entry.model}@${entry.version}: root digest ${version.rootDigest} differs from the logged ${entry.rootDigest}`;
    if (version.bundleDigest !== entry.bundleDigest)
      return `${entry.namespace}/${entry.model}@${entry.version}: signature bundle ${version.bundleDigest} differs from the logged ${entry.bundleDigest}`;
  } else if (version.yanked !== true) {
    return `${entry.namespace}/${entry.model}@${entry.version} was yanked in the log but is not marked yanked`;
  }
  return undefined;
}

/** `modelsec log`: inspect and verify the registry's transparency log. */
export function register(program: Command, env: CliEnv): void {
  const log = program
    .command('log')
    .description("Inspect and verify the registry's transparency log (RFC 6962 tree, C2SP signed checkpoints)");

  withLogOptions(
    log.command('checkpoint').description('Fetch the signed checkpoint, verify it with the pinned key and its consistency'),
  ).action(
    action(env, async (out, options: LogOptions) => {
      const url = baseUrl(options, env);
      const result = await verifiedCheckpoint(url, trustOptions(options, env));
      const rootHash = Buffer.from(result.checkpoint.rootHash).toString('base64');
      out.result(
        {
          origin: result.checkpoint.origin,
          size: result.checkpoint.size,
          rootHash,
          keyTrust: result.keyTrust,
          consistentWith: result.consistentWith ?? null,
        },
        () =>
          [
            `origin ${result.checkpoint.origin}`,
            `size   ${result.checkpoint.size}`,
            `root   ${rootHash}`,
            `key    ${result.keyTrust === 'first-use' ? 'trusted on first use (now pinned)' : result.keyTrust}`,
            result.consistentWith !== undefined
              ? `consistent with the checkpoint of size ${result.consistentWith} seen before`
              : '',
          ]
            .filter(Boolean)
            .join('\n'),
      );
    }),
  );

  addConnectionOptions(log.command('key').description("Print the log's public key (C2SP note verifier key)")).action(
    action(env, async (out, options: LogOptions) => {
      const key = await fetchLogKey(baseUrl(options, env));
      out.result({ key }, () => key);
    }),
  );

  addConnectionOptions(log.command('entry <index>').description('Print one log entry (its exact canonical JSON)')).action(
    action(env, async (out, indexText: string, options: LogOptions) => {
      const index = parseIntegerOption('index')(indexText);
      const bytes = await fetchLogEntry(baseUrl(options, env), index);
      const entry = decodeLogEntry(bytes);
      out.result({ index, entry }, () => Buffer.from(bytes).toString('utf8'));
    }),
  );

  withLogOptions(
    log
      .command('verify')
      .description('Replay the whole log: rebuild the tree, match the signed root, check every entry against the registry'),
  ).action(
    action(env, async (out, options: LogOptions) => {
      const url = baseUrl(options, env);
      const client = clientFrom(options, env);
      let bar: ReturnType<typeof out.progress> | undefined;
      const result = await replayLog(url, {
        ...trustOptions(options, env),
        checkEntry: (entry) => checkAgainstStore(client, entry),
        onProgress: (done, total) => {
          bar ??= out.progress('replaying log', total);
          bar.update(done);
        },
      });
      bar?.finish();
      out.result(result, () =>
        [
          `replayed ${result.size} entries; root ${result.rootHash} matches the signed checkpoint`,
          `entries: ${Object.entries(result.entries)
            .sort()
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
          ...result.problems.map((p) => `PROBLEM at ${p.index}: ${p.message}`),
          result.problems.length === 0 ? 'every entry matches the registry' : `${result.problems.length} problem(s)`,
        ].join('\n'),
      );
      return result.problems.length === 0 ? 0 : 1;
    }),
  );
}
