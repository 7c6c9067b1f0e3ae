/** The model-hashing flags of the signing command family (sign, verify, attest, digest). */

import { DEFAULT_SHARD_SIZE, DEFAULT_SIGNATURE_NAME } from '@modelsec/core/constants';
import type { SerializationMethod } from '@modelsec/core/signing';
import type { Command } from 'commander';
import { collect, Option, parseIntegerOption } from '../command-kit.js';

export interface HashFlags {
  signature?: string;
  ignorePaths?: string[];
  ignoreGitPaths?: boolean;
  allowSymlinks?: boolean;
  method?: SerializationMethod;
  shardSize?: number;
}

/** Adds the model-hashing flags every signing command shares. */
export function addHashFlags(
  command: Command,
  options: { serialization: boolean; signature: boolean; gitPaths?: boolean },
): Command {
  if (options.signature) command.option('--signature <FILE>', `signature file (default: MODEL_PATH/${DEFAULT_SIGNATURE_NAME})`);
  command.option(
    '--ignore-paths <PATH>',
    'leave this file or directory out (a path inside the model, from here or relative to the model); repeatable',
    collect,
  );
  // Signing records the git paths it leaves out (ignore_paths); verify and check honour exactly what was recorded.
  if (options.gitPaths !== false)
    command.option('--no-ignore-git-paths', 'also hash .git, .gitattributes, .github and .gitignore at the model root');
  command.option('--allow-symlinks', 'follow symbolic links (hash the target under the link path) instead of refusing them');
  if (options.serialization) {
    command
      .addOption(
        new Option('--method <METHOD>', 'hash whole files, or fixed-size shards of them')
          .choices(['files', 'shards'])
          .default('files'),
      )
      .option(
        '--shard-size <BYTES>',
        `shard size for --method shards (default ${DEFAULT_SHARD_SIZE})`,
        parseIntegerOption('--shard-size', 1),
      );
  }
  return command;
}
