import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  attestationNamePattern,
  type BundleVerifier,
  loadTrustedRoot,
  ModelsecError,
  reuseFrom,
  toModelsecError,
  verifyAttestation,
  verifyModel,
} from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv, collect } from '../command-kit.js';
import type { Output } from '../output.js';
import { addHashFlags, type HashFlags, readInput, resolveIgnorePath, signaturePathFor } from './sign.js';

interface VerifierFlags {
  publicKey?: string;
  certificateChain?: string[];
  identity?: string;
  identityRegexp?: string;
  identityProvider?: string;
  trustedRoot?: string;
  trustConfig?: string;
  useStaging?: boolean;
}

/** Adds the flags of one verification method. */
export function addVerifierFlags(command: Command, method: 'key' | 'certificate' | 'sigstore'): Command {
  if (method === 'key') command.requiredOption('--public-key <PEM>', 'the signer public key (SPKI PEM)');
  if (method === 'certificate') {
    command.requiredOption('--certificate-chain <PEM>', 'root certificate(s) to trust; repeatable', collect);
  }
  if (method === 'sigstore') {
    command
      .option('--identity <ID>', 'the exact signer identity (e-mail or URI in the certificate)')
      .option('--identity-regexp <RE>', 'a pattern the WHOLE identity must match (anchored), instead of --identity')
      .requiredOption('--identity-provider <ISSUER>', 'the exact OIDC issuer, e.g. https://accounts.google.com')
      .option('--trusted-root <FILE>', 'Sigstore trusted_root.json: verify offline against it')
      .option('--trust-config <FILE>', 'Sigstore ClientTrustConfig JSON whose trustedRoot to use')
      .option('--use-staging', 'trust the Sigstore staging instance');
  }
  return command;
}

async function readJson(env: CliEnv, path: string, flag: string): Promise<unknown> {
  const text = await readInput(env, path, flag);
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelsecError('INVALID_JSON', `${flag} ${path} is not JSON`, { details: { flag, path } });
  }
}

/** Help of the `--trusted-root` flag of the registry commands. */
export const TRUSTED_ROOT_HELP =
  'Sigstore trusted_root.json for policies naming Sigstore identities (offline or private Sigstore; default: public-good over TUF)';

/** Reads a `--trusted-root` file and checks it is a Sigstore TrustedRoot (INVALID_CONFIG otherwise). */
export async function readTrustedRoot(env: CliEnv, file: string): Promise<unknown> {
  const json = await readJson(env, file, '--trusted-root');
  await loadTrustedRoot({ trustedRootJson: json });
  return json;
}

/** Builds the library verifier from a method and its flags. */
export async function verifierFrom(
  env: CliEnv,
  method: 'key' | 'certificate' | 'sigstore',
  flags: VerifierFlags,
): Promise<BundleVerifier> {
  if (method === 'key') return { kind: 'key', publicKeyPem: await readInput(env, flags.publicKey!, '--public-key') };
  if (method === 'certificate') {
    return {
      kind: 'certificate',
      rootCertificatesPem: await Promise.all((flags.certificateChain ?? []).map((p) => readInput(env, p, '--certificate-chain'))),
    };
  }
  if ((flags.identity === undefined) === (flags.identityRegexp === undefined)) {
    throw new ModelsecError('USAGE', 'give exactly one of --identity (exact match) and --identity-regexp (anchored pattern)');
  }
  let trustedRootJson: unknown;
  if (flags.trustedRoot) trustedRootJson = await readJson(env, flags.trustedRoot, '--trusted-root');
  else if (flags.trustConfig) {
    const config = (await readJson(env, flags.trustConfig, '--trust-config')) as { trustedRoot?: unknown };
    if (!config.trustedRoot) throw new ModelsecError('INVALID_CONFIG', `--trust-config ${flags.trustConfig} has no trustedRoot`);
    trustedRootJson = config.trustedRoot;
  }
  return {
    kind: 'sigstore',
    issuer: flags.identityProvider!,
    ...(flags.identity !== undefined ? { identity: flags.identity } : {}),
    ...(flags.identityRegexp !== undefined ? { identityRegexp: flags.identityRegexp } : {}),
    ...(trustedRootJson !== undefined ? { trustedRootJson } : {}),
    ...(flags.useStaging ? { useStaging: true } : {}),
  };
}

const METHODS = ['key', 'certificate', 'sigstore'] as const;

