import { ModelsecError } from '../errors/index.js';
import {
  computeRootDigest,
  DEFAULT_SHARD_SIZE,
  type ModelDigest,
  type ModelResource,
  parseShardName,
  type SerializationMethod,
} from '../hashing/model-hash.js';
import { type BundleJson, parseBundle } from './bundle.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The OMS signature predicate (what `sign` writes). */
export const MODEL_SIGNATURE_PREDICATE = 'https://model_signing/signature/v1.0';
/** Legacy model_signing v0.2 predicate (one subject per file): verified, never produced. */
export const LEGACY_DIGESTS_PREDICATE = 'https://model_signing/Digests/v0.1';

/** Largest statement payload accepted: a million resources fit well inside; anything larger is hostile. */
export const MAX_STATEMENT_BYTES = 256 * 1024 * 1024;

export interface InTotoStatement {
  _type: string;
  /** in-toto ResourceDescriptors; `annotations` keeps string values only (the OMS root digest of an attestation). */
  subject: { name: string; digest: Record<string, string>; annotations?: Record<string, string> }[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/** What a signed model statement says, normalised across reference versions and the spec. */
export interface SignedModel {
  subjectName: string;
  rootDigest: string;
  method: SerializationMethod;
  hashType: string;
  shardSize?: number;
  allowSymlinks: boolean;
  ignorePaths: string[];
  resources: ModelResource[];
  predicateType: string;
}

/** Builds the OMS statement for a hashed model (shard_size as an integer, resources in reference order). */
export function buildModelStatement(digest: ModelDigest, subjectName = digest.subjectName): InTotoStatement {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: subjectName, digest: { sha256: digest.rootDigest } }],
    predicateType: MODEL_SIGNATURE_PREDICATE,
    predicate: {
      serialization: {
        method: digest.method,
        hash_type: digest.hashType,
        allow_symlinks: digest.allowSymlinks,
        ignore_paths: digest.ignorePaths,
        ...(digest.method === 'shards' ? { shard_size: digest.shardSize ?? DEFAULT_SHARD_SIZE } : {}),
      },
      resources: digest.resources.map((r) => ({ name: r.name, algorithm: r.algorithm, digest: r.digest })),
    },
  };
}

/** Builds an attestation statement: any predicate about one subject (see manifest.ts: the signed file set). */
export function buildAttestationStatement(
  subject: InTotoStatement['subject'][number],
  predicateType: string,
  predicate: Record<string, unknown>,
): InTotoStatement {
  return { _type: IN_TOTO_STATEMENT_V1, subject: [subject], predicateType, predicate };
}

export function serialiseStatement(statement: InTotoStatement): Buffer {
  return Buffer.from(JSON.stringify(statement, null, 2), 'utf8');
}

function bad(message: string, details: Record<string, unknown> = {}): ModelsecError {
  return new ModelsecError('SIGNING_BUNDLE_INVALID', message, { details });
}

/**
 * A resource name is a relative, normalised POSIX path: not absolute, no `..`, no `.` or empty components,
 * no backslash or NUL. `.` alone is allowed for a single-file model (the reference's name for it).
 */
export function assertResourceName(name: string, method: SerializationMethod): void {
  let path = name;
  if (method === 'shards') {
    const shard = parseShardName(name);
    if (!shard || shard.end < shard.start) {
      throw new ModelsecError('SIGNING_RESOURCE_NAME_INVALID', `shard name '${name}' is not PATH:START:END`, {
        details: { resource: name },
      });
    }
    path = shard.path;
  }
  if (path === '.') return;
  const components = path.split('/');
  const reason =
    path.length === 0
      ? 'is empty'
      : path.startsWith('/') || /^[A-Za-z]:/.test(path)
        ? 'is absolute'
        : components.includes('..')
          ? "contains '..'"
          : components.some((c) => c === '' || c === '.') || path.includes('\\') || path.includes('\0')
            ? 'is not normalised'
            : undefined;
  if (reason) {
    throw new ModelsecError('SIGNING_RESOURCE_NAME_INVALID', `signed resource name '${name}' ${reason}`, {
      details: { resource: name, reason },
    });
  }
}

function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as Record<string, unknown>;
}

