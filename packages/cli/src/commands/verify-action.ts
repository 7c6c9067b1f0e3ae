import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelsecError, toModelsecError } from '@modelsec/core/errors';
import { attestationNamePattern, type BundleVerifier, reuseFrom, verifyAttestation, verifyModel } from '@modelsec/core/signing';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { readInput } from './files.js';
import { resolveIgnorePath, signaturePathFor } from './signing-kit.js';
import { readJson } from './trusted-root.js';
import type { VerifierFlags, VerifyFlags } from './verify.js';

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

/** The action of `modelsec verify METHOD MODEL_PATH`: exit 0 valid (errors carry the reason and exit code). */
export async function runVerify(
  env: CliEnv,
  out: Output,
  method: 'key' | 'certificate' | 'sigstore',
  model: string,
  flags: VerifyFlags,
): Promise<undefined> {
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
}
