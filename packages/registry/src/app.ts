/**
 * The registry service: `createRegistry(options)` returns a fastify instance (not listening) with the /v1 API.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type Clock, canonicalJson, ModelsecError, systemClock } from '@modelsec/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import semver from 'semver';
import { type Actor, authorize, authorizeGlobalAdmin, canRead, hashToken, newId, newTokenSecret, resolveActor } from './auth.js';
import { classifyError } from './http-errors.js';
import { lineageRoutes } from './lineage/index.js';
import { logRoutes, parseWitnessTarget, TransparencyLog, type WitnessEvent, Witnessing } from './log/index.js';
import { publishEntry } from './log/publish-entry.js';
import { type LogHook, NO_LOG } from './log-hook.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';
import { type Policy, policySchema } from './policy/policy.js';
import type { BlobStore } from './store/blob-store.js';
import { FsBlobStore } from './store/fs-blob-store.js';
import type { MetadataStore, NamespaceRecord, TokenScope, VersionRecord } from './store/metadata-store.js';
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

export const NAME_PATTERN = '^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$';
const DIGEST_PATTERN = '^[0-9a-f]{64}$';
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
}

export interface Registry {
  app: FastifyInstance;
  store: MetadataStore;
  blobs: BlobStore;
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
  }
}

type Params = { ns: string; model: string; version: string; digest: string; id: string };

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

/** Ensures an admin token exists; returns the secret when it generated one. */
async function ensureAdminToken(store: MetadataStore, clock: Clock, adminToken: string | undefined): Promise<string | undefined> {
  const at = clock.now().toISOString();
  if (adminToken) {
    const hash = hashToken(adminToken);
    if (!(await store.findTokenByHash(hash))) {
      await store.createToken({
        id: `admin-${hash.slice(0, 12)}`,
        tokenHash: hash,
        namespace: null,
        scope: 'admin',
        description: 'MODELSEC_ADMIN_TOKEN',
        createdAt: at,
        createdBy: 'system',
        revoked: false,
      });
    }
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
  const activeUploads = new Set<string>();
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
  app.addHook('onClose', async () => {
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
    if (action) {
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
  app.addHook('preHandler', async (request) => {
    request.actor = await resolveActor(store, request.headers.authorization);
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
  async function storeJsonBlob(document: unknown): Promise<string> {
    const bytes = Buffer.from(canonicalJson(document), 'utf8');
    const digest = createHash('sha256').update(bytes).digest('hex');
    const put = await blobs.put(digest, Readable.from([bytes]));
    await store.putBlobRecord({ digest, size: put.size, createdAt: now() });
    return digest;
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
  app.register(lineageRoutes({ store, blobs }));
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
      if (!token.revoked) await store.revokeToken(token.id);
      await audit(request, 'token.revoke', ns.name, 'ok', { id: token.id, scope: token.scope });
      return { id: token.id, revoked: true };
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
  app.put<{ Params: Params; Body: PushManifest }>(
    '/v1/namespaces/:ns/models/:model/versions/:version',
    {
      config: {
        action: 'version.push',
        summary: 'Publish a version (push scope): verified by the registry, then decided by the namespace policy',
      },
      schema: { params: params(versionParam), body: PUSH_MANIFEST_SCHEMA },
    },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'push');
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
      const result = await verifyPush({
        manifest,
        policy: await readJsonPolicy(ns.name),
        blobs,
        scanner,
        ...(options.sigstoreTrustedRoot !== undefined ? { sigstore: { trustedRootJson: options.sigstoreTrustedRoot } } : {}),
      });
      if (result.failed.length > 0 || !result.signed) {
        const inputError = result.failed.find((f) => f.code === 'REGISTRY_BLOB_MISSING' || f.code === 'DIGEST_MISMATCH');
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
      const registryScanDigest = scanReport ? await storeJsonBlob(scanReport) : null;
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
      const log = await store.transaction(async (tx) => {
        await tx.ensureModel({ namespace: ns.name, name: model, createdAt: at });
        await tx.insertVersion(
          record,
          manifest.files.map((f) => ({ ...key, path: f.path, digest: f.digest, size: f.size })),
          attachments,
        );
        return logHook.onLogEvent(tx, publishEntry({ ...key, at, signed, manifest, result, registryScanDigest }));
      });
      await audit(request, 'version.push', `${ns.name}/${model}@${version}`, 'ok', { rootDigest: signed.rootDigest });
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
  app.get<{ Querystring: { namespace?: string; limit?: string } }>(
    '/v1/audit',
    {
      config: { summary: 'The audit log, newest first (registry admin, or namespace admin with ?namespace=)' },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            namespace: { type: 'string', pattern: NAME_PATTERN },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' },
          },
        },
      },
    },
    async (request) => {
      const { namespace } = request.query;
      if (namespace) await nsFor(request, namespace, 'admin');
      else authorizeGlobalAdmin(request.actor);
      const entries = await store.listAudit({ limit: Number(request.query.limit ?? 100), ...(namespace ? { namespace } : {}) });
      return { entries: entries.map((e) => ({ ...e, details: JSON.parse(e.details) })) };
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

  app.head<{ Params: Params }>(
    '/v1/namespaces/:ns/blobs/:digest',
    { schema: { params: params(digestParam) } },
    async (request, reply) => {
      await nsFor(request, request.params.ns, 'push');
      const size = await blobs.size(request.params.digest);
      if (size === undefined) return reply.status(404).send();
      return reply.header('content-length', size).status(200).send();
    },
  );
  app.get<{ Params: Params }>(
    '/v1/namespaces/:ns/blobs/:digest',
    { config: { summary: 'Download a blob referenced by a version of the namespace' }, schema: { params: params(digestParam) } },
    async (request, reply) => {
      const ns = await nsFor(request, request.params.ns, 'read');
      const { digest } = request.params;
      if (!(await store.namespaceHasBlob(ns.name, digest)))
        throw new ModelsecError('NOT_FOUND', `no version of '${ns.name}' references blob ${digest}`);
      const size = await blobs.size(digest);
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
      await nsFor(request, request.params.ns, 'push');
      contentLength(request, MAX_SINGLE_PUT_BYTES);
      const result = await blobs.put(request.params.digest, bodyStream(request));
      await store.putBlobRecord({ digest: request.params.digest, size: result.size, createdAt: now() });
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
      await blobs.beginUpload(id);
      await store.createUpload({
        id,
        namespace: ns.name,
        offset: 0,
        createdAt: now(),
        updatedAt: now(),
        createdBy: request.actor.id,
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
      if (activeUploads.has(session.id)) throw new ModelsecError('CONFLICT', 'another append to this upload is in progress');
      activeUploads.add(session.id);
      try {
        const offset = Number(offsetHeader);
        const end = await blobs.appendUpload(session.id, offset, bodyStream(request));
        if (end - offset !== length) {
          // The bytes that did arrive are kept (fsynced): the client resumes from GET .../uploads/:id.
          throw new ModelsecError('USAGE', `received ${end - offset} bytes, Content-Length said ${length}`);
        }
        await store.advanceUpload(session.id, session.offset, end, now());
        return { id: session.id, offset: end };
      } finally {
        activeUploads.delete(session.id);
      }
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
      if (activeUploads.has(session.id)) throw new ModelsecError('CONFLICT', 'an append to this upload is in progress');
      activeUploads.add(session.id);
      try {
        const result = await blobs.completeUpload(session.id, request.query.digest).finally(() => store.deleteUpload(session.id));
        await store.putBlobRecord({ digest: request.query.digest, size: result.size, createdAt: now() });
        return reply.status(201).send({ digest: request.query.digest, size: result.size, created: result.created });
      } finally {
        activeUploads.delete(session.id);
      }
    },
  );

  return { app, store, blobs, ...(generatedAdminToken ? { generatedAdminToken } : {}) };
}

const ANONYMOUS_ACTOR: Actor = { id: 'anonymous' };

export type { FastifyReply };
