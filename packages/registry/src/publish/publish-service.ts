/**
 * Publishing a version: the pipeline a push goes through after the route has authorised it. In order: the version
 * and the manifest paths are checked, the version must not exist, every blob the manifest names must be readable to
 * the namespace, the blobs are pinned against garbage collection, the registry verifies the push (signature, files,
 * attestations, ML-BOM, scan) under the namespace policy, and then the version, its attachments, its lineage and its
 * publish log entry commit in one transaction (which re-checks yanked content and the storage quota).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ModelsecError } from '@modelsec/core/errors';
import { canonicalJson } from '@modelsec/core/util';
import semver from 'semver';
import { lineageOfAttachments, lineageRecords } from '../lineage/lineage.js';
import { publishEntry } from '../log/publish-entry.js';
import type { LogHook } from '../log-hook.js';
import type { Policy } from '../policy/policy.js';
import { assertSafeNames } from '../resource-names.js';
import type { StorageQuotas } from '../storage/quotas.js';
import type { BlobStore } from '../store/blob-store.js';
import type { MetadataOps, MetadataStore, VersionRecord } from '../store/metadata-store.js';
import type { PushManifest } from '../verification/manifest.js';
import type { RegistryScanner } from '../verification/scan-adapter.js';
import { verifyPush } from '../verification/verify-push.js';

/** Most unreadable digests one refused push lists in its error details (a manifest may name 10,000). */
export const MAX_REPORTED_MISSING_BLOBS = 100;

/**
 * Pushes of one namespace verified at once by this process (hashing every file, signatures, the registry's scan);
 * more wait their turn (issue 12: one push token firing parallel pushes of a 10,000-file manifest held every core on
 * scans and starved the other tenants' pushes). Per process, as the refusal limits.
 */
export const MAX_CONCURRENT_PUSHES_PER_NAMESPACE = 2;
/** Pushes of one namespace that may wait for a turn; past them a push is refused RATE_LIMITED (retry later). */
export const MAX_QUEUED_PUSHES_PER_NAMESPACE = 16;

export interface PublishServiceOptions {
  /** Defaults MAX_CONCURRENT_PUSHES_PER_NAMESPACE and MAX_QUEUED_PUSHES_PER_NAMESPACE (tests lower them). */
  pushConcurrency?: { running: number; queued: number };
  store: MetadataStore;
  blobs: BlobStore;
  quotas: StorageQuotas;
  logHook: LogHook;
  /** The registry's scanner; absent: scan-requiring policies refuse. */
  scanner: RegistryScanner | undefined;
  /** Sigstore trusted_root.json (parsed) for policies naming Sigstore identities. */
  sigstoreTrustedRoot?: unknown;
  /** The output clock, as an ISO time. */
  now(): string;
}

export interface PublishRequest {
  namespace: string;
  model: string;
  version: string;
  manifest: PushManifest;
  /** A namespace admin re-publishes content that was yanked (the caller checked the admin scope). */
  overrideYank: boolean;
  /** Who publishes (the token id). */
  publishedBy: string;
  /** Receives the blob pin of this push as soon as it is taken: the caller releases it once the response is sent. */
  onPinned(pin: string): void;
  /**
   * Re-checks, inside the commit's transaction, that the caller may still push (its token not revoked meanwhile);
   * throws when it may not. Authorisation is decided at the start and again at the commit.
   */
  stillAuthorised?(tx: MetadataOps): Promise<void>;
}

export interface YankedContent {
  model: string;
  version: string;
  reason: string;
}

export interface Published {
  record: VersionRecord;
  /** The publish entry's index in the transparency log, when a log is kept. */
  logIndex?: number;
  /** The yanked versions of the same content this publish overrode. */
  overridden: YankedContent[];
  /** Bytes the registry hashed to verify the push. */
  hashedBytes: number;
}

export class PublishService {
  /** Pushes being verified and pushes waiting for a turn, per namespace (MAX_CONCURRENT_PUSHES_PER_NAMESPACE). */
  private readonly turns = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(private readonly options: PublishServiceOptions) {}

