/**
 * The registry service: `createRegistry(options)` returns a fastify instance (not listening) with the /v1 API. This
 * module wires the stores, the transparency log, the witnesses and storage housekeeping to the route plugins
 * (routes/, one per resource; the log and lineage routes beside their modules) and answers errors, authentication
 * and the refusal rate limit for all of them.
 */
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ModelsecError } from '@modelsec/core/errors';
import { type Clock, canonicalJson, systemClock } from '@modelsec/core/util';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ensureAdminToken } from './admin-token.js';
import { type Actor, authorize, canRead, resolveActor } from './auth.js';
import { classifyError } from './http-errors.js';
import { backfillLineageIndex } from './lineage/lineage.js';
import { lineageRoutes } from './lineage/routes.js';
import { logRoutes } from './log/routes.js';
import { TransparencyLog } from './log/transparency-log.js';
import { parseWitnessTarget, type WitnessEvent, Witnessing } from './log/witnessing.js';
import { type LogHook, NO_LOG } from './log-hook.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';
import { PublishService } from './publish/publish-service.js';
import {
  addressKey,
  checkRefusalLimits,
  DEFAULT_REFUSAL_LIMITS,
  DEFAULT_TOKEN_REFUSAL_LIMITS,
  MAX_TRACKED_TOKENS,
  RefusalLimiter,
  type RefusalLimits,
} from './refusal-limiter.js';
import { auditRoutes } from './routes/audit.js';
import { blobRoutes } from './routes/blobs.js';
import type { AuditOutcome, RouteContext } from './routes/context.js';
import { namespaceRoutes } from './routes/namespaces.js';
import { policyRoutes } from './routes/policies.js';
import { queryRoutes } from './routes/queries.js';
import { DIGEST_PATTERN, NAME_PATTERN, type Params, VERSION_PATTERN } from './routes/schemas.js';
import { tokenRoutes } from './routes/tokens.js';
import { uploadRoutes } from './routes/uploads.js';
import { versionRoutes } from './routes/versions.js';
import { StorageHousekeeping } from './storage/housekeeping.js';
import { checkStorageLimits, DEFAULT_STORAGE_LIMITS, type StorageLimits } from './storage/limits.js';
import { StorageQuotas } from './storage/quotas.js';
import { UploadLocks } from './storage/upload-locks.js';
import type { BlobStore } from './store/blob-store.js';
import { FsBlobStore } from './store/fs-blob-store.js';
import type { MetadataStore, TokenRecord } from './store/metadata-store.js';
import { PostgresMetadataStore } from './store/postgres/postgres-metadata-store.js';
import { SqliteMetadataStore } from './store/sqlite/sqlite-metadata-store.js';
import { uiRoutes } from './ui/index.js';
import { defaultScanner, type RegistryScanner } from './verification/scan-adapter.js';

/** Largest JSON request body (a manifest of MAX_MANIFEST_FILES entries fits with room). */
export const MAX_JSON_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Longest a JSON request body may take to arrive (issue 12, slow bodies: fastify sets no request timeout, so a body
 * trickled a byte a minute held its connection and up to MAX_JSON_BODY_BYTES of buffer for ever). 4 MiB in this
 * time is about 70 KB/s; upload bytes (application/octet-stream) are not JSON and have their own limits.
 */
export const MAX_JSON_BODY_RECEIVE_MS = 60_000;
/**
 * Upload bytes (application/octet-stream) must keep arriving: at least UPLOAD_MIN_BYTES_PER_WINDOW in every
 * UPLOAD_RATE_WINDOW_MS (64 KiB in 30 s, about 2 KB/s: any real link), or the request is refused LIMIT_EXCEEDED and
 * its connection closed (issue 12: a push token trickling a byte a minute into each of its sessions held a
 * connection, a session lock and the reserved bytes of the append for ever; the session stays, so an honest client
 * on a stalled link resumes from the offset the session answers).
 */
export const UPLOAD_RATE_WINDOW_MS = 30_000;
/** See UPLOAD_RATE_WINDOW_MS. */
export const UPLOAD_MIN_BYTES_PER_WINDOW = 64 * 1024;

