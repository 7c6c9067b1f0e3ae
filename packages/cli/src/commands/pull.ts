import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { addConnectionOptions, type RegistryConnectionOptions } from './connection-options.js';
import { addTrustOptions, type TrustFlags } from './trust-flags.js';

export type PullFlags = RegistryConnectionOptions & TrustFlags & { output: string };

/** `modelsec pull`: choose the version from the verified log, run the gate, write exactly the signed files. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    addTrustOptions(
      program
        .command('pull <ref>')
        .description(
          'Download NS/NAME@VERSION|RANGE: the version comes from the verified log (highest non-yanked in range), the gate runs on its evidence, then exactly the signed files are written into the new directory -o DIR',
        )
        .requiredOption('-o, --output <dir>', 'directory to create (must not exist)'),
    ),
  )
    .addHelpText(
      'after',
      '\nSigners are trusted only from this machine (--public-key, --identity+--issuer, --certificate-root, --policy), else from the\nnamespace policy as recorded in the log (with a pinned --log-key).',
    )
    .action(
      action(env, async (out: Output, refText: string, options: PullFlags) =>
        (await import('./pull-action.js')).runPull(env, out, refText, options),
      ),
    );
}
