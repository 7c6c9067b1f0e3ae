/**
 * The OMS manifest: the signed file set of a model as one digest, the subject of every modelsec attestation.
 *
 * The OMS root digest (SHA-256 over the concatenated resource digests) does not include the resource names, so two
 * models holding the same bytes under other names share it. The manifest digest binds the names, the order, the
 * serialization (method, hash type, shard size, symlinks, ignored paths) and every digest: "these files, no more,
 * no fewer". It is computed from what `model.sig` signs, never from the files directly:
 *
 *   sha256(canonicalJson({
 *     mediaType: 'application/vnd.modelsec.oms-manifest.v1+json',
 *     serialization: { method, hash_type, allow_symlinks, ignore_paths (sorted), shard_size (shards only) },
 *     resources: [{ name, algorithm, digest }, ...]            // in the signed order
 *   }))
 *
 * An attestation names it as its ONLY subject, `{name, digest: {sha256: <manifest digest>}, annotations:
 * {[OMS_ROOT_DIGEST_ANNOTATION]: <root digest>}}` (docs/evidence.md).
 */
import { createHash } from 'node:crypto';
import { ModelsecError } from '../errors/index.js';
import type { ModelResource, SerializationMethod } from '../hashing/model-hash.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { InTotoStatement } from './statement.js';

export const OMS_MANIFEST_MEDIA_TYPE = 'application/vnd.modelsec.oms-manifest.v1+json';
/** Subject annotation carrying the OMS root digest beside the manifest digest. */
export const OMS_ROOT_DIGEST_ANNOTATION = 'https://modelsec.dev/oms/root-digest';

/** What a manifest is computed from: a verified `SignedModel` or a fresh `ModelDigest` both fit. */
export interface ManifestSource {
  subjectName: string;
  rootDigest: string;
  method: SerializationMethod;
  hashType: string;
  shardSize?: number;
  allowSymlinks: boolean;
  ignorePaths: readonly string[];
  resources: readonly ModelResource[];
}

/** The manifest document whose canonical JSON is hashed. */
export function omsManifest(model: ManifestSource): Record<string, unknown> {
  return {
    mediaType: OMS_MANIFEST_MEDIA_TYPE,
    serialization: {
      method: model.method,
      hash_type: model.hashType,
      allow_symlinks: model.allowSymlinks,
      ignore_paths: [...model.ignorePaths].sort(),
      ...(model.method === 'shards' ? { shard_size: model.shardSize } : {}),
    },
    resources: model.resources.map((r) => ({ name: r.name, algorithm: r.algorithm, digest: r.digest.toLowerCase() })),
  };
}

/** Hex SHA-256 of the canonical manifest. */
export function manifestDigest(model: ManifestSource): string {
  return createHash('sha256')
    .update(canonicalJson(omsManifest(model)), 'utf8')
    .digest('hex');
}

/** The one subject of an attestation about `model`. */
export function manifestSubject(model: ManifestSource): InTotoStatement['subject'][number] {
  return {
    name: model.subjectName,
    digest: { sha256: manifestDigest(model) },
    annotations: { [OMS_ROOT_DIGEST_ANNOTATION]: model.rootDigest },
  };
}

/**
 * Refuses a statement that is not about exactly `model`: more than one subject (a match on one of several is never
 * accepted), a subject digest that is not the manifest digest, or a missing or different root digest annotation.
 */
export function assertSubjectIsModel(statement: Pick<InTotoStatement, 'subject'>, model: ManifestSource): void {
  const expected = manifestDigest(model);
  const subjects = statement.subject;
  const fail = (why: string, extra: Record<string, unknown> = {}) =>
    new ModelsecError('ATTESTATION_SUBJECT_MISMATCH', `the attestation is not about this model: ${why}`, {
      details: { expected, rootDigest: model.rootDigest, subjects: subjects.map((s) => s.digest), ...extra },
    });
  if (subjects.length !== 1)
    throw fail(`it has ${subjects.length} subjects; an attestation about a model has exactly one (its signed file set)`);
  const subject = subjects[0] as InTotoStatement['subject'][number];
  const digest = (subject.digest.sha256 ?? '').toLowerCase();
  if (digest !== expected)
    throw fail(
      digest === model.rootDigest
        ? 'its subject is the OMS root digest, which does not bind file names: re-attest (the subject is the manifest digest)'
        : `its subject digest ${digest || '(none)'} is not the manifest digest ${expected} of the signed file set`,
    );
  const root = subject.annotations?.[OMS_ROOT_DIGEST_ANNOTATION];
  if (typeof root !== 'string' || root.toLowerCase() !== model.rootDigest)
    throw fail(`its subject records root digest ${String(root ?? '(none)')}, the signature ${model.rootDigest}`);
}
