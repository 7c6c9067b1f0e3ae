import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core';
import { type Policy, parseModelRef, pullModel, resolveVersion } from '@modelsec/registry';
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import { LOG_KEY_HELP, logSummary, verifyPublishedInLog } from './log.js';
import { addConnectionOptions, clientFrom, type RegistryConnectionOptions } from './registry.js';
import { readTrustedRoot, TRUSTED_ROOT_HELP } from './verify.js';

/** `modelsec pull`: download a version, verify every digest and the signature, then move it into place. */
export function register(program: Command, env: CliEnv): void {
  addConnectionOptions(
    program
      .command('pull <ref>')
      .description(
        'Download NS/NAME@VERSION|RANGE; every digest and the signature are verified before the atomic move into -o DIR',
      )
      .requiredOption('-o, --output <dir>', 'directory to create')
      .option('--public-key <file>', 'verify with this public key instead of the one the version was published with')
      .option('--policy <file>', 'verify the signer against this policy (its signers)')
      .option('--trusted-root <file>', TRUSTED_ROOT_HELP)
      .option('--log-key <file>', LOG_KEY_HELP),
  ).action(
    action(
      env,
      async (
        out,
        refText: string,
        options: RegistryConnectionOptions & {
          output: string;
          publicKey?: string;
          policy?: string;
          trustedRoot?: string;
          logKey?: string;
        },
      ) => {
        const ref = parseModelRef(refText);
        const publicKeyPem = options.publicKey ? await readFile(path.resolve(env.cwd, options.publicKey), 'utf8') : undefined;
        let policy: Policy | undefined;
        if (options.policy) {
          try {
            policy = JSON.parse(await readFile(path.resolve(env.cwd, options.policy), 'utf8')) as Policy;
          } catch (error) {
            throw new ModelsecError('INVALID_JSON', `${options.policy}: not a readable JSON policy`, { cause: error });
          }
        }
        const outDir = path.resolve(env.cwd, options.output);
        // The log entry is verified before anything is downloaded or moved into place.
        const resolved = await resolveVersion(clientFrom(options, env), ref);
        const log = await verifyPublishedInLog(env, options, resolved);
        const version = await pullModel(clientFrom(options, env), { ...ref, version: resolved.version }, outDir, {
          ...(publicKeyPem ? { publicKeyPem } : {}),
          ...(policy ? { policy } : {}),
          ...(options.trustedRoot ? { trustedRootJson: await readTrustedRoot(env, options.trustedRoot) } : {}),
        });
        if (version.rootDigest !== resolved.rootDigest)
          throw new ModelsecError('LOG_INCONSISTENT', `${refText}: the registry changed the version while it was pulled`);
        out.result(
          { version, output: outDir, log },
          () =>
            `pulled ${ref.namespace}/${ref.model}@${version.version} into ${outDir} (signature and ${version.files?.length ?? 0} file digests verified)\n${logSummary(log)}`,
        );
      },
    ),
  );
}