  async publish(input: PublishRequest): Promise<Published> {
    const limits = this.options.pushConcurrency ?? {
      running: MAX_CONCURRENT_PUSHES_PER_NAMESPACE,
      queued: MAX_QUEUED_PUSHES_PER_NAMESPACE,
    };
    const ns = input.namespace;
    let turn = this.turns.get(ns);
    if (!turn) {
      turn = { running: 0, waiting: [] };
      this.turns.set(ns, turn);
    }
    if (turn.running >= limits.running) {
      if (turn.waiting.length >= limits.queued)
        throw new ModelsecError(
          'RATE_LIMITED',
          `too many pushes to '${ns}' at once (${limits.running} verified, ${limits.queued} waiting); retry when one ends`,
          { details: { namespace: ns, limit: 'MAX_QUEUED_PUSHES_PER_NAMESPACE', value: limits.queued, retryAfterSeconds: 1 } },
        );
      const t = turn;
      await new Promise<void>((resolve) => t.waiting.push(resolve));
    } else turn.running += 1;
    try {
      return await this.publishVerified(input);
    } finally {
      // The turn passes to the next waiting push (running stays), or is given back.
      const next = turn.waiting.shift();
      if (next) next();
      else {
        turn.running -= 1;
        if (turn.running === 0) this.turns.delete(ns);
      }
    }
  }

