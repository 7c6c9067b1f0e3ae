/**
 * The local trust of `check`, `pull` and `push`: signers, the local policy, the log key, witnesses and a pinned
 * checkpoint, all from files and flags on this machine (never from the registry). Each flag given is used exactly:
 * `--public-key` pins that key and nothing else.
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { Command } from 'commander';
import { collect, parseIntegerOption } from '../command-kit.js';

/** Help of the `--trusted-root` flag of the registry commands. */
export const TRUSTED_ROOT_HELP =
  'Sigstore trusted_root.json for policies naming Sigstore identities (offline or private Sigstore; default: public-good over TUF)';

export interface TrustFlags {
  publicKey?: string[];
  identity?: string;
  issuer?: string;
  certificateRoot?: string[];
  policy?: string;
  trustedRoot?: string;
  logKey?: string;
  witness?: string[];
  witnessQuorum?: number;
  maxCheckpointAge?: number;
  logCheckpoint?: string;
  saveCheckpoint?: string;
  allowYanked?: boolean;
}

/** Largest --max-checkpoint-age (ten years): a bound past it is a typo. */
const MAX_CHECKPOINT_AGE_FLAG_SECONDS = 10 * 366 * 24 * 60 * 60;
const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration: whole seconds, or a whole number with s, m, h or d (`90s`, `30m`, `24h`, `7d`); 0 = no bound. */
export function parseDurationSeconds(flag: string) {
  return (value: string): number => {
    const m = /^(\d{1,12})([smhd]?)$/.exec(value);
    const n = m ? Number(m[1]) * (DURATION_UNITS[m[2] as string] as number) : Number.NaN;
    if (!m || !Number.isSafeInteger(n) || n > MAX_CHECKPOINT_AGE_FLAG_SECONDS)
      throw new ModelsecError(
        'USAGE',
        `${flag} takes a duration such as 3600, 90m, 24h or 7d (at most ten years), got '${value}'`,
        {
          details: { flag, value },
        },
      );
    return n;
  };
}

/** Adds the log-trust flags (push, pull, check). */
export function addLogTrustOptions(command: Command): Command {
  return command
    .option(
      '--log-key <file>',
      "pin the registry's log verifier key in FILE (get it out of band: `modelsec log key` on a trusted machine); default: the key stored on first use",
    )
    .option(
      '--witness <file>',
      'a witness verifier key (C2SP cosignature/v1) whose cosignature the checkpoint needs; repeatable',
      collect,
    )
    .option(
      '--witness-quorum <n>',
      'how many of the --witness keys must have cosigned (default: all)',
      parseIntegerOption('--witness-quorum', 0),
    )
    .option(
      '--max-checkpoint-age <duration>',
      'the witness quorum must have cosigned the checkpoint within DURATION (e.g. 24h; 0 = no bound): a registry serving an old checkpoint to hide later entries fails LOG_CHECKPOINT_STALE. Default with witnesses: 24h online, none offline',
      parseDurationSeconds('--max-checkpoint-age'),
    )
    .option('--log-checkpoint <file>', 'a checkpoint seen before (e.g. by an earlier CI job): the log must be consistent with it')
    .option('--save-checkpoint <file>', 'write the verified checkpoint to FILE (to pin it in a later run with --log-checkpoint)');
}

/** Adds the signer and policy flags (pull, check). */
export function addTrustOptions(command: Command): Command {
  return addLogTrustOptions(
    command
      .option('--public-key <file>', 'trust exactly this signer public key (PEM); repeatable', collect)
      .option('--identity <id>', 'trust exactly this Sigstore identity (with --issuer)')
      .option('--issuer <url>', 'the OIDC issuer of --identity, e.g. https://token.actions.githubusercontent.com')
      .option('--certificate-root <pem>', 'trust certificate signers chaining to this root (PEM); repeatable', collect)
      .option(
        '--policy <file>',
        'local policy: the namespace policy schema plus "models" and "log" (replaces the namespace policy as logged)',
      )
      .option('--trusted-root <file>', TRUSTED_ROOT_HELP)
      .option('--allow-yanked', 'accept a version the log records as yanked (still reported)'),
  );
}
