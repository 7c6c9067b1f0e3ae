import { createPublicKey } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';
import { type HashModelOptions, hashModelDirectory, type ModelDigest } from '../hashing/model-hash.js';
import { type BundleJson, buildBundle } from './bundle.js';
import { signPae } from './dsse.js';
import { keyHint, loadPrivateKey } from './keys.js';
import { type ManifestSource, manifestSubject } from './manifest.js';
import { type KeylessOptions, signKeyless } from './sigstore.js';
import {
  buildAttestationStatement,
  buildModelStatement,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  serialiseStatement,
} from './statement.js';
import { CODE_SIGNING_EKU, parseCertificatesPem } from './x509.js';

/** How to sign. */
export type ModelSigner =
  | { kind: 'key'; privateKeyPem: string; password?: string }
  | {
      kind: 'certificate';
      privateKeyPem: string;
      password?: string;
      signingCertificatePem: string;
      certificateChainPem?: string[];
    }
  | ({ kind: 'sigstore' } & KeylessOptions);

/** Signs an in-toto statement into a Sigstore bundle v0.3 (DSSE envelope). */
export async function signStatement(statement: InTotoStatement, signer: ModelSigner): Promise<BundleJson> {
  const payload = serialiseStatement(statement);
  if (signer.kind === 'sigstore') return signKeyless(IN_TOTO_PAYLOAD_TYPE, payload, signer);
  const key = loadPrivateKey(signer.privateKeyPem, signer.password);
  if (signer.kind === 'key') {
    return buildBundle(IN_TOTO_PAYLOAD_TYPE, payload, signPae(IN_TOTO_PAYLOAD_TYPE, payload, key), {
      publicKeyHint: keyHint(key),
    });
  }
  const [leaf] = parseCertificatesPem(signer.signingCertificatePem, 'signing certificate');
  const chain = (signer.certificateChainPem ?? []).flatMap((pem, i) =>
    parseCertificatesPem(pem, `certificate chain file ${i + 1}`),
  );
  const publicDer = (k: import('node:crypto').KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!publicDer(leaf!.publicKey).equals(publicDer(createPublicKey(key)))) {
    throw new ModelsecError('KEY_INVALID', 'the private key does not belong to the signing certificate');
  }
  if (!(leaf!.keyUsage ?? []).includes(CODE_SIGNING_EKU)) {
    throw new ModelsecError('SIGNING_EKU_MISSING', 'the signing certificate lacks the code-signing extended key usage');
  }
  return buildBundle(IN_TOTO_PAYLOAD_TYPE, payload, signPae(IN_TOTO_PAYLOAD_TYPE, payload, key), {
    certificatesDer: [leaf!, ...chain].map((c) => c.raw),
  });
}

/** Hashes and signs a model: returns the bundle to write as `model.sig` and the digest it covers. */
export async function signModel(
  modelPath: string,
  signer: ModelSigner,
  options: HashModelOptions = {},
): Promise<{ bundle: BundleJson; digest: ModelDigest; statement: InTotoStatement }> {
  const digest = await hashModelDirectory(modelPath, options);
  const statement = buildModelStatement(digest);
  return { bundle: await signStatement(statement, signer), digest, statement };
}

/**
 * Signs an attestation (any predicate) about a model. Given the signed file set (a `SignedModel` or `ModelDigest`:
 * anything with resources), its one subject is the OMS manifest digest with the root digest beside it (manifest.ts),
 * what every modelsec verifier requires. Given only `{subjectName, rootDigest}`, the subject is the bare root digest:
 * the form registries before issue 15 accepted, refused by the client gate (it does not bind file names).
 */
export async function attestModel(
  subject: ManifestSource | { subjectName: string; rootDigest: string },
  predicateType: string,
  predicate: Record<string, unknown>,
  signer: ModelSigner,
): Promise<{ bundle: BundleJson; statement: InTotoStatement }> {
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(predicateType)) {
    throw new ModelsecError('USAGE', `--predicate-type must be a URI, got '${predicateType}'`);
  }
  const statement = buildAttestationStatement(
    'resources' in subject ? manifestSubject(subject) : { name: subject.subjectName, digest: { sha256: subject.rootDigest } },
    predicateType,
    predicate,
  );
  return { bundle: await signStatement(statement, signer), statement };
}
