import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Curve, generateSigningKey, keyHint, loadPublicKey, ModelsecError } from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv, Option } from '../command-kit.js';
import type { Output } from '../output.js';
import { writeAtomically } from './sign.js';

/** `modelsec keygen --out PREFIX`: an ECDSA signing key pair (PREFIX.key PKCS#8, PREFIX.pub SPKI). */
export function register(program: Command, env: CliEnv): void {
  program
    .command('keygen')
    .description('Generate a signing key pair: PREFIX.key (PKCS#8 PEM) and PREFIX.pub (SPKI PEM)')
    .requiredOption('--out <PREFIX>', 'output path prefix')
    .addOption(new Option('--curve <CURVE>', 'ECDSA curve').choices(['p256', 'p384', 'p521']).default('p256'))
    .option('--password <PASSWORD>', 'encrypt the private key (AES-256-CBC) with this password (or env MODELSEC_KEY_PASSWORD)')
    .option('--force', 'overwrite existing files')
    .addHelpText(
      'after',
      '\nExample:\n  modelsec keygen --out signer --curve p384\n  modelsec sign key ./my-model --private-key signer.key\n',
    )
    .action(
      action(env, async (out: Output, flags: { out: string; curve: Curve; password?: string; force?: boolean }) => {
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
      }),
    );
}
