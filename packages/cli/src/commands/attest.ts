import { resolve } from 'node:path';
import { attestationPathFor, attestModel, ModelsecError, type SignedModel, signedFileSet } from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import {
  addHashFlags,
  addSignerFlags,
  bundleText,
  type HashFlags,
  hashOptionsFrom,
  readInput,
  type SignerFlags,
  signaturePathFor,
  signerFrom,
  writeAtomically,
} from './sign.js';

const METHODS = ['key', 'certificate', 'sigstore'] as const;

/** `modelsec attest key|certificate|sigstore MODEL_PATH --predicate FILE --predicate-type URI`. */
export function register(program: Command, env: CliEnv): void {
  const attest = program
    .command('attest')
    .description('Sign an in-toto attestation (MLBOM, scan report, provenance...) about a model, beside its signature')
    .addHelpText(
      'after',
      '\nExample:\n  modelsec bom ./my-model -o bom.json\n' +
        '  modelsec attest key ./my-model --private-key signer.key --predicate bom.json --predicate-type https://cyclonedx.org/bom\n' +
        '  modelsec verify key ./my-model --public-key signer.pub --attestation my-model/model.cyclonedx.org_bom.att.sig\n',
    );
  for (const method of METHODS) {
    const sub = attest.command(`${method} <MODEL_PATH>`).description(`attest with ${method} signing`);
    sub
      .requiredOption('--predicate <FILE>', 'JSON predicate (the attestation body)')
      .requiredOption('--predicate-type <URI>', 'predicate type URI')
      .option('--output <FILE>', 'where to write it (default: beside the signature, model.<type>.att.sig)');
    addHashFlags(sub, { serialization: false, signature: true, gitPaths: false });
    addSignerFlags(sub, method);
    sub.action(
      action(
        env,
        async (
          out: Output,
          model: string,
          flags: HashFlags & SignerFlags & { predicate: string; predicateType: string; output?: string },
        ) => {
          let predicate: unknown;
          try {
            predicate = JSON.parse(await readInput(env, flags.predicate, '--predicate'));
          } catch (error) {
            if (error instanceof ModelsecError) throw error;
            throw new ModelsecError('INVALID_JSON', `--predicate ${flags.predicate} is not JSON`, {
              details: { path: flags.predicate },
            });
          }
          if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) {
            throw new ModelsecError('USAGE', `--predicate ${flags.predicate} must hold a JSON object`);
          }
          const signer = await signerFrom(env, method, flags);
          // The subject is the signed file set: what model.sig signs, once the files on disk are checked to be exactly it.
          const hashing = hashOptionsFrom(env, out, model, flags);
          let digest: SignedModel;
          try {
            digest = await signedFileSet(resolve(env.cwd, model), signaturePathFor(env, model, flags), {
              ...(hashing.options.onProgress ? { onProgress: hashing.options.onProgress } : {}),
            });
          } finally {
            hashing.done();
          }
          const result = await attestModel(digest, flags.predicateType, predicate as Record<string, unknown>, signer);
          const path = flags.output
            ? resolve(env.cwd, flags.output)
            : attestationPathFor(signaturePathFor(env, model, flags), flags.predicateType);
          await writeAtomically(path, bundleText(result.bundle));
          out.result(
            { attestation: path, predicateType: flags.predicateType, rootDigest: digest.rootDigest, method },
            () => `attested ${flags.predicateType} about sha256:${digest.rootDigest} → ${path}`,
          );
          return undefined;
        },
      ),
    );
  }
}
