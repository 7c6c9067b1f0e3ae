import { resolve } from 'node:path';
import { hashModelDirectory } from '@modelsec/core/hashing';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import type { HashFlags } from './hash-flags.js';
import { hashOptionsFrom } from './signing-kit.js';

/** The action of `modelsec digest MODEL_PATH`: hash the model, print its root digest. */
export async function runDigest(env: CliEnv, out: Output, model: string, flags: HashFlags): Promise<undefined> {
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
}
