import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core';
import { parseModelRef, pushModel } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import { LOG_KEY_HELP, logSummary, verifyPublishedInLog } from './log.js';
import { addConnectionOptions, clientFrom, type RegistryConnectionOptions } from './registry.js';

/** `modelsec push`: publish a signed model version to a modelsec registry. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    program
      .command('push <model_path> <ref>')
      .description('Publish a signed model version (NS/NAME@VERSION): uploads missing files, prints the registry verdict')
      .option('--signature <file>', 'OMS signature bundle (default: MODEL_PATH/model.sig)')
      .option('--public-key <file>', "signer's public key PEM (for namespaces whose policy names no signers)")
      .option('--bom <file>', 'CycloneDX ML-BOM to attach')
      .option('--attestation <file>', 'signed attestation bundle to attach (repeatable)', collect)
      .option('--log-key <file>', LOG_KEY_HELP),
  ).action(
    action(
      env,
      async (
        out,
        modelPath: string,
        refText: string,
        options: RegistryConnectionOptions & {
          signature?: string;
          publicKey?: string;
          bom?: string;
          attestation?: string[];
          logKey?: string;
        },
      ) => {
        const ref = parseModelRef(refText);
        const dir = path.resolve(env.cwd, modelPath);
        const signaturePath = path.resolve(env.cwd, options.signature ?? path.join(modelPath, 'model.sig'));
        const publicKeyPem = options.publicKey
          ? await readFile(path.resolve(env.cwd, options.publicKey), 'utf8').catch(() => {
              throw new ModelsecError('FILE_NOT_FOUND', `${options.publicKey}: cannot read the public key`);
            })
          : undefined;
        const progress = out.progress(`push ${refText}`);
        const result = await pushModel(clientFrom(options, env), dir, ref, {
          signaturePath,
          ...(publicKeyPem ? { publicKeyPem } : {}),
          ...(options.bom ? { bomPath: path.resolve(env.cwd, options.bom) } : {}),
          attestationPaths: (options.attestation ?? []).map((a) => path.resolve(env.cwd, a)),
          onProgress: (e) => {
            progress.setTotal(e.total);
            progress.update(e.done, e.file);
          },
        }).finally(() => progress.finish());
        const log = await verifyPublishedInLog(env, options, result);
        const signer = result.signer.identity ?? result.signer.keyFingerprint ?? result.signer.kind;
        out.result({ version: result, log }, () =>
          [
            `accepted ${ref.namespace}/${ref.model}@${result.version}`,
            `  root digest: ${result.rootDigest}`,
            `  signed by:   ${signer}`,
            `  scan:        ${result.scan.status}${result.scan.maxSeverity ? ` (max ${result.scan.maxSeverity})` : ''}`,
            `  files:       ${result.uploaded} uploaded, ${result.deduplicated} already stored`,
            `  log:         ${logSummary(log)}`,
          ].join('\n'),
        );
      },
    ),
  );
}
