import { createPublicKey } from 'node:crypto';
import { resolve } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { type BundleVerifier, loadPrivateKey, type ModelSigner, reuseFrom, signModel } from '@modelsec/core/signing';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { readInput, writeAtomically } from './files.js';
import type { ReuseFlags, SignFlags } from './sign.js';
import { bundleText, hashOptionsFrom, signaturePathFor, signerFrom } from './signing-kit.js';

/** How OLD.sig must verify before its digests are reused: the signer's own key, or the roots / identity given. */
async function reuseVerifier(env: CliEnv, signer: ModelSigner, flags: ReuseFlags): Promise<BundleVerifier> {
  if (signer.kind === 'key')
    return {
      kind: 'key',
      publicKeyPem: createPublicKey(loadPrivateKey(signer.privateKeyPem, signer.password)).export({
        type: 'spki',
        format: 'pem',
      }) as string,
    };
  if (signer.kind === 'certificate') {
    if (!flags.reuseCertificateRoot?.length)
      throw new ModelsecError(
        'USAGE',
        '--reuse-from with certificate signing needs --reuse-certificate-root (what OLD.sig must chain to)',
      );
    return {
      kind: 'certificate',
      rootCertificatesPem: await Promise.all(
        flags.reuseCertificateRoot.map((f) => readInput(env, f, '--reuse-certificate-root')),
      ),
    };
  }
  if (!flags.reuseIdentity || !flags.reuseIssuer)
    throw new ModelsecError(
      'USAGE',
      '--reuse-from with sigstore signing needs --reuse-identity and --reuse-issuer (who signed OLD.sig)',
    );
  let trustedRootJson: unknown;
  if (flags.trustedRoot) {
    try {
      trustedRootJson = JSON.parse(await readInput(env, flags.trustedRoot, '--trusted-root'));
    } catch (error) {
      if (error instanceof ModelsecError) throw error;
      throw new ModelsecError('INVALID_JSON', `--trusted-root ${flags.trustedRoot} is not JSON`);
    }
  }
  return {
    kind: 'sigstore',
    identity: flags.reuseIdentity,
    issuer: flags.reuseIssuer,
    ...(trustedRootJson !== undefined ? { trustedRootJson } : {}),
  };
}

/** The action of `modelsec sign METHOD MODEL_PATH`: hash, sign, write the signature atomically. */
export async function runSign(
  env: CliEnv,
  out: Output,
  method: 'key' | 'certificate' | 'sigstore',
  model: string,
  flags: SignFlags,
): Promise<undefined> {
  const signer = await signerFrom(env, method, flags);
  const hashing = hashOptionsFrom(env, out, model, flags);
  let result: Awaited<ReturnType<typeof signModel>>;
  try {
    const reuse = flags.reuseFrom
      ? await reuseFrom(resolve(env.cwd, flags.reuseFrom), await reuseVerifier(env, signer, flags))
      : undefined;
    result = await signModel(resolve(env.cwd, model), signer, { ...hashing.options, ...(reuse ? { reuse } : {}) });
  } finally {
    hashing.done();
  }
  const signaturePath = signaturePathFor(env, model, flags);
  await writeAtomically(signaturePath, bundleText(result.bundle));
  out.result(
    {
      signature: signaturePath,
      method,
      rootDigest: result.digest.rootDigest,
      serialization: result.digest.method,
      resources: result.digest.resources.length,
      bytes: result.digest.totalBytes,
      ...(result.digest.reused ? { reused: result.digest.reused } : {}),
    },
    () =>
      `signed ${result.digest.resources.length} resources (sha256:${result.digest.rootDigest}) with ${method} → ${signaturePath}${
        result.digest.reused
          ? ` (${result.digest.reused.files} unchanged file(s), ${result.digest.reused.bytes} bytes, reused from ${flags.reuseFrom})`
          : ''
      }`,
  );
  return undefined;
}