/** Parses an in-toto statement payload (any predicate): shape only. */
export function parseStatement(payload: Buffer): InTotoStatement {
  if (payload.length > MAX_STATEMENT_BYTES) {
    throw new ModelsecError('LIMIT_EXCEEDED', `statement payload larger than ${MAX_STATEMENT_BYTES} bytes`, {
      details: { limit: MAX_STATEMENT_BYTES },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw bad('DSSE payload is not JSON');
  }
  const s = asRecord(json, 'statement');
  if (s._type !== IN_TOTO_STATEMENT_V1 && s._type !== 'https://in-toto.io/Statement/v0.1') {
    throw bad(`statement _type '${String(s._type)}' is not an in-toto Statement`, { field: '_type' });
  }
  if (!Array.isArray(s.subject) || s.subject.length === 0) throw bad('statement has no subject', { field: 'subject' });
  const subject = s.subject.map((x, i) => {
    const r = asRecord(x, `subject[${i}]`);
    const digest = asRecord(r.digest, `subject[${i}].digest`);
    const annotations =
      r.annotations === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(asRecord(r.annotations, `subject[${i}].annotations`)).filter(
              (e): e is [string, string] => typeof e[1] === 'string',
            ),
          );
    return {
      name: String(r.name ?? ''),
      digest: Object.fromEntries(Object.entries(digest).map(([k, v]) => [k, String(v)])),
      ...(annotations ? { annotations } : {}),
    };
  });
  if (typeof s.predicateType !== 'string') throw bad('statement has no predicateType', { field: 'predicateType' });
  return {
    _type: s._type as string,
    subject,
    predicateType: s.predicateType,
    predicate: s.predicate === undefined ? {} : asRecord(s.predicate, 'predicate'),
  };
}

const HEX = /^[0-9a-f]+$/;

/**
 * Interprets a statement as an OMS model signature (v1.0 predicate, or the legacy v0.1 digests one), validating
 * resource names and recomputing the root digest. Accepts both the reference's and the spec's shard encodings.
 */
export function interpretModelStatement(statement: InTotoStatement): SignedModel {
  if (statement.predicateType === LEGACY_DIGESTS_PREDICATE) {
    const resources = statement.subject.map((s) => ({
      name: s.name,
      digest: (s.digest.sha256 ?? '').toLowerCase(),
      algorithm: 'sha256',
    }));
    for (const r of resources) {
      assertResourceName(r.name, 'files');
      if (!HEX.test(r.digest)) throw bad(`subject ${r.name} has no sha256 digest`);
    }
    return {
      subjectName: '',
      rootDigest: computeRootDigest(resources),
      method: 'files',
      hashType: 'sha256',
      allowSymlinks: false,
      ignorePaths: [],
      resources,
      predicateType: statement.predicateType,
    };
  }
  if (statement.predicateType !== MODEL_SIGNATURE_PREDICATE) {
    throw new ModelsecError(
      'SIGNING_PREDICATE_UNSUPPORTED',
      `predicate type '${statement.predicateType}' is not a model signature (${MODEL_SIGNATURE_PREDICATE})`,
      { details: { predicateType: statement.predicateType } },
    );
  }
  if (statement.subject.length !== 1) throw bad('a model signature has exactly one subject', { field: 'subject' });
  const subject = statement.subject[0]!;
  const rootDigest = (subject.digest.sha256 ?? '').toLowerCase();
  if (!HEX.test(rootDigest) || rootDigest.length !== 64) throw bad('subject has no sha256 digest', { field: 'subject.digest' });
  const serialization = asRecord(statement.predicate.serialization, 'predicate.serialization');
  const method = serialization.method;
  if (method !== 'files' && method !== 'shards') throw bad(`unknown serialization method '${String(method)}'`);
  const hashType = String(serialization.hash_type ?? 'sha256');
  if (hashType !== 'sha256') {
    throw bad(`hash_type '${hashType}' is not supported (sha256 only)`, { field: 'predicate.serialization.hash_type' });
  }
  let shardSize: number | undefined;
  if (method === 'shards') {
    shardSize = Number(serialization.shard_size ?? DEFAULT_SHARD_SIZE);
    if (!Number.isSafeInteger(shardSize) || shardSize <= 0) throw bad(`bad shard_size ${String(serialization.shard_size)}`);
  }
  const ignorePaths = Array.isArray(serialization.ignore_paths) ? serialization.ignore_paths.map(String) : [];
  if (!Array.isArray(statement.predicate.resources))
    throw bad('predicate has no resources list', { field: 'predicate.resources' });
  const resources = statement.predicate.resources.map((x, i) => {
    const r = asRecord(x, `resources[${i}]`);
    const name = String(r.name ?? '');
    const digest = String(r.digest ?? '').toLowerCase();
    const algorithm = String(r.algorithm ?? hashType);
    assertResourceName(name, method);
    if (!HEX.test(digest) || digest.length !== 64) throw bad(`resource ${name} has no sha256 hex digest`, { resource: name });
    const okAlgorithm = algorithm === hashType || (method === 'shards' && algorithm === `${hashType}-sharded-${shardSize}`);
    if (!okAlgorithm) throw bad(`resource ${name} has algorithm '${algorithm}'`, { resource: name });
    return { name, digest, algorithm };
  });
  const names = new Set(resources.map((r) => r.name));
  if (names.size !== resources.length) throw bad('a resource is listed twice');
  const recomputed = computeRootDigest(resources);
  if (recomputed !== rootDigest) {
    throw new ModelsecError('SIGNING_ROOT_DIGEST_MISMATCH', 'the subject digest is not the digest of the listed resources', {
      details: { signed: rootDigest, recomputed },
    });
  }
  return {
    subjectName: subject.name,
    rootDigest,
    method,
    hashType,
    ...(shardSize !== undefined ? { shardSize } : {}),
    allowSymlinks: serialization.allow_symlinks === true,
    ignorePaths,
    resources,
    predicateType: statement.predicateType,
  };
}

/**
 * What a model signature bundle claims, read WITHOUT verifying its signature: for planning work (which files to
 * upload under which digest) that a verifier checks later. Never a trust decision.
 */
export function readUnverifiedModelStatement(bundle: string | Buffer | BundleJson): SignedModel {
  return interpretModelStatement(parseStatement(parseBundle(bundle).payload));
}