  private async publishVerified(input: PublishRequest): Promise<Published> {
    const { store, blobs, quotas, logHook } = this.options;
    const { namespace, model, version, manifest, overrideYank } = input;
    checkVersion(version);
    checkManifestPaths(manifest);
    if (await store.getVersion(namespace, model, version)) {
      throw new ModelsecError('CONFLICT', `${namespace}/${model}@${version} is published already and immutable`, {
        details: { namespace, model, version },
      });
    }
    await this.requireReadableBlobs(namespace, manifest);
    // Held against garbage collection until the response (the commit re-checks every record under a lock).
    input.onPinned(await quotas.pinPush(distinctManifestDigests(manifest)));
    const policy = await store.currentPolicy(namespace);
    const result = await verifyPush({
      manifest,
      policy: policy ? (JSON.parse(policy.document) as Policy) : undefined,
      blobs,
      scanner: this.options.scanner,
      ...(this.options.sigstoreTrustedRoot !== undefined
        ? { sigstore: { trustedRootJson: this.options.sigstoreTrustedRoot } }
        : {}),
    });
    if (result.failed.length > 0 || !result.signed) {
      const inputError = result.failed.find(
        (f) => f.code === 'REGISTRY_BLOB_MISSING' || f.code === 'DIGEST_MISMATCH' || f.code === 'REGISTRY_BLOB_CORRUPT',
      );
      throw new ModelsecError(
        inputError ? inputError.code : 'POLICY_DENIED',
        `push refused: ${result.failed.map((f) => `[${f.rule}] ${f.message}`).join('; ')}`,
        {
          details: { failed: result.failed },
        },
      );
    }
    const signed = result.signed;
    const { report: scanReport, ...scanSummary } = result.scan;
    // The registry's own scan report: content-addressed, stored before the version commits (an unreferenced blob
    // if the commit fails), readable to the namespace's readers as the version's `registry-scan` attachment; its
    // digest is in the logged publish entry, which is what a client trusts.
    const registryScanDigest = scanReport ? await this.storeJsonBlob(namespace, scanReport) : null;
    const at = this.options.now();
    const signer = signed.signer;
    const record: VersionRecord = {
      namespace,
      model,
      version,
      rootDigest: signed.rootDigest,
      bundleDigest: manifest.bundle,
      signer: canonicalJson(signer),
      signerIdentity: signer.identity ?? null,
      signerKeyFingerprint: signer.keyFingerprint ?? null,
      signedAt: signed.signedAt ?? null,
      scanVerdict: canonicalJson(scanSummary),
      manifest: canonicalJson(manifest),
      publishedAt: at,
      publishedBy: input.publishedBy,
      yanked: false,
      yankedAt: null,
      yankReason: null,
    };
    const key = { namespace, model, version };
    const attachments = [
      {
        ...key,
        kind: 'bundle' as const,
        digest: manifest.bundle,
        mediaType: 'application/vnd.dev.sigstore.bundle+json',
        predicateType: null,
      },
      ...(manifest.mlbom
        ? [
            {
              ...key,
              kind: 'mlbom' as const,
              digest: manifest.mlbom,
              mediaType: result.mlbomFormat === 'xml' ? 'application/vnd.cyclonedx+xml' : 'application/vnd.cyclonedx+json',
              predicateType: null,
            },
          ]
        : []),
      ...(manifest.scanReport
        ? [
            {
              ...key,
              kind: 'scan-report' as const,
              digest: manifest.scanReport,
              mediaType: 'application/json',
              predicateType: null,
            },
          ]
        : []),
      ...result.attestations.map((a) => ({
        ...key,
        kind: 'attestation' as const,
        digest: a.digest,
        mediaType: 'application/vnd.dev.sigstore.bundle+json',
        predicateType: a.predicateType,
      })),
      ...(registryScanDigest
        ? [
            {
              ...key,
              kind: 'registry-scan' as const,
              digest: registryScanDigest,
              mediaType: 'application/json',
              predicateType: null,
            },
          ]
        : []),
    ];
    // The lineage index: the ML-BOM and attestations are parsed for lineage here, once, never at query time.
    const lineage = lineageRecords(key, await lineageOfAttachments(blobs, attachments));
    const { log, overridden } = await store.transaction(async (tx) => {
      await input.stillAuthorised?.(tx);
      const yanked = await yankedWithRoot(tx, namespace, signed.rootDigest);
      if (yanked.length > 0 && !overrideYank) throw contentYanked(namespace, signed.rootDigest, yanked);
      await quotas.admitPush(
        tx,
        namespace,
        [...distinctManifestDigests(manifest), ...(registryScanDigest ? [registryScanDigest] : [])],
        { model, manifestBytes: Buffer.byteLength(record.manifest, 'utf8'), lineageEdges: lineage.length },
      );
      await tx.ensureModel({ namespace, name: model, createdAt: at });
      await tx.insertVersion(
        record,
        manifest.files.map((f) => ({ ...key, path: f.path, digest: f.digest, size: f.size })),
        attachments,
      );
      await tx.insertLineage(key, lineage);
      const logged = await logHook.onLogEvent(
        tx,
        publishEntry({ ...key, at, signed, manifest, result, registryScanDigest, yankOverride: yanked.length > 0 }),
      );
      // The log append serialises with a yank's (the log_state row lock, or SQLite's writer lock): a yank that
      // committed while this push was verifying is seen here, and the push is refused rather than logged unmarked.
      if (yanked.length === 0 && (await yankedWithRoot(tx, namespace, signed.rootDigest)).length > 0)
        throw contentYanked(namespace, signed.rootDigest, await yankedWithRoot(tx, namespace, signed.rootDigest));
      // The same for the policy: one set while this push was verifying was logged first, so the push must not commit
      // under the policy it replaced (a model the policy in force refuses would be published after it).
      const inForce = await tx.currentPolicy(namespace);
      if ((inForce?.version ?? 0) !== (policy?.version ?? 0))
        throw new ModelsecError(
          'CONFLICT',
          `the policy of '${namespace}' changed while this push was verified (version ${policy?.version ?? 0} -> ${inForce?.version ?? 0}): push again`,
          { details: { namespace, verifiedUnder: policy?.version ?? 0, inForce: inForce?.version ?? 0 } },
        );
      return { log: logged, overridden: yanked };
    });
    return {
      record,
      ...(log?.logIndex !== undefined ? { logIndex: log.logIndex } : {}),
      overridden,
      hashedBytes: result.hashedBytes,
    };
  }

