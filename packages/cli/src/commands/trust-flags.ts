/**
 * The local trust of `check`, `pull` and `push`: signers, the local policy, the log key, witnesses and a pinned
 * checkpoint, all from files and flags on this machine (never from the registry). Each flag given is used exactly:
 * `--public-key` pins that key and nothing else.
 */
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
  logCheckpoint?: string;
  saveCheckpoint?: string;
  allowYanked?: boolean;
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