/** `modelsec verify key|certificate|sigstore MODEL_PATH`: exit 0 valid, 1 invalid (with the reason), 2 usage. */
export function register(program: Command, env: CliEnv): void {
  const verify = program
    .command('verify')
    .description('Verify a model signature: key, certificate or sigstore')
    .addHelpText(
      'after',
      '\nExamples:\n  modelsec verify key ./my-model --public-key signer.pub\n' +
        '  modelsec verify certificate ./my-model --certificate-chain ca.pem\n' +
        '  modelsec verify sigstore ./my-model --identity me@example.com --identity-provider https://accounts.google.com\n' +
        '  modelsec verify key ./my-model --public-key signer.pub --attestation my-model/model.example.com_bom.att.sig\n',
    );
  for (const method of METHODS) {
    const sub = verify.command(`${method} <MODEL_PATH>`).description(`verify a ${method} signature`);
    // No git-path default: the paths the signature records as ignored are ignored, nothing else (as `check`).
    addHashFlags(sub, { serialization: false, signature: true, gitPaths: false });
    addVerifierFlags(sub, method);
    sub
      .option('--ignore-unsigned-files', 'accept files on disk that the signature does not cover')
      .option('--attestation <FILE>', 'also verify this attestation (same signer, same model digest); repeatable', collect)
      .option(
        '--changed-since <OLD.sig>',
        'incremental: hash only files changed since OLD.sig was written; the others take their digests from OLD.sig, once it verifies with the same signer',
      );
    sub.action(
      action(
        env,
        async (
          out: Output,
          model: string,
          flags: HashFlags & VerifierFlags & { ignoreUnsignedFiles?: boolean; attestation?: string[]; changedSince?: string },
        ) => {
          const verifier = await verifierFrom(env, method, flags);
          const reuse = flags.changedSince ? await reuseFrom(resolve(env.cwd, flags.changedSince), verifier) : undefined;
          const signaturePath = signaturePathFor(env, model, flags);
          let bundle: Buffer;
          try {
            bundle = await readFile(signaturePath);
          } catch (error) {
            const e = toModelsecError(error);
            throw new ModelsecError(e.code, `signature ${signaturePath}: ${e.message}`, { details: { path: signaturePath } });
          }
          const progress = out.progress('hashing');
          let verified: Awaited<ReturnType<typeof verifyModel>>;
          try {
            verified = await verifyModel(resolve(env.cwd, model), bundle, verifier, {
              ignorePaths: (flags.ignorePaths ?? []).map((p) => resolveIgnorePath(env, model, p)),
              ignoreGitPaths: false,
              ignoreUnsignedFiles: Boolean(flags.ignoreUnsignedFiles),
              signaturePath,
              ...(reuse ? { reuse } : {}),
              ...(flags.allowSymlinks ? { allowSymlinks: true } : {}),
              onProgress: (done, total) => {
                progress.setTotal(total);
                progress.update(done);
              },
            });
          } finally {
            progress.finish();
          }
          const attestations: { file: string; predicateType: string; signer: unknown; signedAt?: string }[] = [];
          // Attestation files kept beside the signature are verified too (same signer, this model): a stray one that
          // does not verify fails, as in `check`, instead of passing unnoticed.
          const pattern = attestationNamePattern(basename(signaturePath));
          const beside = (await readdir(dirname(signaturePath)).catch(() => [] as string[]))
            .filter((n) => pattern.test(n))
            .map((n) => join(dirname(signaturePath), n));
          const given = new Set((flags.attestation ?? []).map((f) => resolve(env.cwd, f)));
          for (const file of [...(flags.attestation ?? []), ...beside.filter((f) => !given.has(f)).sort()]) {
            const text = await readInput(env, file, '--attestation');
            const a = await verifyAttestation(text, verifier, { model: verified }).catch((error: unknown) => {
              const e = toModelsecError(error);
              throw new ModelsecError(e.code, `attestation ${file}: ${e.message}`, { details: { ...e.details, file } });
            });
            attestations.push({
              file,
              predicateType: a.predicateType,
              signer: a.signer,
              ...(a.signedAt ? { signedAt: a.signedAt } : {}),
            });
          }
          out.result(
            {
              valid: true,
              method,
              signature: signaturePath,
              rootDigest: verified.rootDigest,
              serialization: verified.method,
              resources: verified.resources.length,
              signer: verified.signer,
              ...(verified.signedAt ? { signedAt: verified.signedAt } : {}),
              attestations,
            },
            () =>
              [
                `verified: ${verified.resources.length} resources match sha256:${verified.rootDigest}`,
                `signer: ${verified.signer.kind} ${verified.signer.identity ?? verified.signer.keyFingerprint ?? ''}${verified.signer.issuer ? ` (${verified.signer.issuer})` : ''}`,
                ...(verified.signedAt ? [`signed at: ${verified.signedAt}`] : []),
                ...attestations.map((a) => `attestation ok: ${a.predicateType} (${a.file})`),
              ].join('\n'),
          );
          return undefined;
        },
      ),
    );
  }
}
