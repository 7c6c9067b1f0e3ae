/** The action of `modelsec log witness keygen`. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { generateCosigner } from '@modelsec/core/tlog';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { writeAtomically } from './files.js';

export async function runWitnessKeygen(env: CliEnv, out: Output, flags: { name: string; out: string; force?: boolean }) {
  const prefix = path.resolve(env.cwd, flags.out);
  const keyPath = `${prefix}.key`;
  const pubPath = `${prefix}.pub`;
  for (const p of [keyPath, pubPath])
    if (!flags.force && existsSync(p))
      throw new ModelsecError('USAGE', `${p} exists (pass --force to overwrite)`, { details: { path: p } });
  const cosigner = generateCosigner(flags.name);
  await writeAtomically(keyPath, `${cosigner.privateText}\n`, 0o600);
  await writeAtomically(pubPath, `${cosigner.text}\n`);
  out.result(
    { name: cosigner.name, key: cosigner.text, privateKey: keyPath, publicKey: pubPath },
    () => `wrote ${keyPath} and ${pubPath}\nwitness key ${cosigner.text}`,
  );
  return undefined;
}
