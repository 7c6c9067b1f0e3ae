/**
 * Read-only registry commands for auditors and CI: models, versions, one version in full (with its ML-BOM),
 * versions by file digest / signer / root digest, and the audit log.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core';
import { parseModelRef, type VersionInfo } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import { addConnectionOptions, clientFrom, type RegistryConnectionOptions } from './registry.js';

const DIGEST = /^[0-9a-f]{64}$/;

function signerOf(v: VersionInfo): string {
  return v.signer.identity ?? v.signer.keyFingerprint ?? v.signer.kind;
}

function versionLine(v: VersionInfo): string {
  const scan = v.scan.maxSeverity ? `${v.scan.status} (max ${v.scan.maxSeverity})` : v.scan.status;
  return `${v.namespace}/${v.model}@${v.version}  ${v.rootDigest.slice(0, 16)}  signed by ${signerOf(v)}  scan ${scan}  published ${v.publishedAt}${v.yanked ? `  YANKED: ${v.yankReason ?? ''}` : ''}`;
}

function digestOption(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && !DIGEST.test(value))
    throw new ModelsecError('USAGE', `${flag} takes a sha256 digest (64 lowercase hex characters), got '${value}'`);
  return value;
}

export function registerQueries(registry: Command, env: CliEnv): void {
  addConnectionOptions(registry.command('models <ns>').description('Models of a namespace')).action(
    action(env, async (out, ns: string, options: RegistryConnectionOptions) => {
      const { models } = await clientFrom(options, env).json<{ models: { name: string; createdAt: string }[] }>(
        'GET',
        `/v1/namespaces/${encodeURIComponent(ns)}/models`,
      );
      out.result({ namespace: ns, models }, () =>
        models.length ? models.map((m) => `${ns}/${m.name}  created ${m.createdAt}`).join('\n') : `no models in ${ns}`,
      );
    }),
  );

  addConnectionOptions(
    registry
      .command('versions <ns/name>')
      .description('Versions of a model, with root digest, signer, scan verdict and yank state')
      .option('--no-yanked', 'leave yanked versions out'),
  ).action(
    action(env, async (out, refText: string, options: RegistryConnectionOptions & { yanked: boolean }) => {
      const ref = parseModelRef(refText);
      const { versions } = await clientFrom(options, env).json<{ versions: VersionInfo[] }>(
        'GET',
        `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions?includeYanked=${options.yanked ? 'true' : 'false'}`,
      );
      out.result({ versions }, () =>
        versions.length ? versions.map(versionLine).join('\n') : `no versions of ${ref.namespace}/${ref.model}`,
      );
    }),
  );

  addConnectionOptions(
    registry
      .command('show <ns/name@version>')
      .description('One version in full: files, signer, scan verdict, attachments; --bom-out saves its ML-BOM')
      .option('--bom-out <file>', "write the version's ML-BOM (as pushed) to FILE"),
  ).action(
    action(env, async (out, refText: string, options: RegistryConnectionOptions & { bomOut?: string }) => {
      const ref = parseModelRef(refText);
      if (!ref.version) throw new ModelsecError('USAGE', `show needs NS/NAME@VERSION, got '${refText}'`);
      const client = clientFrom(options, env);
      const v = await client.json<VersionInfo>(
        'GET',
        `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions/${encodeURIComponent(ref.version)}`,
      );
      let bomFile: string | undefined;
      if (options.bomOut) {
        const bom = v.attachments?.find((a) => a.kind === 'mlbom');
        if (!bom) throw new ModelsecError('NOT_FOUND', `${refText} was published without an ML-BOM`);
        const response = await client.downloadBlob(ref.namespace, bom.digest);
        bomFile = path.resolve(env.cwd, options.bomOut);
        await writeFile(bomFile, Buffer.from(await response.arrayBuffer()));
      }
      out.result({ version: v, ...(bomFile ? { bomFile } : {}) }, () =>
        [
          versionLine(v),
          `  root digest: ${v.rootDigest}`,
          `  signed by:   ${signerOf(v)}${v.signedAt ? ` at ${v.signedAt}` : ''}`,
          `  files:`,
          ...(v.files ?? []).map((f) => `    ${f.digest}  ${String(f.size).padStart(12)}  ${f.path}`),
          `  attachments:`,
          ...(v.attachments ?? []).map((a) => `    ${a.kind}${a.predicateType ? ` (${a.predicateType})` : ''}  ${a.digest}`),
          ...(bomFile ? [`ML-BOM written to ${bomFile}`] : []),
        ].join('\n'),
      );
    }),
  );

  addConnectionOptions(
    registry
      .command('find')
      .description('Versions that contain a file digest, were signed by an identity or key, or have a root digest')
      .option('--file-digest <sha256>', 'versions containing a file with these bytes')
      .option('--signer-identity <id>', 'versions signed keyless by this exact identity (e-mail or URI)')
      .option('--signer-key <fingerprint>', 'versions signed by this public key (SHA-256 of its SPKI DER)')
      .option('--root-digest <sha256>', 'versions of exactly this model (OMS root digest)')
      .option('--namespace <ns>', 'only this namespace'),
  ).action(
    action(
      env,
      async (
        out,
        options: RegistryConnectionOptions & {
          fileDigest?: string;
          signerIdentity?: string;
          signerKey?: string;
          rootDigest?: string;
          namespace?: string;
        },
      ) => {
        const q = new URLSearchParams();
        const file = digestOption(options.fileDigest, '--file-digest');
        const key = digestOption(options.signerKey, '--signer-key');
        const root = digestOption(options.rootDigest, '--root-digest');
        if (file) q.set('fileDigest', file);
        if (key) q.set('signerKey', key);
        if (root) q.set('rootDigest', root);
        if (options.signerIdentity) q.set('signerIdentity', options.signerIdentity);
        if (options.namespace) q.set('namespace', options.namespace);
        if ([...q.keys()].length === 0)
          throw new ModelsecError(
            'USAGE',
            'give at least one of --file-digest, --signer-identity, --signer-key, --root-digest, --namespace',
          );
        const { versions } = await clientFrom(options, env).json<{ versions: VersionInfo[] }>('GET', `/v1/versions?${q}`);
        out.result({ versions }, () => (versions.length ? versions.map(versionLine).join('\n') : 'no version matches'));
      },
    ),
  );

  addConnectionOptions(
    registry
      .command('audit')
      .description('The audit log, newest first: who did what, when, from where, and the outcome (refusals included)')
      .option('--namespace <ns>', "one namespace's entries (namespace admin); without it, all (registry admin)")
      .option('--limit <n>', 'entries per page (1-1000)', '100')
      .option('--before <cursor>', 'the page after a previous one (the `next` cursor it printed)')
      .option('--outcome <outcome>', 'only ok, refused or error entries')
      .option('--actor <id>', "only one actor's entries (a token id, or anonymous)"),
  ).action(
    action(
      env,
      async (
        out,
        options: RegistryConnectionOptions & {
          namespace?: string;
          limit: string;
          before?: string;
          outcome?: string;
          actor?: string;
        },
      ) => {
        if (!/^[1-9][0-9]{0,3}$/.test(options.limit) || Number(options.limit) > 1000)
          throw new ModelsecError('USAGE', `--limit takes 1-1000, got '${options.limit}'`);
        if (options.before !== undefined && !/^[1-9][0-9]{0,15}$/.test(options.before))
          throw new ModelsecError('USAGE', `--before takes the cursor a previous page printed, got '${options.before}'`);
        if (options.outcome !== undefined && !['ok', 'refused', 'error'].includes(options.outcome))
          throw new ModelsecError('USAGE', `--outcome takes ok, refused or error, got '${options.outcome}'`);
        const q = new URLSearchParams({
          limit: options.limit,
          ...(options.namespace ? { namespace: options.namespace } : {}),
          ...(options.before ? { before: options.before } : {}),
          ...(options.outcome ? { outcome: options.outcome } : {}),
          ...(options.actor ? { actor: options.actor } : {}),
        });
        const { entries, next } = await clientFrom(options, env).json<{
          entries: { at: string; actor: string; action: string; target: string; outcome: string; from: string }[];
          next: string | null;
        }>('GET', `/v1/audit?${q}`);
        if (next !== null) out.info(`more entries: add --before ${next}`);
        out.result({ entries, next }, () =>
          entries.length
            ? entries
                .map((e) => `${e.at}  ${e.outcome.padEnd(7)}  ${e.action}  ${e.target}  by ${e.actor} from ${e.from}`)
                .join('\n')
            : 'no audit entries',
        );
      },
    ),
  );
}