/** Methods that change something: every route of them needs a token, so a request without one is refused first. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

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
   * Rate limit on refused requests of each valid token (default DEFAULT_TOKEN_REFUSAL_LIMITS); the registry admin
   * token is not limited (it may do everything already; limiting it would only lock the operator out).
   */
  tokenRefusalLimits?: Partial<RefusalLimits>;
  /**
   * The clock of storage housekeeping (upload lock leases, session expiry, garbage-collection grace): wall time by
   * default, never the output clock (a fixed output clock must not freeze leases).
   */
  storageClock?: Clock;
  /** Deadline of a JSON request body (default MAX_JSON_BODY_RECEIVE_MS; tests shorten it). */
  jsonBodyReceiveMs?: number;
  /** Minimum rate of upload bytes (default UPLOAD_MIN_BYTES_PER_WINDOW in UPLOAD_RATE_WINDOW_MS; tests shorten it). */
  uploadMinRate?: { windowMs: number; minBytes: number };
  /** Pushes of one namespace verified at once and waiting (publish-service.ts defaults; tests lower them). */
  pushConcurrency?: { running: number; queued: number };
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

export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const clock = options.clock ?? systemClock;
  // Limits are checked before anything is opened (a bad configuration leaves nothing behind).
  const refusals = new RefusalLimiter(
    clock,
    checkRefusalLimits({ ...DEFAULT_REFUSAL_LIMITS, ...options.anonymousRefusalLimits }, 'anonymous'),
  );
  const tokenRefusals = new RefusalLimiter(
    clock,
    checkRefusalLimits({ ...DEFAULT_TOKEN_REFUSAL_LIMITS, ...options.tokenRefusalLimits }, 'token'),
    (id) => id,
    MAX_TRACKED_TOKENS,
  );
  const storageLimits = checkStorageLimits({ ...DEFAULT_STORAGE_LIMITS, ...options.storage });
  const jsonBodyReceiveMs = options.jsonBodyReceiveMs ?? MAX_JSON_BODY_RECEIVE_MS;
  const uploadMinRate = options.uploadMinRate ?? { windowMs: UPLOAD_RATE_WINDOW_MS, minBytes: UPLOAD_MIN_BYTES_PER_WINDOW };
  const { store, blobs } = await openStores(options);
  const scanner = options.scanner === null ? undefined : (options.scanner ?? defaultScanner());
  const transparencyLog = options.logHook ? undefined : await TransparencyLog.open(store, { dataDir: options.dataDir });
  const logHook = options.logHook ?? transparencyLog ?? NO_LOG;
  const witnessTargets = (options.witnesses ?? []).map((w) => parseWitnessTarget(w.url, w.key));
  if (witnessTargets.length > 0 && !transparencyLog)
    throw new ModelsecError('INVALID_CONFIG', 'witnesses need the registry transparency log (not a custom log hook)');
  const generatedAdminToken = await ensureAdminToken(store, clock, options.adminToken);
  // Versions published before the lineage index existed are indexed once (lineage queries read only the index).
  await backfillLineageIndex(store, blobs);
  const storageClock = options.storageClock ?? systemClock;
  const uploadLocks = new UploadLocks(store, storageClock);
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
    outcome: AuditOutcome,
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
  // Only what the route's own patterns accept goes into a target: a parameter that failed validation is the caller's
  // raw text (a forged `acme/m@9.9.9`, terminal escapes, line breaks) and is recorded as INVALID_TARGET_PART.
  const part = (value: string | undefined, pattern: RegExp): string | undefined =>
    value === undefined || value === '' ? undefined : pattern.test(value) ? value : INVALID_TARGET_PART;
  const targetOf = (raw: Partial<Params>): string => {
    const p = {
      ns: part(raw.ns, NAME_RE),
      model: part(raw.model, NAME_RE),
      version: part(raw.version, VERSION_RE),
      digest: part(raw.digest, DIGEST_RE),
    };
    return [p.ns, p.model].filter(Boolean).join('/') + (p.version ? `@${p.version}` : '') + (p.digest ? `#${p.digest}` : '');
  };

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
    // Refusals of a valid token are counted per token the same way (an attacker holding a token can rotate
    // addresses, not tokens), and 404s too unless they are about the token's own namespace (a CI job asking whether
    // its version exists yet): a 404 elsewhere is probing another tenant's names.
    const token = request.actor.token;
    const limiter = token ? (limitedToken(token) ? tokenRefusals : undefined) : refusals;
    const countable =
      limiter !== undefined &&
      status < 500 &&
      (action !== undefined || status === 401 || status === 403 || (token !== undefined && !ownNamespace(request)));
    const subject = token ? token.id : request.ip;
    // The token audit budget is per namespace of the token (one tenant minting tokens cannot spend another's).
    const group = token ? (token.namespace ?? 'registry') : '';
    const decision = countable ? (limiter as RefusalLimiter).record(subject, group) : 'audit';
    if (decision === 'budget')
      await audit(request, token ? 'rate-limit.token' : 'rate-limit.anonymous', token ? group : '*', 'refused', {
        code: 'RATE_LIMITED',
        limit: 'auditPerWindow',
      }).catch(() => undefined);
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
  app.addHook('onRequest', async (request, reply) => {
    let failure: unknown;
    try {
      request.actor = await resolveActor(store, request.headers.authorization, now());
    } catch (error) {
      request.actor = ANONYMOUS_ACTOR;
      failure = error;
    }
    const token = request.actor.token;
    if (!token || limitedToken(token)) {
      const [limiter, subject] = token ? [tokenRefusals, token.id] : [refusals, request.ip];
      const limited = limiter.blocked(subject);
      if (limited.blocked) {
        if (limiter.record(subject, token ? (token.namespace ?? 'registry') : '') === 'tripped')
          await audit(
            request,
            token ? 'rate-limit.token' : 'rate-limit.anonymous',
            token ? (token.namespace ?? 'registry') : addressKey(request.ip),
            'refused',
            { code: 'RATE_LIMITED', limit: 'perWindow', ...(token ? { token: token.id } : {}) },
          ).catch(() => undefined);
        throw new ModelsecError(
          'RATE_LIMITED',
          token
            ? `too many refused requests with this token; retry in ${limited.retryAfterSeconds} s`
            : `too many refused requests without a valid token from this address; retry in ${limited.retryAfterSeconds} s`,
          { details: { retryAfterSeconds: limited.retryAfterSeconds } },
        );
      }
    }
    if (failure !== undefined) throw failure;
    // No write route answers a caller without a token: refused before a byte of the body is read (an anonymous body
    // can neither be trickled to hold the connection nor cost a parse), and the connection is closed after the
    // answer so an unread body is not drained either.
    if (!token && WRITE_METHODS.has(request.method) && request.url.startsWith('/v1/')) {
      reply.header('connection', 'close');
      throw new ModelsecError('UNAUTHENTICATED', `a token is required to ${request.method} ${request.url.split('?')[0]}`);
    }
  });
  // A JSON body must arrive within MAX_JSON_BODY_RECEIVE_MS: it is read through a stream that fails at the deadline
  // (the request itself is left alone, so the refusal is answered), and the connection is closed after the answer.
  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.headers['content-type']?.split(';')[0]?.trim() === 'application/octet-stream')
      return minimumRate(payload, reply, uploadMinRate);
    const body = new PassThrough();
    const timer = setTimeout(() => {
      reply.header('connection', 'close');
      payload.unpipe(body);
      body.destroy(
        new ModelsecError('LIMIT_EXCEEDED', `the request body did not arrive within ${jsonBodyReceiveMs} ms`, {
          details: { limit: 'MAX_JSON_BODY_RECEIVE_MS', value: jsonBodyReceiveMs },
        }),
      );
    }, jsonBodyReceiveMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    payload.once('end', clear);
    payload.once('error', (error) => {
      clear();
      body.destroy(error);
    });
    body.once('close', clear);
    payload.pipe(body);
    return body;
  });

  const context: RouteContext = {
    store,
    blobs,
    logHook,
    now,
    audit,
    nsFor: async (request, ns, scope) => {
      const record = await store.getNamespace(ns);
      authorize(request.actor, ns, record, scope);
      return record as NonNullable<typeof record>;
    },
    logChanged,
  };
  const publish = new PublishService({
    store,
    blobs,
    quotas,
    logHook,
    scanner,
    ...(options.sigstoreTrustedRoot !== undefined ? { sigstoreTrustedRoot: options.sigstoreTrustedRoot } : {}),
    ...(options.pushConcurrency !== undefined ? { pushConcurrency: options.pushConcurrency } : {}),
    now,
  });

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

  // ── the API, one plugin per resource ───────────────────────────────────
  app.register(namespaceRoutes(context));
  app.register(policyRoutes({ ...context, quotas }));
  app.register(tokenRoutes({ ...context, quotas }));
  app.register(versionRoutes({ ...context, publish }));
  app.register(queryRoutes(context));
  app.register(auditRoutes(context));
  app.register(blobRoutes({ ...context, quotas }));
  app.register(uploadRoutes({ ...context, quotas, housekeeping, uploadLocks, storageLimits }));

  return { app, store, blobs, housekeeping, ...(generatedAdminToken ? { generatedAdminToken } : {}) };
}

