import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ExitCode, ModelsecError } from '@modelsec/core';
import { checkModel, type LogVerification, type Policy, parseModelRef } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import { LOG_KEY_HELP, logSummary, verifyPublishedInLog } from './log.js';
import { addConnectionOptions, clientFrom, type RegistryConnectionOptions } from './registry.js';
import { readTrustedRoot, TRUSTED_ROOT_HELP } from './verify.js';

/** `modelsec check`: the CI gate. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    program
      .command('check <model_path>')
      .description(
        'CI gate: is this exact model a published version, signed by a trusted signer, scanned clean? Exit 0 or 1 with every reason',
      )
      .option('--name <ref>', 'restrict to NS/NAME[@RANGE]')
      .option('--policy <file>', 'apply this (stricter) local policy instead of the namespace policy')
      .option('--public-key <file>', 'verify key signatures with this public key')
      .option(
        '--signature <file>',
        'the model signature: ignored when hashing, and its method (files/shards) is how the model is hashed (default MODEL_PATH/model.sig)',
      )
      .option('--trusted-root <file>', TRUSTED_ROOT_HELP)
      .option('--log-key <file>', LOG_KEY_HELP),
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 verified; 1 not published, not trusted or not clean (every reason printed); 2 usage; 3 internal.',
    )
    .action(
      action(
        env,
        async (
          out,
          modelPath: string,
          options: RegistryConnectionOptions & {
            name?: string;
            policy?: string;
            publicKey?: string;
            signature?: string;
            trustedRoot?: string;
            logKey?: string;
          },
        ) => {
          let localPolicy: Policy | undefined;
          if (options.policy) {
            try {
              localPolicy = JSON.parse(await readFile(path.resolve(env.cwd, options.policy), 'utf8')) as Policy;
            } catch (error) {
              throw new ModelsecError('INVALID_JSON', `${options.policy}: not a readable JSON policy`, { cause: error });
            }
          }
          const publicKeyPem = options.publicKey ? await readFile(path.resolve(env.cwd, options.publicKey), 'utf8') : undefined;
          const result = await checkModel(clientFrom(options, env), path.resolve(env.cwd, modelPath), {
            ...(options.name ? { ref: parseModelRef(options.name) } : {}),
            ...(localPolicy ? { localPolicy } : {}),
            ...(publicKeyPem ? { publicKeyPem } : {}),
            ...(options.signature ? { signaturePath: path.resolve(env.cwd, options.signature) } : {}),
            ...(options.trustedRoot ? { trustedRootJson: await readTrustedRoot(env, options.trustedRoot) } : {}),
          });
          const v = result.version;
          let log: LogVerification | undefined;
          if (result.ok && v) {
            try {
              log = await verifyPublishedInLog(env, options, v);
            } catch (error) {
              if (!(error instanceof ModelsecError) || !error.code.startsWith('LOG_')) throw error;
              result.ok = false;
              result.reasons.push(`transparency log: ${error.message}`);
            }
          }
          const signer = v ? (v.signer.identity ?? v.signer.keyFingerprint ?? v.signer.kind) : undefined;
          out.result(
            { verified: result.ok, rootDigest: result.rootDigest, version: v ?? null, reasons: result.reasons, log: log ?? null },
            () =>
              result.ok && v
                ? `verified: ${v.namespace}/${v.model}@${v.version}, signed by ${signer}${v.signedAt ? ` at ${v.signedAt}` : ''}, published ${v.publishedAt}${log ? `\n${logSummary(log)}` : ''}`
                : [`NOT verified (${result.rootDigest})`, ...result.reasons.map((r) => `  - ${r}`)].join('\n'),
          );
          const code: ExitCode = result.ok ? 0 : 1;
          return code;
        },
      ),
    );
}
