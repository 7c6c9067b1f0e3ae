/**
 * The registry service: `createRegistry(options)` returns a fastify instance (not listening) with the /v1 API.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type Clock, canonicalJson, isModelsecError, ModelsecError, systemClock } from '@modelsec/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import semver from 'semver';
import {
  type Actor,
  authorize,
  authorizeGlobalAdmin,
  canRead,
  hashToken,
  hasScope,
  newId,
  newTokenSecret,
  resolveActor,
} from './auth.js';
import { classifyError } from './http-errors.js';
import { backfillLineageIndex, lineageOfAttachments, lineageRecords } from './lineage/lineage.js';
import { lineageRoutes } from './lineage/routes.js';
import { publishEntry } from './log/publish-entry.js';
import { logRoutes } from './log/routes.js';
import { TransparencyLog } from './log/transparency-log.js';
import { parseWitnessTarget, type WitnessEvent, Witnessing } from './log/witnessing.js';
import { type LogHook, NO_LOG } from './log-hook.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';
import { type Policy, policySchema } from './policy/policy.js';
import { addressKey, DEFAULT_REFUSAL_LIMITS, RefusalLimiter, type RefusalLimits } from './refusal-limiter.js';
import { StorageHousekeeping } from './storage/housekeeping.js';
import { checkStorageLimits, DEFAULT_STORAGE_LIMITS, type StorageLimits } from './storage/limits.js';
import { StorageQuotas } from './storage/quotas.js';
import { UploadLocks } from './storage/upload-locks.js';
import type { BlobStore } from './store/blob-store.js';
import { FsBlobStore } from './store/fs-blob-store.js';
import type {
  MetadataOps,
  MetadataStore,
  NamespaceRecord,
  TokenRecord,
  TokenScope,
  VersionRecord,
} from './store/metadata-store.js';
import { PostgresMetadataStore } from './store/postgres/postgres-metadata-store.js';
import { SqliteMetadataStore } from './store/sqlite/sqlite-metadata-store.js';
import { uiRoutes } from './ui/index.js';
import { isSafeRelativePath, PUSH_MANIFEST_SCHEMA, type PushManifest } from './verification/manifest.js';
import { defaultScanner, type RegistryScanner } from './verification/scan-adapter.js';
import { verifyPush } from './verification/verify-push.js';

/** Largest JSON request body (a manifest of MAX_MANIFEST_FILES entries fits with room). */
export const MAX_JSON_BODY_BYTES = 4 * 1024 * 1024;
/** Largest single-request blob upload; bigger files go through resumable upload sessions. */
export const MAX_SINGLE_PUT_BYTES = 512 * 1024 * 1024;
/** Largest chunk appended to an upload session in one request. */
export const MAX_UPLOAD_CHUNK_BYTES = 512 * 1024 * 1024;
/** Most rows one list/query answer returns. */
export const MAX_LIST_ROWS = 1000;
/** Most audit entries one page answers (a bigger `limit` is clamped; `next` pages on, so nothing is lost). */
export const MAX_AUDIT_PAGE = 1000;
/** Audit entries a page answers when no `limit` is given. */
export const DEFAULT_AUDIT_PAGE = 100;

/** Most unreadable digests one refused push lists in its error details (a manifest may name 10,000). */
export const MAX_REPORTED_MISSING_BLOBS = 100;

export const NAME_PATTERN = '^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$';
const DIGEST_PATTERN = '^[0-9a-f]{64}$';
/** Token ids: 32 hex characters for issued tokens; `admin` and `admin-<12 hex>` for the registry admin token. */
const TOKEN_ID_PATTERN = '^[0-9a-z][0-9a-z-]{0,63}$';
/** Semver 2.0 characters only (full validity is checked with `semver`). */
const VERSION_PATTERN = '^[0-9A-Za-z.+-]{1,128}$';

export interface RegistryOptions {
  /** Directory of the embedded store (SQLite file + blobs). */
  dataDir: string;
  /** `postgres://...` selects the PostgreSQL store (issue 7) via `openMetadataStore`. */
  databaseUrl?: string;
  clock?: Clock;
  /** Registry admin token (MODELSEC_ADMIN_TOKEN); when absent and none exists, one is generated. */
  adminToken?: string;
  logger?: boolean | FastifyBaseLogger;
  /** The registry's scanner; default: core's engine when it exports one, else none (scan-requiring policies refuse). */
  scanner?: RegistryScanner | null;
  /** Transparency-log hook (issue 7). */
  logHook?: LogHook;
  /** Opens a non-SQLite metadata store (e.g. PostgreSQL). */
  openMetadataStore?: (url: string) => Promise<MetadataStore>;
  /**
   * Sigstore trusted_root.json (parsed) for policies naming Sigstore identities: verifies offline (air-gapped
   * registries) or against a private Sigstore. Without it the public-good root is fetched over TUF.
   */
  sigstoreTrustedRoot?: unknown;
  /**
   * C2SP tlog-witness witnesses: each new checkpoint is submitted to them (add-checkpoint at `<url>/add-checkpoint`)
   * and their cosignatures are served after the log's signature. `key` is the witness's verifier key (type 0x04).
   */
  witnesses?: { url: string; key: string }[];
  /** Each witness outcome (cosigned, refused, unreachable, ahead); default: the fastify logger (warn/info). */
  onWitnessEvent?: (event: WitnessEvent) => void;
  /** Background witness rounds (default WITNESS_RETRY_INTERVAL_MS). */
  witnessRetryIntervalMs?: number;
  /** Rate limit on refused requests without a valid token (default DEFAULT_REFUSAL_LIMITS). */
  anonymousRefusalLimits?: Partial<RefusalLimits>;
  /**
   * The clock of storage housekeeping (upload lock leases, session expiry, garbage-collection grace): wall time by
   * default, never the output clock (a fixed output clock must not freeze leases).
   */
  storageClock?: Clock;
  /** Quotas, session expiry and garbage collection (storage/limits.ts defaults for what is not given). */
  storage?: Partial<StorageLimits>;
}

