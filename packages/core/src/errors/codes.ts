/**
 * The one registry of error codes. Each code is bound here, once, to the CLI exit code and the HTTP status it
 * maps to. `docs/errors.md` lists the same table; `tests/core/errors/error-codes.test.ts` keeps code, docs and types in step.
 *
 * Exit codes: 0 success; 1 the check failed (findings at or above the threshold, a signature that does not
 * verify, a policy that denies); 2 usage or input error; 3 internal error.
 *
 * Each capability owns one section below. Add a code to your own section only; keep each entry on its own lines.
 */

export type ExitCode = 0 | 1 | 2 | 3;

export interface ErrorCodeSpec {
  /** CLI process exit code. */
  readonly exit: ExitCode;
  /** HTTP status the registry answers with. */
  readonly http: number;
  /** One line for the docs: when this code is raised. */
  readonly summary: string;
}

function spec(exit: ExitCode, http: number, summary: string): ErrorCodeSpec {
  return { exit, http, summary };
}

export const ERROR_CODES = {
  // ── general ────────────────────────────────────────────────────────────────
  USAGE: spec(2, 400, 'A command-line flag or argument is missing or invalid.'),
  NOT_IMPLEMENTED: spec(2, 501, 'The command or feature is not implemented yet.'),
  INVALID_ARGUMENT: spec(2, 400, 'A value passed to a library function is out of its domain.'),
  FILE_NOT_FOUND: spec(2, 404, 'A path given as input does not exist.'),
  FILE_UNREADABLE: spec(
    2,
    400,
    'A path exists but cannot be read (permissions, a directory where a file was expected, I/O error).',
  ),
  FILE_WRITE_FAILED: spec(3, 500, 'An output file could not be written.'),
  INVALID_JSON: spec(2, 400, 'An input that must be JSON does not parse.'),
  INVALID_CONFIG: spec(2, 400, 'A configuration file does not match its schema.'),
  SCHEMA_VALIDATION_FAILED: spec(2, 400, 'A document does not validate against its JSON schema.'),
  LIMIT_EXCEEDED: spec(2, 413, 'Untrusted input exceeds a named safety limit.'),
  NETWORK_ERROR: spec(3, 502, 'A remote service could not be reached or answered unexpectedly.'),
  INTERNAL: spec(3, 500, 'A bug in modelsec: please report it with the command that triggered it.'),
  DEPENDENCY_MISSING: spec(3, 500, 'An npm package a feature loads on first use is not installed; the message names it.'),

  // ── scan ───────────────────────────────────────────────────────────────────
  SCAN_FINDINGS: spec(1, 422, 'The scan found issues at or above the --fail-on threshold.'),
  SCAN_INCOMPLETE: spec(1, 422, 'A file could not be fully inspected (verdict incomplete) and incomplete files are not allowed.'),
  SCAN_PATH_INVALID: spec(2, 400, 'A scan target is not a file, a directory or a valid hf:// reference.'),
  FORMAT_INVALID: spec(2, 400, 'A model file header (safetensors, GGUF, ONNX) is malformed.'),
  SCAN_KERAS_CONFIG: spec(
    2,
    400,
    "A Keras archive's config.json cannot be read (over the size limit, not JSON): its layers were not inspected.",
  ),

  // ── mlbom ──────────────────────────────────────────────────────────────────
  BOM_INVALID: spec(1, 422, 'A BOM does not validate against the CycloneDX schema.'),
  BOM_UNSUPPORTED_SPEC: spec(2, 400, 'The requested CycloneDX or SPDX version is not supported.'),
  BOM_INPUT_INVALID: spec(2, 400, 'A model file, card or lockfile is malformed beyond recovery.'),
  HUB_ERROR: spec(3, 502, 'The Hugging Face Hub answered with an error.'),
  HUB_HASH_MISMATCH: spec(
    1,
    422,
    'A downloaded file differs from what the Hub listed: its SHA-256 from the LFS sha256, its git blob id from the listed oid, or its size from the listed size.',
  ),
  BOM_NOT_RECOGNISED: spec(2, 400, 'A file given as a BOM is not a CycloneDX JSON or XML document, or hides its version.'),
  BOM_VALIDATOR_UNAVAILABLE: spec(3, 500, 'The XML schema validator (libxmljs2 native addon) could not be loaded.'),

  // ── dependencies (modelsec deps) ──────────────────────────────────────────
  DEPS_OSV_INVALID: spec(
    2,
    400,
    'An OSV database given to deps is not a readable zip export or JSON record, or holds a record that is not OSV.',
  ),
  DEPS_INPUT_INVALID: spec(
    2,
    400,
    'A lockfile, manifest or workflow given to deps cannot be read as one (garbage, binary or the wrong shape).',
  ),

  // ── signing ────────────────────────────────────────────────────────────────
  SIGNATURE_INVALID: spec(1, 422, 'The signature, its payload or its verification material does not verify.'),
  MODEL_MISMATCH: spec(1, 422, 'The model on disk differs from what the signature covers.'),
  SIGNING_FAILED: spec(3, 500, 'Signing could not complete (key, certificate or Sigstore service error).'),
  KEY_INVALID: spec(2, 400, 'A key or certificate file cannot be parsed or has an unsupported algorithm.'),
  SIGNING_BUNDLE_INVALID: spec(
    1,
    422,
    'A signature file is not a Sigstore bundle with a DSSE in-toto statement of a known shape.',
  ),
  SIGNING_PREDICATE_UNSUPPORTED: spec(1, 422, 'The signed statement has a predicate type this verifier does not accept.'),
  SIGNING_RESOURCE_NAME_INVALID: spec(1, 422, 'A signed resource name is absolute, contains "..", or is not normalised.'),
  SIGNING_SYMLINK_REFUSED: spec(1, 422, 'The model contains a symbolic link and symlinks were not allowed.'),
  SIGNING_FILE_MISSING: spec(1, 422, 'A file the signature covers is missing from the model.'),
  SIGNING_FILE_EXTRA: spec(1, 422, 'The model has a file the signature does not cover (use --ignore-unsigned-files to allow).'),
  SIGNING_DIGEST_MISMATCH: spec(1, 422, 'A file (or shard) digest differs from the signed digest.'),
  SIGNING_ROOT_DIGEST_MISMATCH: spec(1, 422, 'The statement subject digest is not the digest of its listed resources.'),
  SIGNING_PAE_MISMATCH: spec(1, 422, 'The DSSE signature does not verify over the pre-authentication encoding of the payload.'),
  SIGNING_CURVE_HASH_MISMATCH: spec(1, 422, 'The signature was made with a hash that does not match the key curve.'),
  SIGNING_KEY_MISMATCH: spec(1, 422, 'The bundle was signed by a different key than the one given.'),
  SIGNING_CHAIN_UNTRUSTED: spec(1, 422, 'The certificate chain does not reach a trusted root at the signing time.'),
  SIGNING_EKU_MISSING: spec(1, 422, 'The signing certificate lacks the code-signing extended key usage.'),
  SIGNING_IDENTITY_MISMATCH: spec(1, 422, 'The certificate identity or issuer is not exactly the one required.'),
  SIGNING_TLOG_INVALID: spec(1, 422, 'The transparency log entry, inclusion proof, SET or timestamp does not verify.'),
  SIGNING_CERT_EXPIRED: spec(
    1,
    422,
    'A certificate of the signing path is not valid (expired or not yet valid) at the trusted signing time.',
  ),
  SIGNING_CERT_CONSTRAINT_VIOLATED: spec(
    1,
    422,
    'A certificate path breaks an RFC 5280 rule: an issuer that is not a CA, a path length constraint, a key usage, or an unprocessed critical extension.',
  ),

  // ── registry ───────────────────────────────────────────────────────────────
  UNAUTHENTICATED: spec(2, 401, 'No token, or an unknown token, was presented.'),
  FORBIDDEN: spec(2, 403, 'The token lacks the scope or namespace for this action.'),
  NOT_FOUND: spec(2, 404, 'The namespace, model, version, blob or upload does not exist.'),
  CONFLICT: spec(1, 409, 'The resource exists already and is immutable (for example a published version).'),
  POLICY_DENIED: spec(1, 422, 'The namespace policy refuses this model version.'),
  PAYLOAD_TOO_LARGE: spec(2, 413, 'A request body exceeds the server limit.'),
  DIGEST_MISMATCH: spec(2, 400, 'Uploaded bytes do not hash to the digest the client declared.'),
  REGISTRY_CHECK_UNAVAILABLE: spec(
    1,
    422,
    'A check the policy requires cannot run in this registry build; the push is refused (fail closed).',
  ),
  REGISTRY_BLOB_MISSING: spec(
    2,
    400,
    'A manifest names a blob that was not uploaded to the pushing namespace (nor is readable to it), or whose size differs.',
  ),
  REGISTRY_NAME_INVALID: spec(2, 400, 'A namespace or model name is not lowercase letters, digits, ".", "_" or "-" (max 64).'),
  REGISTRY_VERSION_INVALID: spec(2, 400, 'A version is not a valid semantic version, or a range does not parse.'),
  REGISTRY_PATH_INVALID: spec(2, 400, 'A manifest file path is absolute, has "." or ".." segments, or control characters.'),
  RATE_LIMITED: spec(
    2,
    429,
    'Too many refused requests without a valid token came from this address in the window; retry after the Retry-After seconds.',
  ),
  REGISTRY_CONTENT_YANKED: spec(
    1,
    409,
    "A push's root digest equals a yanked version's in the namespace (a yank binds the content); a namespace admin may override with overrideYank=true (audited, marked in the log entry).",
  ),

  // ── registry storage (several processes, quotas, expiry, garbage collection) ──
  REGISTRY_UPLOAD_LOCKED: spec(
    1,
    409,
    'Another request, in this or another registry process, is appending to or finishing this upload session: retry when it ends.',
  ),
  REGISTRY_BLOB_CORRUPT: spec(
    2,
    409,
    'A stored blob no longer hashes to its digest (changed on disk): it was quarantined and must be uploaded again.',
  ),
  REGISTRY_QUOTA_EXCEEDED: spec(
    2,
    429,
    'A namespace quota would be exceeded: upload sessions, bytes in flight or stored, or metadata (models, versions, tokens, policy versions, metadata bytes, blobs, lineage edges); the details name the quota.',
  ),
  REGISTRY_UPLOAD_EXPIRED: spec(
    2,
    410,
    'The upload session expired (no append for longer than the session expiry) and was removed: start a new one.',
  ),

  // ── transparency log ───────────────────────────────────────────────────────
  LOG_PROOF_INVALID: spec(1, 422, 'An inclusion or consistency proof does not verify.'),
  LOG_KEY_MISMATCH: spec(1, 422, "The registry's log key differs from the pinned one."),
  LOG_INCONSISTENT: spec(1, 422, 'The log is not consistent with a checkpoint seen before, or with its store.'),
  LOG_WITNESS_QUORUM: spec(1, 422, 'Fewer trusted witnesses than the required quorum cosigned the checkpoint.'),
  LOG_CHECKPOINT_STALE: spec(
    1,
    422,
    'Too few trusted witnesses cosigned the checkpoint recently enough (the checkpoint age bound): a registry may be serving an old, validly signed checkpoint to hide later entries.',
  ),
  LOG_OPENING_WITHHELD: spec(
    1,
    422,
    'The log entry of the expected version is sealed and the registry did not give its opening to a reader of the namespace: the version cannot be verified.',
  ),
  LOG_WITNESS_CONFLICT: spec(
    1,
    409,
    'A witness holds another view of the log: the old size is not the one it cosigned, or the same size has another root.',
  ),

  // ── registry client (check / pull / push trust only what they verify) ─────
  CLIENT_NO_TRUSTED_SIGNER: spec(
    2,
    400,
    'check/pull have no signer to trust: pin one with --public-key, --identity and --issuer, --certificate-root or a local policy, or pin the log key so the namespace policy recorded in the log can be used.',
  ),
  CLIENT_MODEL_UNSPECIFIED: spec(
    2,
    400,
    'check was not told which model to expect (--name NS/NAME[@RANGE] or the local policy models list).',
  ),
  CLIENT_TRUST_STORE_UNSAFE: spec(
    2,
    400,
    "The client's trust store (the config dir's logs/: log keys trusted on first use, verified log mirrors) is owned by another user or is not a plain directory: whoever controls it could replace the pins.",
  ),
  CLIENT_INSECURE_TRANSPORT: spec(2, 400, 'A token would be sent over plain http:// to an address that is not loopback.'),
  EVIDENCE_NOT_LOGGED: spec(
    1,
    422,
    'No publish entry in the verified transparency log matches the expected model, version and content.',
  ),
  EVIDENCE_BUNDLE_MISMATCH: spec(
    1,
    422,
    'The signature bundle the registry served does not hash to the bundle digest in the log entry.',
  ),
  EVIDENCE_LOG_MISMATCH: spec(
    1,
    422,
    'What verified (root digest, signer, files, sizes, attachment bytes) differs from the log entry it must match.',
  ),
  EVIDENCE_MISSING: spec(
    1,
    422,
    'Evidence a rule needs is absent: the registry withheld it, or the log entry does not carry it.',
  ),
  VERSION_YANKED: spec(
    1,
    422,
    'The transparency log records a yank of this version or of its content (use --allow-yanked to accept).',
  ),
  SCAN_NOT_RUN: spec(1, 422, 'The policy requires the registry scan and the logged entry says the version was not scanned.'),
  ATTESTATION_REQUIRED: spec(
    1,
    422,
    'A required attestation is absent, or none verifies (signature, trusted signer, subject equal to the model).',
  ),
  MLBOM_REQUIRED: spec(1, 422, 'The policy requires an ML-BOM and the logged version has none that verifies.'),
  LICENSE_DENIED: spec(1, 422, 'A licence in the verified ML-BOM is not in the policy allowed list (or no licence is declared).'),
  PULL_NAME_UNSAFE: spec(
    1,
    422,
    'A file name pull would write is unsafe: traversal, absolute, backslash, empty or "." segment, control or escape characters, or a collision after Unicode normalisation or case folding.',
  ),
  PULL_SIZE_MISMATCH: spec(1, 422, 'A downloaded file is not exactly the size the signature and the log entry give it.'),

  // ── evidence (attestations bound to the signed file set, offline gate) ────────
  ATTESTATION_SUBJECT_MISMATCH: spec(
    1,
    422,
    'An attestation is not about exactly the signed file set: another model, several subjects, or no OMS root digest beside the manifest digest.',
  ),
  ATTESTATION_PREDICATE_INVALID: spec(1, 422, 'An attestation predicate does not validate against its JSON schema.'),
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.freeze(Object.keys(ERROR_CODES) as ErrorCode[]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function exitCodeFor(code: ErrorCode): ExitCode {
  return ERROR_CODES[code].exit;
}

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}
