/** What the signing commands share at run time: where the signature is, hash options, the signer from its flags. */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { DEFAULT_SIGNATURE_NAME, type HashModelOptions } from '@modelsec/core/hashing';
import type { BundleJson, ModelSigner } from '@modelsec/core/signing';
import { stableJson } from '@modelsec/core/util';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';
import { readInput } from './files.js';
import type { HashFlags } from './hash-flags.js';
import type { SignerFlags } from './signer-flags.js';

/**
 * The signature file: `--signature`, else `model.sig` inside the model directory (beside a single-file model).
 * (The reference CLI defaults to `model.sig` in the current directory; keeping it with the model lets several
 * models be signed from one place. Pass `--signature model.sig` for the reference behaviour.)
 */
export function signaturePathFor(env: CliEnv, model: string, flags: HashFlags): string {
  if (flags.signature) return resolve(env.cwd, flags.signature);
  const absolute = resolve(env.cwd, model);
  let isFile = false;
  try {
    isFile = statSync(absolute).isFile();
  } catch {
    // A missing model is reported by the hashing step, naming the path.
  }
  return join(isFile ? dirname(absolute) : absolute, DEFAULT_SIGNATURE_NAME);
}

/**
 * An `--ignore-paths` value: a path as typed from the current directory when it lies inside the model (what the
 * reference CLI does), otherwise relative to the model directory.
 */
export function resolveIgnorePath(env: CliEnv, model: string, p: string): string {
  const root = resolve(env.cwd, model);
  const fromCwd = resolve(env.cwd, p);
  const rel = relative(root, fromCwd);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? fromCwd : resolve(root, p);
}

/** Hash options from the flags, with a progress bar on stderr while hashing. */
export function hashOptionsFrom(
  env: CliEnv,
  out: Output,
  model: string,
  flags: HashFlags,
): { options: HashModelOptions; done: () => void } {
  const progress = out.progress('hashing');
  return {
    options: {
      ...(flags.method ? { method: flags.method } : {}),
      ...(flags.shardSize !== undefined ? { shardSize: flags.shardSize } : {}),
      ignorePaths: (flags.ignorePaths ?? []).map((p) => resolveIgnorePath(env, model, p)),
      ignoreGitPaths: flags.ignoreGitPaths !== false,
      allowSymlinks: Boolean(flags.allowSymlinks),
      signaturePath: signaturePathFor(env, model, flags),
      onProgress: (done, total) => {
        progress.setTotal(total);
        progress.update(done);
      },
    },
    done: () => progress.finish(),
  };
}

/** Finds an OIDC token: the flag, SIGSTORE_ID_TOKEN, or GitHub Actions' OIDC endpoint. */
async function identityToken(env: CliEnv, flags: SignerFlags): Promise<string> {
  if (flags.identityToken) return flags.identityToken;
  if (env.env.SIGSTORE_ID_TOKEN) return env.env.SIGSTORE_ID_TOKEN;
  const url = env.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url && bearer) {
    try {
      const response = await fetch(`${url}${url.includes('?') ? '&' : '?'}audience=sigstore`, {
        headers: { authorization: `bearer ${bearer}`, accept: 'application/json' },
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = (await response.json()) as { value?: string };
      if (body.value) return body.value;
      throw new Error('no token in the answer');
    } catch (error) {
      throw new ModelsecError('NETWORK_ERROR', `GitHub Actions OIDC token request failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  throw new ModelsecError(
    'USAGE',
    'keyless signing needs an identity token: pass --identity-token, set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write` (the interactive browser flow is not supported)',
  );
}

interface TrustConfigUrls {
  fulcio?: string;
  rekor?: string;
  tsa?: string;
}

/** Reads the service URLs from a Sigstore ClientTrustConfig / SigningConfig JSON. */
async function trustConfigUrls(env: CliEnv, file: string): Promise<TrustConfigUrls> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readInput(env, file, '--trust-config')) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ModelsecError) throw error;
    throw new ModelsecError('INVALID_JSON', `--trust-config ${file} is not JSON`, { details: { path: file } });
  }
  const signing = (json.signingConfig ?? json) as Record<string, unknown>;
  const first = (key: string): string | undefined => {
    const list = signing[key];
    return Array.isArray(list) && typeof (list[0] as { url?: unknown })?.url === 'string'
      ? (list[0] as { url: string }).url
      : undefined;
  };
  const urls: TrustConfigUrls = {};
  const fulcio = first('caUrls');
  const rekor = first('rekorTlogUrls') ?? first('tlogUrls');
  const tsa = first('tsaUrls');
  if (fulcio) urls.fulcio = fulcio;
  if (rekor) urls.rekor = rekor;
  if (tsa) urls.tsa = tsa;
  return urls;
}

/** Builds the library signer from a method and its flags. */
export async function signerFrom(
  env: CliEnv,
  method: 'key' | 'certificate' | 'sigstore',
  flags: SignerFlags,
): Promise<ModelSigner> {
  const password = flags.password ?? env.env.MODELSEC_KEY_PASSWORD;
  if (method === 'key') {
    return {
      kind: 'key',
      privateKeyPem: await readInput(env, flags.privateKey!, '--private-key'),
      ...(password ? { password } : {}),
    };
  }
  if (method === 'certificate') {
    return {
      kind: 'certificate',
      privateKeyPem: await readInput(env, flags.privateKey!, '--private-key'),
      ...(password ? { password } : {}),
      signingCertificatePem: await readInput(env, flags.signingCertificate!, '--signing-certificate'),
      certificateChainPem: await Promise.all((flags.certificateChain ?? []).map((p) => readInput(env, p, '--certificate-chain'))),
    };
  }
  const config = flags.trustConfig ? await trustConfigUrls(env, flags.trustConfig) : {};
  const fulcio = flags.fulcioUrl ?? config.fulcio;
  const rekor = flags.rekorUrl ?? config.rekor;
  const tsa = flags.tsaUrl ?? config.tsa;
  return {
    kind: 'sigstore',
    identityToken: await identityToken(env, flags),
    ...(flags.useStaging ? { useStaging: true } : {}),
    ...(fulcio ? { fulcioUrl: fulcio } : {}),
    ...(rekor ? { rekorUrl: rekor } : {}),
    ...(tsa ? { tsaUrl: tsa } : {}),
  };
}

export function bundleText(bundle: BundleJson): string {
  return stableJson(bundle);
}
