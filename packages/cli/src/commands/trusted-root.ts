/** Reading JSON flag files, and a `--trusted-root` checked to be a Sigstore TrustedRoot. */
import { ModelsecError } from '@modelsec/core/errors';
import { loadTrustedRoot } from '@modelsec/core/signing';
import type { CliEnv } from '../command-kit.js';
import { readInput } from './files.js';

/** Reads a flag's JSON file (INVALID_JSON naming the flag when it is not JSON). */
export async function readJson(env: CliEnv, path: string, flag: string): Promise<unknown> {
  const text = await readInput(env, path, flag);
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelsecError('INVALID_JSON', `${flag} ${path} is not JSON`, { details: { flag, path } });
  }
}

/** Reads a `--trusted-root` file and checks it is a Sigstore TrustedRoot (INVALID_CONFIG otherwise). */
export async function readTrustedRoot(env: CliEnv, file: string): Promise<unknown> {
  const json = await readJson(env, file, '--trusted-root');
  await loadTrustedRoot({ trustedRootJson: json });
  return json;
}