export interface Registry {
  app: FastifyInstance;
  store: MetadataStore;
  blobs: BlobStore;
  /** Storage housekeeping of this process (expired sessions, garbage collection); `sweep()` runs one now. */
  housekeeping: StorageHousekeeping;
  /** Set only when this start generated the admin token (print it once). */
  generatedAdminToken?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Audit action name; errors on this route are recorded as refusals. */
    action?: string;
    /** One line for the OpenAPI document. */
    summary?: string;
  }
  interface FastifyRequest {
    actor: Actor;
    /** Blob pin of a push in flight, released when the response is sent. */
    storagePin?: string;
  }
}

type Params = { ns: string; model: string; version: string; digest: string; id: string };

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

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function versionView(v: VersionRecord) {
  const manifest = JSON.parse(v.manifest) as PushManifest;
  return {
    namespace: v.namespace,
    model: v.model,
    version: v.version,
    rootDigest: v.rootDigest,
    bundleDigest: v.bundleDigest,
    signer: JSON.parse(v.signer) as Record<string, unknown>,
    signedAt: v.signedAt,
    scan: JSON.parse(v.scanVerdict) as Record<string, unknown>,
    publishedAt: v.publishedAt,
    publishedBy: v.publishedBy,
    yanked: v.yanked,
    yankedAt: v.yankedAt,
    yankReason: v.yankReason,
    ...(manifest.publicKey ? { publicKey: manifest.publicKey } : {}),
  };
}

async function openStores(options: RegistryOptions): Promise<{ store: MetadataStore; blobs: FsBlobStore }> {
  let store: MetadataStore;
  if (options.databaseUrl && /^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    store = await (options.openMetadataStore ?? ((url: string) => PostgresMetadataStore.open(url)))(options.databaseUrl);
  } else if (options.databaseUrl && !options.databaseUrl.startsWith('sqlite:')) {
    throw new ModelsecError('INVALID_CONFIG', 'the database URL must be postgres://... or sqlite:PATH', {
      details: { database: options.databaseUrl.split(':')[0] },
    });
  } else {
    const file = options.databaseUrl?.startsWith('sqlite:')
      ? options.databaseUrl.slice('sqlite:'.length)
      : path.join(options.dataDir, 'registry.sqlite');
    store = SqliteMetadataStore.open(file);
  }
  const blobs = await new FsBlobStore(options.dataDir).init();
  return { store, blobs };
}

/**
 * Ensures an admin token exists; returns the secret when it generated one. With MODELSEC_ADMIN_TOKEN set, that token
 * is THE registry admin token: every other live registry-wide admin token (a previous MODELSEC_ADMIN_TOKEN, the one
 * generated on first start) is retired, each retirement audited (`token.rotate`). A configured token that was
 * retired or revoked before is refused (INVALID_CONFIG): a rotated-out secret never comes back to life.
 */
async function ensureAdminToken(store: MetadataStore, clock: Clock, adminToken: string | undefined): Promise<string | undefined> {
  const at = clock.now().toISOString();
  if (adminToken) {
    const hash = hashToken(adminToken);
    const existing = await store.findTokenByHash(hash);
    if (existing?.revoked)
      throw new ModelsecError(
        'INVALID_CONFIG',
        `MODELSEC_ADMIN_TOKEN is token ${existing.id}, which was revoked${existing.revokedAt ? ` at ${existing.revokedAt}` : ''}: set a new secret`,
        { details: { token: existing.id } },
      );
    if (existing && (existing.namespace !== null || existing.scope !== 'admin'))
      throw new ModelsecError(
        'INVALID_CONFIG',
        `MODELSEC_ADMIN_TOKEN is the secret of token ${existing.id}, not an admin token`,
        {
          details: { token: existing.id },
        },
      );
    const current = existing?.id ?? `admin-${hash.slice(0, 12)}`;
    await store.transaction(async (tx) => {
      if (!existing)
        await tx
          .createToken({
            id: current,
            tokenHash: hash,
            namespace: null,
            scope: 'admin',
            description: 'MODELSEC_ADMIN_TOKEN',
            createdAt: at,
            createdBy: 'system',
            revoked: false,
          })
          .catch((error: unknown) => {
            // Another registry process on the same database, started with the same token, created it first.
            if (!isModelsecError(error) || error.code !== 'CONFLICT') throw error;
          });
      for (const t of await tx.listTokens()) {
        if (t.namespace !== null || t.scope !== 'admin' || t.revoked || t.id === current) continue;
        await tx.revokeToken(t.id, at, 'system');
        await tx.appendAudit({
          at,
          actor: 'system',
          action: 'token.rotate',
          target: 'registry',
          outcome: 'ok',
          from: 'local',
          details: canonicalJson({ retired: t.id, current, reason: 'MODELSEC_ADMIN_TOKEN changed' }),
        });
      }
    });
    return undefined;
  }
  const existing = (await store.listTokens()).some((t) => t.namespace === null && t.scope === 'admin' && !t.revoked);
  if (existing) return undefined;
  const secret = newTokenSecret();
  await store.createToken({
    id: 'admin',
    tokenHash: hashToken(secret),
    namespace: null,
    scope: 'admin',
    description: 'generated on first start',
    createdAt: at,
    createdBy: 'system',
    revoked: false,
  });
  return secret;
}

