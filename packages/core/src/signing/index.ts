/**
 * OpenSSF Model Signing (OMS), compatible with the reference `model_signing` 1.x and the OMS spec v1.0.
 *
 * API summary (stable; the registry depends on it):
 * - `hashModelDirectory(path, {method, shardSize, ignorePaths, ignoreGitPaths, allowSymlinks, signaturePath,
 *    onProgress})` → `ModelDigest` {subjectName, method, resources: {name, digest, algorithm}[], rootDigest, ...}.
 * - `signModel(path, signer, hashOptions)` → {bundle, digest, statement}; `signStatement(statement, signer)`;
 *   `attestModel(signedModel, predicateType, predicate, signer)` (subject: the manifest digest, manifest.ts).
 *   Signers: {kind:'key', privateKeyPem, password?} | {kind:'certificate', privateKeyPem, signingCertificatePem,
 *   certificateChainPem?} | {kind:'sigstore', identityToken, fulcioUrl?, rekorUrl?, tsaUrl?, useStaging?}.
 * - `verifyModelBundle(bundleJsonOrText, verifier)` → `VerifiedModelBundle` {resources, rootDigest, method,
 *   signer: {kind, keyFingerprint?, identity?, issuer?, certificateRoots?}, signedAt?}: NO model files needed.
 *   Verifiers: {kind:'key', publicKeyPem} | {kind:'certificate', rootCertificatesPem} |
 *   {kind:'sigstore', identity | identityRegexp (anchored), issuer, trustedRootJson?, useStaging?}.
 * - `compareResources(signed, actual, {ignoreUnsigned, shards})` → `ResourceMismatch[]` (missing/extra/digest).
 * - `verifyModel(path, bundle, verifier, options)`: the bundle plus the files on disk.
 * - `verifyAttestation(bundle, verifier, {model?, rootDigest?, predicateType?})` → {predicateType, predicate, signer}:
 *   with `model`, the one subject must be the model's OMS manifest digest (manifest.ts).
 * Every failed check throws ModelsecError with its own `SIGNING_*` code (see docs/errors.md).
 *
 * Written form (`sign`): bundle v0.3, `publicKey.hint` (key) or `x509CertificateChain` (certificate), resource
 * names as the reference (single file = '.', shards `path:start:end` with algorithm `sha256-sharded-N`),
 * `shard_size` as an integer, `ignore_paths` recorded. Verification accepts the spec's forms as well.
 */

export {
  attestationNamePattern,
  comparePosixPaths,
  computeRootDigest,
  DEFAULT_GIT_IGNORES,
  DEFAULT_SHARD_SIZE,
  DEFAULT_SIGNATURE_NAME,
  type HashModelOptions,
  hashModelDirectory,
  hashShards,
  type ListedModel,
  listModel,
  MAX_MODEL_DEPTH,
  MAX_SIGNED_MODEL_FILES,
  type ModelDigest,
  type ModelResource,
  parseShardName,
  type ReuseDigests,
  type SerializationMethod,
} from '../hashing/model-hash.js';
export { type VerifiedAttestation, verifyAttestation } from './attestation.js';
export { BUNDLE_V03_MEDIA_TYPE, type BundleJson, MAX_BUNDLE_BYTES, parseBundle } from './bundle.js';
export { pae } from './dsse.js';
export { type Curve, generateSigningKey, keyHint, loadPrivateKey, loadPublicKey } from './keys.js';
export {
  assertSubjectIsModel,
  type ManifestSource,
  manifestDigest,
  manifestSubject,
  OMS_MANIFEST_MEDIA_TYPE,
  OMS_ROOT_DIGEST_ANNOTATION,
  omsManifest,
} from './manifest.js';
export { attestationPathFor } from './paths.js';
export { reuseFrom } from './reuse.js';
export { attestModel, type ModelSigner, signModel, signStatement } from './sign.js';
export { signedFileSet } from './signed-set.js';
export { type KeylessOptions, loadTrustedRoot, matchIdentity, SIGSTORE_TIMEOUT_MS } from './sigstore.js';
export {
  buildModelStatement,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  LEGACY_DIGESTS_PREDICATE,
  MAX_STATEMENT_BYTES,
  MODEL_SIGNATURE_PREDICATE,
  readUnverifiedModelStatement,
  type SignedModel,
} from './statement.js';
export {
  type BundleVerifier,
  compareResources,
  modelMismatchError,
  type ResourceMismatch,
  type VerifiedModelBundle,
  type VerifiedSigner,
  type VerifiedStatement,
  type VerifyModelOptions,
  verifyModel,
  verifyModelBundle,
  verifyStatementBundle,
} from './verify.js';
export {
  ANY_EKU,
  type CertificateFacts,
  CODE_SIGNING_EKU,
  certificateFacts,
  MAX_CERTIFICATES,
  MAX_CHAIN_LENGTH,
  MAX_PATH_CANDIDATES,
  parseCertificatesPem,
  validateCertificatePath,
  verifyCertificateChain,
} from './x509.js';