const ANONYMOUS_ACTOR: Actor = { id: 'anonymous' };

/** Whether a token's refusals are rate-limited: every token but the registry admin's. */
function limitedToken(token: TokenRecord): boolean {
  return !(token.namespace === null && token.scope === 'admin');
}

/**
 * Whether a request is about its token's own namespace (the `ns` path parameter or `namespace` query parameter), or
 * made with a registry-wide token: its 404s say nothing about another tenant.
 */
function ownNamespace(request: FastifyRequest): boolean {
  const token = request.actor.token;
  if (!token || token.namespace === null) return true;
  const ns =
    (request.params as { ns?: unknown } | undefined)?.ns ?? (request.query as { namespace?: unknown } | undefined)?.namespace;
  return ns === token.namespace;
}

/** What an audit target shows for a path parameter the route refused as invalid (never the caller's raw text). */
export const INVALID_TARGET_PART = '(invalid)';
const NAME_RE = new RegExp(NAME_PATTERN);
const VERSION_RE = new RegExp(VERSION_PATTERN);
const DIGEST_RE = new RegExp(DIGEST_PATTERN);

export type { FastifyReply };

/**
 * `payload` passed through, destroyed with LIMIT_EXCEEDED (and the connection marked to close) when fewer than
 * `minBytes` arrive in one `windowMs` before the body ends (UPLOAD_MIN_BYTES_PER_WINDOW).
 */
function minimumRate(
  payload: NodeJS.ReadableStream & { unpipe(d: NodeJS.WritableStream): unknown },
  reply: { header(name: string, value: string): unknown },
  rate: { windowMs: number; minBytes: number },
): PassThrough {
  const body = new PassThrough();
  let received = 0;
  const timer = setInterval(() => {
    if (received >= rate.minBytes) {
      received = 0;
      return;
    }
    clearInterval(timer);
    reply.header('connection', 'close');
    payload.unpipe(body);
    body.destroy(
      new ModelsecError(
        'LIMIT_EXCEEDED',
        `upload bytes arrived at fewer than ${rate.minBytes} bytes in ${rate.windowMs} ms; resume from the offset GET .../uploads/ID answers`,
        { details: { limit: 'UPLOAD_MIN_BYTES_PER_WINDOW', value: rate.minBytes, windowMs: rate.windowMs } },
      ),
    );
  }, rate.windowMs);
  timer.unref();
  const clear = () => clearInterval(timer);
  payload.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  payload.once('end', clear);
  payload.once('error', (error) => {
    clear();
    body.destroy(error as Error);
  });
  body.once('close', clear);
  payload.pipe(body);
  return body;
}