export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const clock = options.clock ?? systemClock;
  const { store, blobs } = await openStores(options);
  const scanner = options.scanner === null ? undefined : (options.scanner ?? defaultScanner());
  const transparencyLog = options.logHook ? undefined : await TransparencyLog.open(store, { dataDir: options.dataDir });
  const logHook = options.logHook ?? transparencyLog ?? NO_LOG;
  const witnessTargets = (options.witnesses ?? []).map((w) => parseWitnessTarget(w.url, w.key));
  if (witnessTargets.length > 0 && !transparencyLog)
    throw new ModelsecError('INVALID_CONFIG', 'witnesses need the registry transparency log (not a custom log hook)');
  const generatedAdminToken = await ensureAdminToken(store, clock, options.adminToken);
  const refusals = new RefusalLimiter(clock, { ...DEFAULT_REFUSAL_LIMITS, ...options.anonymousRefusalLimits });
  // Versions published before the lineage index existed are indexed once (lineage queries read only the index).
  await backfillLineageIndex(store, blobs);
  const storageClock = options.storageClock ?? systemClock;
  const uploadLocks = new UploadLocks(store, storageClock);
  const storageLimits = checkStorageLimits({ ...DEFAULT_STORAGE_LIMITS, ...options.storage });
  const quotas = new StorageQuotas(store, storageLimits, storageClock);
  const routes: RouteDoc[] = [];

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: MAX_JSON_BODY_BYTES,
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  });
  app.decorateRequest('actor', null as unknown as Actor);
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1') && route.method !== 'HEAD')
      routes.push({ method: String(route.method), url: route.url, schema: route.schema, summary: route.config?.summary });
  });
  const witnessing = transparencyLog
    ? new Witnessing(transparencyLog, witnessTargets, {
        clock,
        onEvent:
          options.onWitnessEvent ??
          ((event) =>
            event.kind === 'cosigned'
              ? app.log.info({ witness: event }, 'witness cosigned')
              : app.log.warn({ witness: event }, `witness ${event.kind}`)),
      })
    : undefined;
  witnessing?.start(options.witnessRetryIntervalMs);
  /** After a change is logged: let the witnesses cosign the new checkpoint (bounded wait, never throws). */
  const logChanged = async (): Promise<void> => {
    await witnessing?.afterChange();
  };
  const housekeeping = new StorageHousekeeping({
    store,
    blobs,
    locks: uploadLocks,
    limits: storageLimits,
    clock: storageClock,
    onError: (error) => app.log.warn({ err: error }, 'storage housekeeping failed'),
  });
  housekeeping.start();
  app.addHook('onResponse', async (request) => {
    if (request.storagePin) await store.unpinBlobs(request.storagePin).catch(() => undefined);
  });
  app.addHook('onClose', async () => {
    await housekeeping.stop();
    await witnessing?.stop();
    await blobs.close?.();
    await store.close();
  });

  const now = (): string => clock.now().toISOString();
  const audit = async (
    request: FastifyRequest,
    action: string,
    target: string,
    outcome: 'ok' | 'refused' | 'error',
    details: Record<string, unknown>,
  ) => {
    await store.appendAudit({
      at: now(),
      actor: request.actor.id,
      action,
      target,
      outcome,
      from: request.ip,
      details: canonicalJson(details),
    });
  };
  const targetOf = (p: Partial<Params>): string =>
    [p.ns, p.model].filter(Boolean).join('/') + (p.version ? `@${p.version}` : '') + (p.digest ? `#${p.digest}` : '');

  app.setErrorHandler(async (error, request, reply) => {
    const { status, body } = classifyError(error);
    if (status >= 500) request.log.error(error);
    const action = request.routeOptions.config?.action;
    request.actor ??= ANONYMOUS_ACTOR;
    if (body.error.code === 'RATE_LIMITED')
      return reply
        .status(status)
        .header('retry-after', String(body.error.details.retryAfterSeconds ?? 1))
        .send(body);
    // Refusals of requests without a valid token are counted per address: past the limit they are not audited one
    // by one (one row says the limit tripped) and the address is answered 429 until the window ends. Counted: what
    // would be audited (refusals on audited routes) and authentication/authorisation failures; a 404 on a public
    // read (a CI farm behind one NAT address pulling public models) is not.
    const countable = !request.actor.token && status < 500 && (action !== undefined || status === 401 || status === 403);
    const decision = countable ? refusals.record(request.ip) : 'audit';
    if (decision === 'budget')
      await audit(request, 'rate-limit.anonymous', '*', 'refused', { code: 'RATE_LIMITED', limit: 'auditPerWindow' }).catch(
        () => undefined,
      );
    if (action && decision === 'audit') {
      await audit(request, action, targetOf((request.params ?? {}) as Partial<Params>), status >= 500 ? 'error' : 'refused', {
        code: body.error.code,
        message: body.error.message,
      }).catch(() => undefined);
    }
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, details: {} } }),
  );
  // The caller is known before the body is parsed or validated (a refusal is then audited under its real actor).
  app.addHook('onRequest', async (request) => {
    let failure: unknown;
    try {
      request.actor = await resolveActor(store, request.headers.authorization);
    } catch (error) {
      request.actor = ANONYMOUS_ACTOR;
      failure = error;
    }
    if (!request.actor.token) {
      const limited = refusals.blocked(request.ip);
      if (limited.blocked) {
        if (refusals.record(request.ip) === 'tripped')
          await audit(request, 'rate-limit.anonymous', addressKey(request.ip), 'refused', {
            code: 'RATE_LIMITED',
            limit: 'perWindow',
          }).catch(() => undefined);
        throw new ModelsecError(
          'RATE_LIMITED',
          `too many refused requests without a valid token from this address; retry in ${limited.retryAfterSeconds} s`,
          { details: { retryAfterSeconds: limited.retryAfterSeconds } },
        );
      }
    }
    if (failure !== undefined) throw failure;
  });

  const nsParam = { ns: { type: 'string', pattern: NAME_PATTERN } };
  const modelParam = { ...nsParam, model: { type: 'string', pattern: NAME_PATTERN } };
  const tokenParam = { ...nsParam, id: { type: 'string', pattern: '^[0-9a-f]{32}$' } };
  const versionParam = { ...modelParam, version: { type: 'string', pattern: VERSION_PATTERN } };
  const params = (properties: Record<string, unknown>) => ({
    type: 'object',
    required: Object.keys(properties),
    properties,
    additionalProperties: false,
  });

  async function nsFor(request: FastifyRequest, ns: string, scope: TokenScope) {
    const record = await store.getNamespace(ns);
    authorize(request.actor, ns, record, scope);
    return record as NonNullable<typeof record>;
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
  /** Stores a JSON document (canonical bytes) as a content-addressed blob; returns its digest. */
  async function storeJsonBlob(namespace: string, document: unknown): Promise<string> {
    const bytes = Buffer.from(canonicalJson(document), 'utf8');
    const digest = createHash('sha256').update(bytes).digest('hex');
    const put = await blobs.put(digest, Readable.from([bytes]));
    await store.putBlobRecord({ digest, size: put.size, createdAt: now() });
    await quotas.claim(namespace, digest);
    return digest;
  }
  /**
   * Every digest a manifest names must be readable to the pushing namespace (uploaded by it, referenced by one of
   * its versions, or by a public namespace's version), checked before any byte is read: naming another tenant's
   * digest is answered exactly as naming one that exists nowhere (REGISTRY_BLOB_MISSING), so it is no oracle.
   */
  async function requireReadableBlobs(namespace: string, manifest: PushManifest): Promise<void> {
    const named = manifestDigests(manifest);
    const readable = new Set(
      await store.blobsReadableTo(
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
  /** The yanked versions of `namespace` (any model) whose content is `rootDigest`: a yank binds the content. */
  async function yankedWithRoot(tx: MetadataOps, namespace: string, rootDigest: string) {
    const same = await tx.listVersions({ namespace, rootDigest, includeYanked: true });
    return same.filter((v) => v.yanked).map((v) => ({ model: v.model, version: v.version, reason: v.yankReason ?? '' }));
  }
  function contentYanked(namespace: string, rootDigest: string, yanked: { model: string; version: string; reason: string }[]) {
    const first = yanked[0] as (typeof yanked)[number];
    return new ModelsecError(
      'REGISTRY_CONTENT_YANKED',
      `push refused: this content (root digest ${rootDigest}) was yanked as ${namespace}/${first.model}@${first.version} (${first.reason}); a namespace admin may re-publish it with overrideYank=true`,
      { details: { namespace, rootDigest, yanked } },
    );
  }
  async function readJsonPolicy(ns: string): Promise<Policy | undefined> {
    const p = await store.currentPolicy(ns);
    return p ? (JSON.parse(p.document) as Policy) : undefined;
  }

  // ── service ────────────────────────────────────────────────────────────
  app.get('/v1/health', { config: { summary: 'Liveness' } }, async () => ({ ok: true }));
  if (transparencyLog)
    app.register(
      logRoutes(transparencyLog, {
        canReadNamespace: async (request, name) => {
          const ns = await store.getNamespace(name);
          return ns !== undefined && canRead(request.actor, ns);
        },
      }),
    );
  app.register(lineageRoutes({ store }));
  app.register(uiRoutes());
  app.get('/v1/openapi.json', { config: { summary: 'This OpenAPI document' } }, async () => buildOpenApi(routes));

  // ── namespaces ─────────────────────────────────────────────────────────
  app.get('/v1/namespaces', { config: { summary: 'Namespaces the caller can read' } }, async (request) => {
    const all = await store.listNamespaces();
    return {
      namespaces: all
        .filter((n) => canRead(request.actor, n))
        .map((n) => ({ name: n.name, public: n.public, createdAt: n.createdAt })),
    };
  });
  app.post<{ Body: { name: string; public?: boolean } }>(
    '/v1/namespaces',
    {
      config: { action: 'namespace.create', summary: 'Create a namespace (registry admin)' },
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', pattern: NAME_PATTERN }, public: { type: 'boolean' } },
        },
      },
    },
    async (request, reply) => {
      authorizeGlobalAdmin(request.actor);
      const { name } = request.body;
      const isPublic = request.body.public ?? false;
      const at = now();
      await store.transaction(async (tx) => {
        await tx.createNamespace({ name, public: isPublic, createdAt: at, createdBy: request.actor.id });
        await logHook.onLogEvent(tx, { type: 'namespace', namespace: name, public: isPublic, at });
      });
      await audit(request, 'namespace.create', name, 'ok', { public: isPublic });
      await logChanged();
      return reply.status(201).send({ name, public: isPublic, createdAt: at });
    },
  );
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns',
    { config: { summary: 'One namespace' }, schema: { params: params(nsParam) } },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'read');
      const policy = await store.currentPolicy(ns.name);
      return { name: ns.name, public: ns.public, createdAt: ns.createdAt, policyVersion: policy?.version ?? null };
    },
  );

  // ── policy ─────────────────────────────────────────────────────────────
  const { $schema: _s, $id: _i, title: _t, ...policyBodySchema } = policySchema() as Record<string, unknown>;
  app.put<{ Params: Params; Body: Policy }>(
    '/v1/namespaces/:ns/policy',
    {
      config: { action: 'policy.set', summary: 'Set the namespace policy (namespace admin); recorded with history' },
      schema: { params: params(nsParam), body: policyBodySchema },
    },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'admin');
      const document = canonicalJson(request.body);
      const at = now();
      const record = await store.transaction(async (tx) => {
        const r = await tx.setPolicy(ns.name, document, at, request.actor.id);
        await logHook.onLogEvent(tx, {
          type: 'policy',
          namespace: ns.name,
          policyVersion: r.version,
          policyDigest: sha256(document),
          policy: JSON.parse(document) as Record<string, unknown>,
          at,
        });
        return r;
      });
      await audit(request, 'policy.set', ns.name, 'ok', { version: record.version, digest: sha256(document) });
      await logChanged();
      return { namespace: ns.name, version: record.version, policy: request.body, createdAt: at };
    },
  );
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/policy',
    { config: { summary: 'Current policy' }, schema: { params: params(nsParam) } },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'read');
      const p = await store.currentPolicy(ns.name);
      return {
        namespace: ns.name,
        version: p?.version ?? 0,
        policy: p ? JSON.parse(p.document) : null,
        default: p === undefined,
      };
    },
  );
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/policy/history',
    { config: { summary: 'Every policy version (namespace admin)' }, schema: { params: params(nsParam) } },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'admin');
      const history = await store.policyHistory(ns.name);
      return {
        namespace: ns.name,
        history: history.map((h) => ({
          version: h.version,
          policy: JSON.parse(h.document),
          createdAt: h.createdAt,
          createdBy: h.createdBy,
        })),
      };
    },
  );

  // ── tokens ─────────────────────────────────────────────────────────────
  app.post<{ Params: Params; Body: { scope: TokenScope; description?: string } }>(
    '/v1/namespaces/:ns/tokens',
    {
      config: {
        action: 'token.create',
        summary: 'Create an API token for the namespace (namespace admin); the secret is returned once',
      },
      schema: {
        params: params(nsParam),
        body: {
          type: 'object',
          required: ['scope'],
          additionalProperties: false,
          properties: { scope: { enum: ['read', 'push', 'admin'] }, description: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'admin');
      const secret = newTokenSecret();
      const id = newId();
      await store.createToken({
        id,
        tokenHash: hashToken(secret),
        namespace: ns.name,
        scope: request.body.scope,
        description: request.body.description ?? '',
        createdAt: now(),
        createdBy: request.actor.id,
        revoked: false,
      });
      await audit(request, 'token.create', ns.name, 'ok', { id, scope: request.body.scope });
      return reply.status(201).send({ id, token: secret, namespace: ns.name, scope: request.body.scope });
    },
  );

  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/tokens',
    {
      config: { summary: 'Tokens of the namespace (namespace admin): ids, scopes, who made them; never the secrets' },
      schema: { params: params(nsParam) },
    },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'admin');
      const tokens = (await store.listTokens(ns.name)).filter((t) => t.namespace === ns.name);
      return {
        tokens: tokens
          .map((t) => ({
            id: t.id,
            scope: t.scope,
            description: t.description,
            createdAt: t.createdAt,
            createdBy: t.createdBy,
            revoked: t.revoked,
          }))
          .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1)),
      };
    },
  );
  app.delete<{ Params: Params }>(
    '/v1/namespaces/:ns/tokens/:id',
    {
      config: { action: 'token.revoke', summary: 'Revoke a token of the namespace (namespace admin); it stops working at once' },
      schema: { params: params(tokenParam) },
    },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'admin');
      const token = (await store.listTokens(ns.name)).find((t) => t.id === request.params.id && t.namespace === ns.name);
      if (!token)
        throw new ModelsecError('NOT_FOUND', `no token ${request.params.id} in namespace ${ns.name}`, {
          details: { token: request.params.id },
        });
      if (!token.revoked) await store.revokeToken(token.id, now(), request.actor.id);
      await audit(request, 'token.revoke', ns.name, 'ok', { id: token.id, scope: token.scope });
      return { id: token.id, revoked: true };
    },
  );

  // Registry-wide: every token (registry admin), including registry-wide ones no namespace admin can see.
  const tokenView = (t: TokenRecord) => ({
    id: t.id,
    namespace: t.namespace,
    scope: t.scope,
    description: t.description,
    createdAt: t.createdAt,
    createdBy: t.createdBy,
    revoked: t.revoked,
    revokedAt: t.revokedAt ?? null,
    revokedBy: t.revokedBy ?? null,
  });
  app.get(
    '/v1/tokens',
    {
      config: {
        summary:
          'Every token (registry admin): registry-wide and per namespace, with scope, creator and revocation; never the secrets',
      },
    },
    async (request) => {
      authorizeGlobalAdmin(request.actor);
      return { tokens: (await store.listTokens()).map(tokenView) };
    },
  );
  app.delete<{ Params: Params }>(
    '/v1/tokens/:id',
    {
      config: {
        action: 'token.revoke',
        summary: 'Revoke any token (registry admin), registry-wide ones included; it stops working at once',
      },
      schema: { params: params({ id: { type: 'string', pattern: TOKEN_ID_PATTERN } }) },
    },
    async (request) => {
      authorizeGlobalAdmin(request.actor);
      const token = (await store.listTokens()).find((t) => t.id === request.params.id);
      if (!token)
        throw new ModelsecError('NOT_FOUND', `no token ${request.params.id}`, { details: { token: request.params.id } });
      if (!token.revoked) await store.revokeToken(token.id, now(), request.actor.id);
      await audit(request, 'token.revoke', token.namespace ?? 'registry', 'ok', {
        id: token.id,
        scope: token.scope,
        registryWide: token.namespace === null,
      });
      return { id: token.id, namespace: token.namespace, revoked: true };
    },
  );

  // ── models and versions ────────────────────────────────────────────────
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/models',
    { config: { summary: 'Models of a namespace' }, schema: { params: params(nsParam) } },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'read');
      return { models: (await store.listModels(ns.name)).map((m) => ({ name: m.name, createdAt: m.createdAt })) };
    },
  );
  app.get<{ Params: Params; Querystring: { includeYanked?: 'true' | 'false' } }>(
    '/v1/namespaces/:ns/models/:model/versions',
    {
      config: { summary: 'Versions of a model' },
      schema: {
        params: params(modelParam),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { includeYanked: { type: 'string', enum: ['true', 'false'] } },
        },
      },
    },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'read');
      const versions = await store.listVersions({
        namespace: ns.name,
        model: request.params.model,
        includeYanked: request.query.includeYanked !== 'false',
      });
      return { versions: versions.slice(0, MAX_LIST_ROWS).map(versionView) };
    },
  );
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/models/:model/versions/:version',
    {
      config: { summary: 'A version: files, signer, scan verdict, attachments (ML-BOM, attestations)' },
      schema: { params: params(versionParam) },
    },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'read');
      const { model, version } = request.params;
      const v = await store.getVersion(ns.name, model, version);
      if (!v) throw new ModelsecError('NOT_FOUND', `${ns.name}/${model}@${version} does not exist`);
      const files = await store.versionFiles(ns.name, model, version);
      const attachments = await store.versionAttachments(ns.name, model, version);
      return {
        ...versionView(v),
        files: files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })),
        attachments: attachments.map((a) => ({
          kind: a.kind,
          digest: a.digest,
          mediaType: a.mediaType,
          predicateType: a.predicateType,
        })),
      };
    },
  );
  app.put<{ Params: Params; Body: PushManifest; Querystring: { overrideYank?: 'true' | 'false' } }>(
    '/v1/namespaces/:ns/models/:model/versions/:version',
    {
      config: {
        action: 'version.push',
        summary: 'Publish a version (push scope): verified by the registry, then decided by the namespace policy',
      },
      schema: {
        params: params(versionParam),
        body: PUSH_MANIFEST_SCHEMA,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { overrideYank: { type: 'string', enum: ['true', 'false'] } },
        },
      },
    },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'push');
      // Re-publishing yanked content is a namespace admin's decision (checked before any work is done).
      const overrideYank = request.query.overrideYank === 'true';
      if (overrideYank) authorize(request.actor, ns.name, ns, 'admin');
      const { model, version } = request.params;
      checkVersion(version);
      const manifest = request.body;
      const seen = new Set<string>();
      for (const f of manifest.files) {
        if (!isSafeRelativePath(f.path))
          throw new ModelsecError('REGISTRY_PATH_INVALID', `manifest file path '${f.path}' is not a safe relative path`, {
            details: { path: f.path },
          });
        if (seen.has(f.path))
          throw new ModelsecError('REGISTRY_PATH_INVALID', `manifest lists '${f.path}' twice`, { details: { path: f.path } });
        seen.add(f.path);
      }
      if (await store.getVersion(ns.name, model, version)) {
        throw new ModelsecError('CONFLICT', `${ns.name}/${model}@${version} is published already and immutable`, {
          details: { namespace: ns.name, model, version },
        });
      }
      await requireReadableBlobs(ns.name, manifest);
      // Held against garbage collection until the response (the commit re-checks every record under a lock).
      request.storagePin = await quotas.pinPush(distinctManifestDigests(manifest));
      const result = await verifyPush({
        manifest,
        policy: await readJsonPolicy(ns.name),
        blobs,
        scanner,
        ...(options.sigstoreTrustedRoot !== undefined ? { sigstore: { trustedRootJson: options.sigstoreTrustedRoot } } : {}),
      });
      if (result.failed.length > 0 || !result.signed) {
        const inputError = result.failed.find(
          (f) => f.code === 'REGISTRY_BLOB_MISSING' || f.code === 'DIGEST_MISMATCH' || f.code === 'REGISTRY_BLOB_CORRUPT',
        );
        throw new ModelsecError(
          inputError ? (inputError.code as 'REGISTRY_BLOB_MISSING') : 'POLICY_DENIED',
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
      const registryScanDigest = scanReport ? await storeJsonBlob(ns.name, scanReport) : null;
      const at = now();
      const signer = signed.signer;
      const record: VersionRecord = {
        namespace: ns.name,
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
        publishedBy: request.actor.id,
        yanked: false,
        yankedAt: null,
        yankReason: null,
      };
      const key = { namespace: ns.name, model, version };
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
                mediaType: 'application/vnd.cyclonedx+json',
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
        const yanked = await yankedWithRoot(tx, ns.name, signed.rootDigest);
        if (yanked.length > 0 && !overrideYank) throw contentYanked(ns.name, signed.rootDigest, yanked);
        await quotas.admitPush(tx, ns.name, [
          ...distinctManifestDigests(manifest),
          ...(registryScanDigest ? [registryScanDigest] : []),
        ]);
        await tx.ensureModel({ namespace: ns.name, name: model, createdAt: at });
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
        if (yanked.length === 0 && (await yankedWithRoot(tx, ns.name, signed.rootDigest)).length > 0)
          throw contentYanked(ns.name, signed.rootDigest, await yankedWithRoot(tx, ns.name, signed.rootDigest));
        return { log: logged, overridden: yanked };
      });
      await audit(request, 'version.push', `${ns.name}/${model}@${version}`, 'ok', {
        rootDigest: signed.rootDigest,
        hashedBytes: result.hashedBytes,
        ...(overridden.length > 0 ? { yankOverride: overridden } : {}),
      });
      await logChanged();
      return reply.status(201).send({
        ...versionView(record),
        ...(log?.logIndex !== undefined ? { logIndex: log.logIndex } : {}),
        verdict: 'accepted',
      });
    },
  );
  app.post<{ Params: Params; Body: { reason: string } }>(
    '/v1/namespaces/:ns/models/:model/versions/:version/yank',
    {
      config: { action: 'version.yank', summary: 'Yank a version (namespace admin): kept, marked, still verifiable' },
      schema: {
        params: params(versionParam),
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } },
        },
      },
    },
    async (request) => {
      const ns = await nsFor(request, request.params.ns, 'admin');
      const { model, version } = request.params;
      const at = now();
      await store.transaction(async (tx) => {
        const v = await tx.getVersion(ns.name, model, version);
        if (!v) throw new ModelsecError('NOT_FOUND', `${ns.name}/${model}@${version} does not exist`);
        if (v.yanked) throw new ModelsecError('CONFLICT', `${ns.name}/${model}@${version} is yanked already`);
        await tx.yankVersion(ns.name, model, version, at, request.body.reason);
        await logHook.onLogEvent(tx, {
          type: 'yank',
          namespace: ns.name,
          model,
          version,
          rootDigest: v.rootDigest,
          reason: request.body.reason,
          at,
        });
      });
      await audit(request, 'version.yank', `${ns.name}/${model}@${version}`, 'ok', { reason: request.body.reason });
      await logChanged();
      return { namespace: ns.name, model, version, yanked: true, yankedAt: at, yankReason: request.body.reason };
    },
  );

  // ── queries across namespaces ──────────────────────────────────────────
  app.get<{
    Querystring: {
      rootDigest?: string;
      fileDigest?: string;
      signerIdentity?: string;
      signerKey?: string;
      namespace?: string;
      model?: string;
      includeYanked?: 'true' | 'false';
    };
  }>(
    '/v1/versions',
    {
      config: {
        summary: 'Find versions by model root digest (the CI check lookup), file digest, signer identity or key fingerprint',
      },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rootDigest: { type: 'string', pattern: DIGEST_PATTERN },
            fileDigest: { type: 'string', pattern: DIGEST_PATTERN },
            signerIdentity: { type: 'string', minLength: 1, maxLength: 1024 },
            signerKey: { type: 'string', pattern: DIGEST_PATTERN },
            namespace: { type: 'string', pattern: NAME_PATTERN },
            model: { type: 'string', pattern: NAME_PATTERN },
            includeYanked: { type: 'string', enum: ['true', 'false'] },
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      if (!q.rootDigest && !q.fileDigest && !q.signerIdentity && !q.signerKey && !q.namespace) {
        throw new ModelsecError('USAGE', 'give at least one of rootDigest, fileDigest, signerIdentity, signerKey, namespace');
      }
      const rows = await store.listVersions({
        ...(q.rootDigest ? { rootDigest: q.rootDigest } : {}),
        ...(q.fileDigest ? { fileDigest: q.fileDigest } : {}),
        ...(q.signerIdentity ? { signerIdentity: q.signerIdentity } : {}),
        ...(q.signerKey ? { signerKeyFingerprint: q.signerKey } : {}),
        ...(q.namespace ? { namespace: q.namespace } : {}),
        ...(q.model ? { model: q.model } : {}),
        includeYanked: q.includeYanked !== 'false',
      });
      // Only the namespaces of the rows found (a lookup usually hits one): the check route is the hot path.
      const namespaces = new Map<string, NamespaceRecord | undefined>();
      for (const name of new Set(rows.map((r) => r.namespace))) namespaces.set(name, await store.getNamespace(name));
      const visible = rows.filter((r) => {
        const ns = namespaces.get(r.namespace);
        return ns !== undefined && canRead(request.actor, ns);
      });
      return { versions: visible.slice(0, MAX_LIST_ROWS).map(versionView) };
    },
  );
  app.get<{
    Querystring: { namespace?: string; limit?: string; before?: string; outcome?: 'ok' | 'refused' | 'error'; actor?: string };
  }>(
    '/v1/audit',
    {
      config: {
        summary: `The audit log, newest first, ${MAX_AUDIT_PAGE} entries a page at most (\`next\`: pass it as \`before\` for the next page); registry admin, or namespace admin with ?namespace=`,
      },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            namespace: { type: 'string', pattern: NAME_PATTERN },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
            before: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' },
            outcome: { type: 'string', enum: ['ok', 'refused', 'error'] },
            actor: { type: 'string', minLength: 1, maxLength: 128 },
          },
        },
      },
    },
    async (request) => {
      const { namespace, outcome, actor } = request.query;
      if (namespace) await nsFor(request, namespace, 'admin');
      else authorizeGlobalAdmin(request.actor);
      const limit = Math.min(Number(request.query.limit ?? DEFAULT_AUDIT_PAGE), MAX_AUDIT_PAGE);
      // One row more than the page tells whether another page exists (no row is ever skipped between pages).
      const rows = await store.listAudit({
        limit: limit + 1,
        ...(namespace ? { namespace } : {}),
        ...(request.query.before ? { before: Number(request.query.before) } : {}),
        ...(outcome ? { outcome } : {}),
        ...(actor ? { actor } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        entries: page.map((e) => ({ ...e, details: JSON.parse(e.details) })),
        next: rows.length > limit && last?.id !== undefined ? String(last.id) : null,
      };
    },
  );

  // ── blobs and uploads ──────────────────────────────────────────────────
  function contentLength(request: FastifyRequest, limit: number): number {
    const raw = request.headers['content-length'];
    if (raw === undefined || !/^\d+$/.test(raw)) throw new ModelsecError('USAGE', 'Content-Length is required for uploads');
    const n = Number(raw);
    if (n > limit)
      throw new ModelsecError(
        'PAYLOAD_TOO_LARGE',
        `a single upload request is limited to ${limit} bytes; use an upload session`,
        { details: { limit } },
      );
    return n;
  }
  function bodyStream(request: FastifyRequest): Readable {
    if (request.headers['content-type']?.split(';')[0]?.trim() !== 'application/octet-stream') {
      throw new ModelsecError('USAGE', 'blob uploads must be Content-Type: application/octet-stream');
    }
    return request.body as Readable;
  }
  const digestParam = { ...nsParam, digest: { type: 'string', pattern: DIGEST_PATTERN } };
  /** The bytes were hashed by the registry as they arrived: the namespace has proven it holds them. */
  const grant = (request: FastifyRequest, namespace: string, digest: string) =>
    store.grantBlob({ namespace, digest, createdAt: now(), createdBy: request.actor.id });

  app.head<{ Params: Params }>(
    '/v1/namespaces/:ns/blobs/:digest',
    { schema: { params: params(digestParam) } },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'push');
      const { digest } = request.params;
      // Answers only for blobs this namespace may name in a manifest (no probing of other tenants' digests).
      const readable = (await store.blobsReadableTo(ns.name, [digest])).length === 1;
      const size = readable ? await blobs.size(digest) : undefined;
      if (size === undefined) return reply.status(404).send();
      // A client that finds the blob skips uploading it: it counts as used now (collection waits a grace period).
      await quotas.claim(ns.name, request.params.digest);
      return reply.header('content-length', size).status(200).send();
    },
  );
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/blobs/:digest',
    {
      config: {
        summary:
          'Download a blob a version of the namespace references (read scope), or one uploaded to it and not yet published (push scope)',
      },
      schema: { params: params(digestParam) },
    },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'read');
      const { digest } = request.params;
      // Published content is for the namespace's readers; uploads not yet published only for its pushers.
      const readable =
        (await store.namespaceHasBlob(ns.name, digest)) ||
        (hasScope(request.actor, ns, 'push') && (await store.namespaceOwnsBlob(ns.name, digest)));
      if (readable) await blobs.verify?.(digest);
      const size = readable ? await blobs.size(digest) : undefined;
      if (size === undefined)
        throw new ModelsecError('NOT_FOUND', `namespace '${ns.name}' holds no blob ${digest}`, { details: { digest } });
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', size)
        .send(await blobs.get(digest));
    },
  );
  app.put<{ Params: Params }>(
    '/v1/namespaces/:ns/blobs/:digest',
    {
      config: { action: 'blob.put', summary: 'Upload a whole blob (push scope); verified against its digest; deduplicated' },
      schema: { params: params(digestParam) },
    },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'push');
      await quotas.checkPut(ns.name, contentLength(request, MAX_SINGLE_PUT_BYTES));
      const result = await blobs.put(request.params.digest, bodyStream(request));
      await store.putBlobRecord({ digest: request.params.digest, size: result.size, createdAt: now() });
      await grant(request, ns.name, request.params.digest);
      await quotas.claim(ns.name, request.params.digest);
      return reply
        .status(result.created ? 201 : 200)
        .send({ digest: request.params.digest, size: result.size, created: result.created });
    },
  );
  app.post<{ Params: Params }>(
    '/v1/namespaces/:ns/uploads',
    {
      config: { action: 'upload.start', summary: 'Start a resumable upload session (push scope)' },
      schema: { params: params(nsParam) },
    },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'push');
      const id = newId();
      await quotas.startSession({
        id,
        namespace: ns.name,
        offset: 0,
        createdAt: now(),
        updatedAt: now(),
        createdBy: request.actor.id,
      });
      await blobs.beginUpload(id).catch(async (error: unknown) => {
        await store.deleteUpload(id);
        throw error;
      });
      return reply.status(201).send({ id, offset: 0 });
    },
  );
  const uploadParam = { ...nsParam, id: { type: 'string', pattern: '^[0-9a-f]{32}$' } };
  async function sessionFor(request: FastifyRequest<{ Params: Params }>) {
    const ns = await nsFor(request, request.params.ns, 'push');
    const session = await store.getUpload(request.params.id);
    if (!session || session.namespace !== ns.name)
      throw new ModelsecError('NOT_FOUND', 'no such upload session', { details: { upload: request.params.id } });
    if (quotas.expired(session) && (await housekeeping.expireSession(session.id)))
      throw new ModelsecError('REGISTRY_UPLOAD_EXPIRED', 'the upload session expired and was removed: start a new one', {
        details: { upload: session.id, expirySeconds: storageLimits.uploadSessionExpiryMs / 1000 },
      });
    return session;
  }
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/uploads/:id',
    { config: { summary: 'Bytes received so far (resume from here)' }, schema: { params: params(uploadParam) } },
    async (request) => {
      const session = await sessionFor(request);
      return { id: session.id, offset: await blobs.uploadedBytes(session.id) };
    },
  );
  app.patch<{ Params: Params }>(
    '/v1/namespaces/:ns/uploads/:id',
    {
      config: { action: 'upload.append', summary: 'Append bytes at Upload-Offset (must equal the bytes received)' },
      schema: { params: params(uploadParam) },
    },
    async (request) => {
      const session = await sessionFor(request);
      const length = contentLength(request, MAX_UPLOAD_CHUNK_BYTES);
      const offsetHeader = request.headers['upload-offset'];
      if (typeof offsetHeader !== 'string' || !/^\d+$/.test(offsetHeader))
        throw new ModelsecError('USAGE', 'the Upload-Offset header (a byte count) is required');
      const offset = Number(offsetHeader);
      return uploadLocks.hold(session.id, async (lease) => {
        await quotas.reserveAppend(session.namespace, session.id, length);
        const end = await blobs
          .appendUpload(session.id, offset, bodyStream(request), lease)
          .finally(() => quotas.releaseAppend(session.id));
        if (end - offset !== length) {
          // The bytes that did arrive are kept (fsynced): the client resumes from GET .../uploads/:id.
          throw new ModelsecError('USAGE', `received ${end - offset} bytes, Content-Length said ${length}`);
        }
        await store.advanceUpload(session.id, offset, end, now());
        return { id: session.id, offset: end };
      });
    },
  );
  app.put<{ Params: Params; Querystring: { digest: string } }>(
    '/v1/namespaces/:ns/uploads/:id',
    {
      config: { action: 'upload.finish', summary: 'Finish an upload: the bytes must hash to ?digest=' },
      schema: {
        params: params(uploadParam),
        querystring: {
          type: 'object',
          required: ['digest'],
          additionalProperties: false,
          properties: { digest: { type: 'string', pattern: DIGEST_PATTERN } },
        },
      },
    },
    async (request, reply) => {
      const session = await sessionFor(request);
      return uploadLocks.hold(session.id, async () => {
        const result = await blobs.completeUpload(session.id, request.query.digest).finally(() => store.deleteUpload(session.id));
        await store.putBlobRecord({ digest: request.query.digest, size: result.size, createdAt: now() });
        await grant(request, session.namespace, request.query.digest);
        await quotas.claim(session.namespace, request.query.digest);
        return reply.status(201).send({ digest: request.query.digest, size: result.size, created: result.created });
      });
    },
  );

  return { app, store, blobs, housekeeping, ...(generatedAdminToken ? { generatedAdminToken } : {}) };
}

const ANONYMOUS_ACTOR: Actor = { id: 'anonymous' };

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

export type { FastifyReply };
