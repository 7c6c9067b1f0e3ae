import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { decodeLogEntry, encodeLogEntry, type LogEntry, openSealedEntry } from '@modelsec/core/tlog';
import { canonicalJson } from '@modelsec/core/util';
import {
  fetchLogEntry,
  fetchLogKey,
  fetchOpening,
  type LogTrustOptions,
  modelsecConfigDir,
  type RegistryClient,
  replayLog,
  verifiedCheckpoint,
} from '@modelsec/registry/client';
import { type CliEnv, parseIntegerOption } from '../command-kit.js';
import type { Output } from '../output.js';
import type { LogOptions } from './log.js';
import { clientFrom } from './registry-client.js';

function trustOptions(options: LogOptions, env: CliEnv): LogTrustOptions {
  const token = options.token ?? env.env.MODELSEC_TOKEN;
  return {
    configDir: modelsecConfigDir(env.env),
    ...(options.logKey ? { logKeyFile: path.resolve(env.cwd, options.logKey) } : {}),
    ...(token ? { token } : {}),
  };
}

function baseUrl(options: LogOptions, env: CliEnv): string {
  clientFrom(options, env); // validates --registry / MODELSEC_REGISTRY
  return (options.registry ?? env.env.MODELSEC_REGISTRY) as string;
}

/** Checks one replayed entry against the registry's records. */
async function checkAgainstStore(client: RegistryClient, entry: LogEntry): Promise<string | undefined> {
  if (entry.type !== 'publish' && entry.type !== 'yank') return undefined;
  let version: {
    rootDigest?: string;
    bundleDigest?: string;
    yanked?: boolean;
    files?: { path: string; digest: string; size: number }[];
  };
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
    // v2 entries log every file with its size (v1 ones have no sizes: nothing more to compare).
    if (entry.files.every((f) => typeof f.size === 'number')) {
      const norm = (files: readonly { path: string; digest: string; size: number }[]) =>
        canonicalJson(
          files
            .map((f) => ({ path: f.path, digest: f.digest, size: f.size }))
            .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
        );
      const served = norm(version.files ?? []);
      const logged = norm(entry.files);
      if (served !== logged)
        return `${entry.namespace}/${entry.model}@${entry.version}: the files the registry serves differ from the logged ones`;
    }
  } else if (version.yanked !== true) {
    return `${entry.namespace}/${entry.model}@${entry.version} was yanked in the log but is not marked yanked`;
  } else if (entry.rootDigest !== undefined && version.rootDigest !== entry.rootDigest) {
    return `${entry.namespace}/${entry.model}@${entry.version}: the logged yank names root digest ${entry.rootDigest}, the version has ${version.rootDigest}`;
  }
  return undefined;
}

export async function runCheckpoint(env: CliEnv, out: Output, options: LogOptions) {
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
        result.consistentWith !== undefined ? `consistent with the checkpoint of size ${result.consistentWith} seen before` : '',
      ]
        .filter(Boolean)
        .join('\n'),
  );
}

export async function runKey(env: CliEnv, out: Output, options: LogOptions) {
  const key = await fetchLogKey(baseUrl(options, env));
  out.result({ key }, () => key);
}

export async function runEntry(env: CliEnv, out: Output, indexText: string, options: LogOptions) {
  const index = parseIntegerOption('index')(indexText);
  const url = baseUrl(options, env);
  const bytes = await fetchLogEntry(url, index);
  const leaf = decodeLogEntry(bytes);
  if (leaf.type !== 'sealed') {
    out.result({ index, entry: leaf }, () => Buffer.from(bytes).toString('utf8'));
    return;
  }
  const opening = await fetchOpening(url, index, trustOptions(options, env).token);
  if (!opening) {
    out.result({ index, sealed: true, opened: false, entry: leaf }, () =>
      [Buffer.from(bytes).toString('utf8'), 'sealed: an entry of a private namespace (this token cannot open it)'].join('\n'),
    );
    return;
  }
  const entry = openSealedEntry(bytes, opening);
  out.result({ index, sealed: true, opened: true, commitment: leaf.commitment, entry }, () =>
    [`sealed ${leaf.commitment}; opening verified:`, opening.entry].join('\n'),
  );
}

export async function runVerify(env: CliEnv, out: Output, options: LogOptions) {
  const url = baseUrl(options, env);
  const client = clientFrom(options, env);
  const trust = trustOptions(options, env);
  let bar: ReturnType<typeof out.progress> | undefined;
  const sealed = { opened: 0, closed: 0 };
  const result = await replayLog(url, {
    ...trust,
    checkEntry: async (entry, index) => {
      if (entry.type !== 'sealed') return checkAgainstStore(client, entry);
      const opening = await fetchOpening(url, index, trust.token);
      if (!opening) {
        sealed.closed++;
        return undefined;
      }
      // decodeLogEntry accepted the leaf only as canonical JSON, so encoding it again gives the leaf bytes.
      const opened = openSealedEntry(encodeLogEntry(entry), opening);
      sealed.opened++;
      return checkAgainstStore(client, opened);
    },
    onProgress: (done, total) => {
      bar ??= out.progress('replaying log', total);
      bar.update(done);
    },
  });
  bar?.finish();
  out.result({ ...result, sealed }, () =>
    [
      `replayed ${result.size} entries; root ${result.rootHash} matches the signed checkpoint`,
      `entries: ${Object.entries(result.entries)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      sealed.opened + sealed.closed > 0
        ? `sealed: ${sealed.opened} opened and checked with this token, ${sealed.closed} not readable to it (commitments only)`
        : '',
      ...result.problems.map((p) => `PROBLEM at ${p.index}: ${p.message}`),
      result.problems.length === 0 ? 'every entry matches the registry' : `${result.problems.length} problem(s)`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return result.problems.length === 0 ? 0 : 1;
}
