/**
 * Keyless signing and verification through sigstore-js. Its packages (and their TUF, HTTP and protobuf stacks) are
 * imported on first use, so key and certificate signing, and verification of such bundles, never evaluate them.
 */
import type { bundleFromJSON } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Witness } from '@sigstore/sign';
import { ModelsecError } from '../errors/index.js';
import { importDependency } from '../util/dependency.js';
import type { BundleJson } from './bundle.js';

const KEYLESS = 'keyless (Sigstore) signing and verification';
const sigstoreBundle = () => importDependency('@sigstore/bundle', KEYLESS, () => import('@sigstore/bundle'));
const sigstoreProtobufSpecs = () =>
  importDependency('@sigstore/protobuf-specs', KEYLESS, () => import('@sigstore/protobuf-specs'));
const sigstoreSign = () => importDependency('@sigstore/sign', KEYLESS, () => import('@sigstore/sign'));
const sigstoreTuf = () => importDependency('@sigstore/tuf', KEYLESS, () => import('@sigstore/tuf'));
const sigstoreVerify = () => importDependency('@sigstore/verify', KEYLESS, () => import('@sigstore/verify'));

export const PUBLIC_GOOD_URLS = {
  fulcio: 'https://fulcio.sigstore.dev',
  rekor: 'https://rekor.sigstore.dev',
  tsa: undefined as string | undefined,
  tuf: 'https://tuf-repo-cdn.sigstore.dev',
};
export const STAGING_URLS = {
  fulcio: 'https://fulcio.sigstage.dev',
  rekor: 'https://rekor.sigstage.dev',
  tsa: undefined as string | undefined,
  tuf: 'https://tuf-repo-cdn.sigstage.dev',
};

/** Network timeout for each Sigstore service call: long enough for a slow Rekor, short enough to fail a CI job. */
export const SIGSTORE_TIMEOUT_MS = 30_000;

export interface KeylessOptions {
  identityToken: string;
  useStaging?: boolean;
  fulcioUrl?: string;
  rekorUrl?: string;
  /** RFC 3161 timestamp authority; when set, a timestamp is added beside the tlog entry. */
  tsaUrl?: string;
  /** Skip the transparency log (a TSA must then be given). */
  noTlog?: boolean;
}

/** Keyless DSSE signing: Fulcio certificate for the OIDC identity, Rekor dsse entry, optional TSA timestamp. */
export async function signKeyless(payloadType: string, payload: Buffer, options: KeylessOptions): Promise<BundleJson> {
  const [{ DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness }, { bundleToJSON }] = await Promise.all([
    sigstoreSign(),
    sigstoreBundle(),
  ]);
  const urls = options.useStaging ? STAGING_URLS : PUBLIC_GOOD_URLS;
  const signer = new FulcioSigner({
    fulcioBaseURL: options.fulcioUrl ?? urls.fulcio,
    identityProvider: { getToken: async () => options.identityToken },
    timeout: SIGSTORE_TIMEOUT_MS,
  });
  const witnesses: Witness[] = [];
  if (!options.noTlog)
    witnesses.push(
      new RekorWitness({ rekorBaseURL: options.rekorUrl ?? urls.rekor, entryType: 'dsse', timeout: SIGSTORE_TIMEOUT_MS }),
    );
  const tsa = options.tsaUrl ?? urls.tsa;
  if (tsa) witnesses.push(new TSAWitness({ tsaBaseURL: tsa, timeout: SIGSTORE_TIMEOUT_MS }));
  if (witnesses.length === 0)
    throw new ModelsecError('USAGE', 'keyless signing needs a transparency log or a timestamp authority');
  try {
    const bundle = await new DSSEBundleBuilder({ signer, witnesses }).create({ data: payload, type: payloadType });
    return bundleToJSON(bundle) as unknown as BundleJson;
  } catch (error) {
    throw new ModelsecError('SIGNING_FAILED', `Sigstore signing failed: ${(error as Error).message}`, { cause: error });
  }
}

export interface SigstoreIdentity {
  subjectAlternativeName: string;
  issuer: string;
}

/** The media type every trusted_root.json version starts with. */
const TRUSTED_ROOT_MEDIA_TYPE_PREFIX = 'application/vnd.dev.sigstore.trustedroot';