  /**
   * Every digest a manifest names must be readable to the pushing namespace (uploaded by it, referenced by one of
   * its versions, or by a public namespace's version), checked before any byte is read: naming another tenant's
   * digest is answered exactly as naming one that exists nowhere (REGISTRY_BLOB_MISSING), so it is no oracle.
   */
  private async requireReadableBlobs(namespace: string, manifest: PushManifest): Promise<void> {
    const named = manifestDigests(manifest);
    const readable = new Set(
      await this.options.store.blobsReadableTo(
        namespace,
        named.map((n) => n.digest),
      ),
    );
    const missing = named.filter((n) => !readable.has(n.digest));
    if (missing.length === 0) return;
    throw new ModelsecError(
      'REGISTRY_BLOB_MISSING',
      `push refused: ${missing.length} blob(s) the manifest names were not uploaded to '${namespace}': ${missing
        .slice(0, 5)
        .map((m) => `${m.what} ${m.digest}`)
        .join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      { details: { namespace, missing: missing.slice(0, MAX_REPORTED_MISSING_BLOBS) } },
    );
  }

  /** Stores a JSON document (canonical bytes) as a content-addressed blob; returns its digest. */
  private async storeJsonBlob(namespace: string, document: unknown): Promise<string> {
    const bytes = Buffer.from(canonicalJson(document), 'utf8');
    const digest = createHash('sha256').update(bytes).digest('hex');
    const put = await this.options.blobs.put(digest, Readable.from([bytes]));
    await this.options.store.putBlobRecord({ digest, size: put.size, createdAt: this.options.now() });
    await this.options.quotas.claim(namespace, digest);
    return digest;
  }
}

function checkVersion(version: string): void {
  if (semver.valid(version) !== version) {
    throw new ModelsecError(
      'REGISTRY_VERSION_INVALID',
      `'${version}' is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build])`,
      { details: { version } },
    );
  }
}

/**
 * Every manifest path is one pull will write (the client's rule, one copy: resource-names.ts): a safe relative path
 * without control, escape, bidirectional or zero-width characters, and no two paths (or a path and a directory)
 * that are the same after Unicode normalisation and case folding, which would overwrite or pass for each other on
 * macOS and Windows.
 */
function checkManifestPaths(manifest: PushManifest): void {
  try {
    assertSafeNames(manifest.files.map((f) => f.path));
  } catch (error) {
    if (!(error instanceof ModelsecError) || error.code !== 'PULL_NAME_UNSAFE') throw error;
    const problems = (error.details as { problems?: { name: string; reason: string }[] } | undefined)?.problems ?? [];
    const first = problems[0];
    throw new ModelsecError(
      'REGISTRY_PATH_INVALID',
      `manifest file path ${JSON.stringify(first?.name ?? '')} ${first?.reason ?? 'is unsafe'}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`,
      { details: { path: first?.name, problems: problems.slice(0, MAX_REPORTED_MISSING_BLOBS) } },
    );
  }
}

/** Every blob digest a manifest names, with what names it (files by path, then the attachments). */
function manifestDigests(manifest: PushManifest): { what: string; digest: string }[] {
  return [
    ...manifest.files.map((f) => ({ what: `file ${f.path}`, digest: f.digest })),
    { what: 'bundle', digest: manifest.bundle },
    ...(manifest.mlbom ? [{ what: 'mlbom', digest: manifest.mlbom }] : []),
    ...(manifest.scanReport ? [{ what: 'scanReport', digest: manifest.scanReport }] : []),
    ...(manifest.attestations ?? []).map((digest, i) => ({ what: `attestation ${i}`, digest })),
  ];
}

/** Every blob digest a manifest names (files, signature bundle, ML-BOM, scan report, attestations), distinct. */
function distinctManifestDigests(manifest: PushManifest): string[] {
  return [
    ...new Set([
      ...manifest.files.map((f) => f.digest),
      manifest.bundle,
      ...(manifest.mlbom ? [manifest.mlbom] : []),
      ...(manifest.scanReport ? [manifest.scanReport] : []),
      ...(manifest.attestations ?? []),
    ]),
  ];
}

/** The yanked versions of `namespace` (any model) whose content is `rootDigest`: a yank binds the content. */
async function yankedWithRoot(tx: MetadataOps, namespace: string, rootDigest: string): Promise<YankedContent[]> {
  const same = await tx.listVersions({ namespace, rootDigest, includeYanked: true, summary: true });
  return same.filter((v) => v.yanked).map((v) => ({ model: v.model, version: v.version, reason: v.yankReason ?? '' }));
}

function contentYanked(namespace: string, rootDigest: string, yanked: YankedContent[]): ModelsecError {
  const first = yanked[0] as YankedContent;
  return new ModelsecError(
    'REGISTRY_CONTENT_YANKED',
    `push refused: this content (root digest ${rootDigest}) was yanked as ${namespace}/${first.model}@${first.version} (${first.reason}); a namespace admin may re-publish it with overrideYank=true`,
    { details: { namespace, rootDigest, yanked } },
  );
}
