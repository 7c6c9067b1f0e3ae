import { createPublicKey } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  type BundleJson,
  type BundleVerifier,
  DEFAULT_SHARD_SIZE,
  DEFAULT_SIGNATURE_NAME,
  type HashModelOptions,
  loadPrivateKey,
  type ModelSigner,
  ModelsecError,
  reuseFrom,
  type SerializationMethod,
  signModel,
  stableJson,
  toModelsecError,
} from '@modelsec/core';
import type { Command } from 'commander';
import { action, type CliEnv, collect, Option, parseIntegerOption } from '../command-kit.js';
import type { Output } from '../output.js';

// Shared by sign / verify / attest / digest (the signing command family).

/** Reads a text input file, naming the flag it came from when it cannot be read. */
export async function readInput(env: CliEnv, path: string, flag: string): Promise<string> {
  try {
    return await readFile(resolve(env.cwd, path), 'utf8');
  } catch (error) {
    const e = toModelsecError(error);
    throw new ModelsecError(e.code, `${flag} ${path}: ${e.message}`, { details: { flag, path }, cause: error });
  }
}

/** Writes a file atomically (temp file + rename) so a failed run never leaves half a signature. */
export async function writeAtomically(path: string, body: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, body, { mode });
    await rename(temporary, path);
  } catch (error) {
    throw new ModelsecError('FILE_WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`, {
      details: { path },
      cause: error,
    });
  }
}

export interface HashFlags {
  signature?: string;
  ignorePaths?: string[];
  ignoreGitPaths?: boolean;
  allowSymlinks?: boolean;
  method?: SerializationMethod;
  shardSize?: number;
}

/** Adds the model-hashing flags every signing command shares. */
export function addHashFlags(
  command: Command,
  options: { serialization: boolean; signature: boolean; gitPaths?: boolean },
): Command {
  if (options.signature) command.option('--signature <FILE>', `signature file (default: MODEL_PATH/${DEFAULT_SIGNATURE_NAME})`);
  command.option(
    '--ignore-paths <PATH>',
    'leave this file or directory out (a path inside the model, from here or relative to the model); repeatable',
    collect,
  );
  // Signing records the git paths it leaves out (ignore_paths); verify and check honour exactly what was recorded.
  if (options.gitPaths !== false)
    command.option('--no-ignore-git-paths', 'also hash .git, .gitattributes, .github and .gitignore at the model root');
  command.option('--allow-symlinks', 'follow symbolic links (hash the target under the link path) instead of refusing them');
  if (options.serialization) {
    command
      .addOption(
        new Option('--method <METHOD>', 'hash whole files, or fixed-size shards of them')
          .choices(['files', 'shards'])
          .default('files'),
      )
      .option(
        '--shard-size <BYTES>',
        `shard size for --method shards (default ${DEFAULT_SHARD_SIZE})`,
        parseIntegerOption('--shard-size', 1),
      );
  }
  return command;
}

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

export interface SignerFlags {
  privateKey?: string;
  password?: string;
  signingCertificate?: string;
  certificateChain?: string[];
  identityToken?: string;
  useStaging?: boolean;
  trustConfig?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
}

/** Adds the flags of one signing method. */
export function addSignerFlags(command: Command, method: 'key' | 'certificate' | 'sigstore'): Command {
  if (method === 'key' || method === 'certificate') {
    command
      .requiredOption('--private-key <PEM>', 'PKCS#8 PEM private key (P-256, P-384 or P-521)')
      .option('--password <PASSWORD>', 'password of an encrypted private key (or env MODELSEC_KEY_PASSWORD)');
  }
  if (method === 'certificate') {
    command
      .requiredOption('--signing-certificate <PEM>', 'the signing (leaf) certificate; it must carry the code-signing EKU')
      .option('--certificate-chain <PEM>', 'intermediate certificates to include; repeatable', collect);
  }
  if (method === 'sigstore') {
    command
      .option('--identity-token <TOKEN>', 'OIDC identity token (else SIGSTORE_ID_TOKEN, else GitHub Actions OIDC)')
      .option('--use-staging', 'use the Sigstore staging instance')
      .option('--trust-config <FILE>', 'Sigstore ClientTrustConfig JSON naming a private Fulcio/Rekor/TSA')
      .option('--fulcio-url <URL>', 'Fulcio URL (private Sigstore)')
      .option('--rekor-url <URL>', 'Rekor URL (private Sigstore)')
      .option('--tsa-url <URL>', 'RFC 3161 timestamp authority URL (adds a signed timestamp)');
  }
  return command;
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

interface ReuseFlags {
  reuseFrom?: string;
  reuseCertificateRoot?: string[];
  reuseIdentity?: string;
  reuseIssuer?: string;
  trustedRoot?: string;
}

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

const METHODS = ['key', 'certificate', 'sigstore'] as const;

/** `modelsec sign key|certificate|sigstore MODEL_PATH`: OpenSSF Model Signing signatures. */
export function register(program: Command, env: CliEnv): void {
  const sign = program
    .command('sign')
    .description('Sign a model (OpenSSF Model Signing): key, certificate or sigstore')
    .addHelpText(
      'after',
      '\nExamples:\n  modelsec keygen --out signer\n  modelsec sign key ./my-model --private-key signer.key\n' +
        '  modelsec sign certificate ./my-model --private-key leaf.key --signing-certificate leaf.pem --certificate-chain int.pem\n' +
        '  SIGSTORE_ID_TOKEN=... modelsec sign sigstore ./my-model\n',
    );
  for (const method of METHODS) {
    const sub = sign
      .command(`${method} <MODEL_PATH>`)
      .description(
        method === 'key'
          ? 'sign with an ECDSA private key'
          : method === 'certificate'
            ? 'sign with a private key and its X.509 code-signing certificate chain'
            : 'keyless: Fulcio certificate for your OIDC identity, logged in Rekor',
      );
    addHashFlags(sub, { serialization: true, signature: true });
    addSignerFlags(sub, method);
    sub.option(
      '--reuse-from <OLD.sig>',
      'incremental: reuse the digests of OLD.sig (e.g. the current model.sig) for files unchanged since it was written, once it verifies ' +
        (method === 'key'
          ? 'against this key'
          : method === 'certificate'
            ? 'against --reuse-certificate-root'
            : 'against --reuse-identity/--reuse-issuer'),
    );
    if (method === 'certificate')
      sub.option('--reuse-certificate-root <PEM>', 'with --reuse-from: the root OLD.sig must chain to; repeatable', collect);
    if (method === 'sigstore')
      sub
        .option('--reuse-identity <ID>', 'with --reuse-from: the exact identity OLD.sig must be signed by')
        .option('--reuse-issuer <URL>', 'with --reuse-from: its exact OIDC issuer')
        .option('--trusted-root <FILE>', 'with --reuse-from: Sigstore trusted_root.json to verify OLD.sig offline');
    sub.action(
      action(env, async (out: Output, model: string, flags: HashFlags & SignerFlags & ReuseFlags) => {
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
      }),
    );
  }
}
