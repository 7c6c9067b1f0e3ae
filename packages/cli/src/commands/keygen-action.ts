import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { generateSigningKey, keyHint, loadPublicKey } from '@modelsec/core/signing';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { writeAtomically } from './files.js';
import type { KeygenFlags } from './keygen.js';

/** The action of `modelsec keygen`: write PREFIX.key (mode 0600) and PREFIX.pub, refusing to overwrite without --force. */
export async function runKeygen(env: CliEnv, out: Output, flags: KeygenFlags): Promise<undefined> {
  const prefix = resolve(env.cwd, flags.out);
  const keyPath = `${prefix}.key`;
  const pubPath = `${prefix}.pub`;
  for (const p of [keyPath, pubPath]) {
    if (!flags.force && existsSync(p))
      throw new ModelsecError('USAGE', `${p} exists (pass --force to overwrite)`, { details: { path: p } });
  }
  const password = flags.password ?? env.env.MODELSEC_KEY_PASSWORD;
  const pair = generateSigningKey(flags.curve, password || undefined);
  await writeAtomically(keyPath, pair.privateKeyPem, 0o600);
  await writeAtomically(pubPath, pair.publicKeyPem);
  const hint = keyHint(loadPublicKey(pair.publicKeyPem));
  out.result(
    { privateKey: keyPath, publicKey: pubPath, curve: flags.curve, encrypted: Boolean(password), keyFingerprint: hint },
    () => `wrote ${keyPath}${password ? ' (encrypted)' : ''} and ${pubPath} (${flags.curve}, fingerprint ${hint})`,
  );
  return undefined;
}
