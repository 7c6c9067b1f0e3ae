/** The actions of the read-only registry commands (models, versions, show, find, audit). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { parseModelRef, type VersionInfo } from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { RegistryConnectionOptions } from './connection-options.js';
import { clientFrom } from './registry-client.js';

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

export async function runModels(env: CliEnv, out: Output, ns: string, options: RegistryConnectionOptions) {
  const { models } = await clientFrom(options, env).json<{ models: { name: string; createdAt: string }[] }>(
    'GET',
    `/v1/namespaces/${encodeURIComponent(ns)}/models`,
  );
  out.result({ namespace: ns, models }, () =>
    models.length ? models.map((m) => `${ns}/${m.name}  created ${m.createdAt}`).join('\n') : `no models in ${ns}`,
  );
}

export async function runVersions(
  env: CliEnv,
  out: Output,
  refText: string,
  options: RegistryConnectionOptions & { yanked: boolean },
) {
  const ref = parseModelRef(refText);
  const { versions } = await clientFrom(options, env).json<{ versions: VersionInfo[] }>(
    'GET',
    `/v1/namespaces/${ref.namespace}/models/${ref.model}/versions?includeYanked=${options.yanked ? 'true' : 'false'}`,
  );
  out.result({ versions }, () =>
    versions.length ? versions.map(versionLine).join('\n') : `no versions of ${ref.namespace}/${ref.model}`,
  );
}

export async function runShow(
  env: CliEnv,
  out: Output,
  refText: string,
  options: RegistryConnectionOptions & { bomOut?: string },
) {
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
}

export async function runFind(
  env: CliEnv,
  out: Output,
  options: RegistryConnectionOptions & {
    fileDigest?: string;
    signerIdentity?: string;
    signerKey?: string;
    rootDigest?: string;
    namespace?: string;
  },
) {
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
}

export async function runAudit(
  env: CliEnv,
  out: Output,
  options: RegistryConnectionOptions & {
    namespace?: string;
    limit: string;
    before?: string;
    outcome?: string;
    actor?: string;
  },
) {
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
      ? entries.map((e) => `${e.at}  ${e.outcome.padEnd(7)}  ${e.action}  ${e.target}  by ${e.actor} from ${e.from}`).join('\n')
      : 'no audit entries',
  );
}
