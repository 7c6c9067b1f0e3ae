/** The local trust of `check`, `pull` and `push` at run time: read the flags' files, build the gate options, print its findings. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import {
  type ClientGateOptions,
  type ClientTrustOptions,
  type GateReport,
  type LocalPolicy,
  modelsecConfigDir,
  type PolicySigner,
  parseLocalPolicy,
} from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { TrustFlags } from './trust-flags.js';
import { readTrustedRoot } from './trusted-root.js';

async function readFlagFile(env: CliEnv, file: string, flag: string): Promise<string> {
  try {
    return await readFile(path.resolve(env.cwd, file), 'utf8');
  } catch (cause) {
    throw new ModelsecError('FILE_NOT_FOUND', `${flag} ${file}: cannot read it`, { cause, details: { flag, file } });
  }
}

/** The signers pinned on the command line, exactly. */
async function cliSigners(env: CliEnv, flags: TrustFlags): Promise<PolicySigner[]> {
  const signers: PolicySigner[] = [];
  for (const f of flags.publicKey ?? []) signers.push({ publicKey: await readFlagFile(env, f, '--public-key') });
  if ((flags.identity === undefined) !== (flags.issuer === undefined))
    throw new ModelsecError('USAGE', '--identity and --issuer go together: a Sigstore identity is pinned with its issuer');
  if (flags.identity !== undefined && flags.issuer !== undefined)
    signers.push({ identity: flags.identity, issuer: flags.issuer });
  if (flags.certificateRoot?.length)
    signers.push({
      certificateRoots: await Promise.all(flags.certificateRoot.map((f) => readFlagFile(env, f, '--certificate-root'))),
    });
  return signers;
}

/** Log trust only (push). */
export async function logTrustFrom(env: CliEnv, flags: TrustFlags, localPolicy?: LocalPolicy): Promise<ClientTrustOptions> {
  return {
    configDir: modelsecConfigDir(env.env),
    ...(flags.logKey ? { logKey: (await readFlagFile(env, flags.logKey, '--log-key')).trim() } : {}),
    ...(flags.witness?.length
      ? { witnesses: await Promise.all(flags.witness.map(async (w) => (await readFlagFile(env, w, '--witness')).trim())) }
      : {}),
    ...(flags.witnessQuorum !== undefined ? { witnessQuorum: flags.witnessQuorum } : {}),
    ...(flags.maxCheckpointAge !== undefined ? { maxCheckpointAgeSeconds: flags.maxCheckpointAge } : {}),
    ...(flags.logCheckpoint ? { pinnedCheckpoint: await readFlagFile(env, flags.logCheckpoint, '--log-checkpoint') } : {}),
    ...(localPolicy ? { localPolicy } : {}),
    // Trust decisions use the real time (witness timestamps), never a reproducible-build clock.
    now: new Date(),
  };
}

/** Everything check and pull trust. */
export async function gateOptionsFrom(
  env: CliEnv,
  flags: TrustFlags,
): Promise<ClientGateOptions & { localPolicy?: LocalPolicy }> {
  const localPolicy = flags.policy
    ? parseLocalPolicy(await readFlagFile(env, flags.policy, '--policy'), flags.policy)
    : undefined;
  const signers = await cliSigners(env, flags);
  return {
    ...(await logTrustFrom(env, flags, localPolicy)),
    ...(signers.length ? { cliSigners: signers } : {}),
    ...(flags.trustedRoot ? { sigstoreTrustedRoot: await readTrustedRoot(env, flags.trustedRoot) } : {}),
    ...(flags.allowYanked ? { allowYanked: true } : {}),
  };
}

/** Writes the verified checkpoint when `--save-checkpoint` asks for it. */
export async function saveCheckpoint(env: CliEnv, flags: TrustFlags, checkpoint: string | undefined): Promise<void> {
  if (!flags.saveCheckpoint || checkpoint === undefined) return;
  await writeFile(path.resolve(env.cwd, flags.saveCheckpoint), checkpoint);
}

/** Prints the gate's warnings: a signer change is printed even with --quiet. */
export function printWarnings(out: Output, env: CliEnv, report: Pick<GateReport, 'warnings'>): void {
  for (const w of report.warnings) {
    if (w.startsWith('!!!')) env.stderr.write(`WARNING ${w}\n`);
    else out.warn(w);
  }
}

/** One line naming the verified signer and why it is trusted. */
export function signerLine(report: GateReport): string {
  const s = report.signer;
  if (!s) return 'no verified signer';
  const who = s.kind === 'key' ? `key ${s.keyFingerprint}` : `${s.kind} ${s.identity ?? ''}${s.issuer ? ` (${s.issuer})` : ''}`;
  return `${who}, trusted by the ${report.signerSource === 'command-line' ? 'command line' : report.signerSource === 'local-policy' ? 'local policy' : 'namespace policy as logged'}`;
}

export function logLine(report: GateReport, keyTrust: string): string {
  if (!report.log || !report.version) return '';
  const w = report.log.cosignedBy.length ? `, cosigned by ${report.log.cosignedBy.join(', ')}` : '';
  return `log entry ${report.version.logIndex} in checkpoint ${report.log.size} of ${report.log.origin} (key ${keyTrust === 'first-use' ? 'trusted on first use, now pinned' : keyTrust}${w})`;
}
