import { resolve } from 'node:path';
import { hashModelDirectory } from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { addHashFlags, type HashFlags, hashOptionsFrom } from './sign.js';

/** `modelsec digest MODEL_PATH`: the OMS root digest (what a signature covers), hashed on all cores. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('digest <MODEL_PATH>')
    .description('Print the OpenSSF Model Signing root digest of a model')
    .addHelpText('after', '\nExamples:\n  modelsec digest ./my-model\n  modelsec digest ./my-model --method shards --json\n');
  addHashFlags(command, { serialization: true, signature: true });
  command.action(
    action(env, async (out: Output, model: string, flags: HashFlags) => {
      const hashing = hashOptionsFrom(env, out, model, flags);
      let digest: Awaited<ReturnType<typeof hashModelDirectory>>;
      try {
        digest = await hashModelDirectory(resolve(env.cwd, model), hashing.options);
      } finally {
        hashing.done();
      }
      out.result(
        {
          rootDigest: digest.rootDigest,
          name: digest.subjectName,
          serialization: digest.method,
          ...(digest.shardSize !== undefined ? { shardSize: digest.shardSize } : {}),
          bytes: digest.totalBytes,
          ignorePaths: digest.ignorePaths,
          resources: digest.resources,
        },
        () => `sha256:${digest.rootDigest}  ${digest.subjectName}`,
      );
      return undefined;
    }),
  );
}