/** Loads trust material: a trusted_root.json given offline, or the public-good / staging root over TUF. */
export async function loadTrustedRoot(options: { trustedRootJson?: unknown; useStaging?: boolean }): Promise<TrustedRoot> {
  if (options.trustedRootJson !== undefined) {
    const json = options.trustedRootJson as { mediaType?: unknown; tlogs?: unknown; certificateAuthorities?: unknown };
    // TrustedRoot.fromJSON accepts any object (missing lists become empty): check the shape a root must have.
    if (
      typeof json !== 'object' ||
      json === null ||
      typeof json.mediaType !== 'string' ||
      !json.mediaType.startsWith(TRUSTED_ROOT_MEDIA_TYPE_PREFIX) ||
      !Array.isArray(json.tlogs) ||
      json.tlogs.length === 0 ||
      !Array.isArray(json.certificateAuthorities)
    ) {
      throw new ModelsecError(
        'INVALID_CONFIG',
        `trusted root is not a Sigstore TrustedRoot (mediaType ${TRUSTED_ROOT_MEDIA_TYPE_PREFIX}..., at least one tlog)`,
        { details: { field: 'mediaType' } },
      );
    }
    const { TrustedRoot } = await sigstoreProtobufSpecs();
    try {
      return TrustedRoot.fromJSON(options.trustedRootJson);
    } catch (error) {
      throw new ModelsecError('INVALID_CONFIG', `trusted root is not a Sigstore TrustedRoot: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const { getTrustedRoot } = await sigstoreTuf();
  try {
    return await getTrustedRoot(options.useStaging ? { mirrorURL: STAGING_URLS.tuf } : {});
  } catch (error) {
    throw new ModelsecError(
      'NETWORK_ERROR',
      `cannot fetch the Sigstore trusted root over TUF (give --trusted-root FILE offline): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Verifies a keyless bundle with sigstore-js: Fulcio chain to the trusted root at the signing time, SCT,
 * Rekor inclusion proof / SET (at least one tlog entry), RFC 3161 timestamps, and the DSSE signature.
 * Identity policy is NOT left to sigstore-js (its match is an unanchored regex): the caller matches exactly.
 */
export async function verifySigstoreBundle(json: BundleJson, trustedRoot: TrustedRoot): Promise<SigstoreIdentity> {
  const vm = json.verificationMaterial as { tlogEntries?: unknown[] } | undefined;
  if (!Array.isArray(vm?.tlogEntries) || vm.tlogEntries.length === 0) {
    throw new ModelsecError('SIGNING_TLOG_INVALID', 'a keyless bundle must carry at least one transparency log entry', {
      details: { field: 'verificationMaterial.tlogEntries' },
    });
  }
  const [{ bundleFromJSON: fromJSON }, { toSignedEntity, toTrustMaterial, Verifier }] = await Promise.all([
    sigstoreBundle(),
    sigstoreVerify(),
  ]);
  let bundle: ReturnType<typeof bundleFromJSON>;
  try {
    bundle = fromJSON(json);
  } catch (error) {
    throw new ModelsecError('SIGNING_BUNDLE_INVALID', `not a valid Sigstore bundle: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const verifier = new Verifier(toTrustMaterial(trustedRoot), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
    const signer = verifier.verify(toSignedEntity(bundle));
    const san = signer.identity?.subjectAlternativeName ?? '';
    const issuer = signer.identity?.extensions?.issuer ?? '';
    return { subjectAlternativeName: san, issuer };
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const message = (error as Error).message;
    const mapped = /TLOG|INCLUSION|SET|TIMESTAMP|CHECKPOINT/i.test(code)
      ? 'SIGNING_TLOG_INVALID'
      : /SIGNATURE/i.test(code)
        ? 'SIGNING_PAE_MISMATCH'
        : 'SIGNING_CHAIN_UNTRUSTED';
    throw new ModelsecError(mapped, `Sigstore verification failed (${code || 'error'}): ${message}`, {
      details: { sigstoreCode: code },
      cause: error,
    });
  }
}

/**
 * Exact identity policy: the SAN equals `identity` (or fully matches the anchored `identityRegexp`), and the
 * issuer equals `issuer`. A substring match is a failure.
 */
export function matchIdentity(
  found: SigstoreIdentity,
  policy: { identity?: string; identityRegexp?: string; issuer: string },
): void {
  let ok: boolean;
  if (policy.identityRegexp !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${policy.identityRegexp})$`, 'u');
    } catch (error) {
      throw new ModelsecError('USAGE', `--identity-regexp is not a valid regular expression: ${(error as Error).message}`);
    }
    ok = re.test(found.subjectAlternativeName);
  } else ok = found.subjectAlternativeName === policy.identity;
  if (!ok || found.issuer !== policy.issuer) {
    throw new ModelsecError(
      'SIGNING_IDENTITY_MISMATCH',
      `signed by '${found.subjectAlternativeName}' (issuer '${found.issuer}'), not the required '${policy.identityRegexp ?? policy.identity}' (issuer '${policy.issuer}')`,
      {
        details: {
          identity: found.subjectAlternativeName,
          issuer: found.issuer,
          required: policy.identityRegexp ?? policy.identity,
          requiredIssuer: policy.issuer,
        },
      },
    );
  }
}
