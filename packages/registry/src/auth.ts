/** Tokens (secret shown once, stored as sha256) and the authorisation rules per namespace and scope. */
import { createHash, randomBytes } from 'node:crypto';
import { ModelsecError } from '@modelsec/core/errors';
import type { MetadataOps, NamespaceRecord, TokenRecord, TokenScope } from './store/metadata-store.js';

/** Prefix of every token the registry issues (helps secret scanners recognise leaked tokens). */
export const TOKEN_PREFIX = 'msk_';
/** Longest Authorization header value considered (a token is ~50 characters). */
export const MAX_TOKEN_CHARS = 512;

export interface Actor {
  /** Token id, or 'anonymous'. */
  id: string;
  token?: TokenRecord;
}

export const ANONYMOUS: Actor = { id: 'anonymous' };

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newId(): string {
  return randomBytes(16).toString('hex');
}

/** Shortest lifetime a token may be given (seconds): shorter ones would expire before a push finishes. */
export const MIN_TOKEN_LIFETIME_SECONDS = 60;
/** Longest lifetime a token may be given (seconds, 400 days): a longer one is a token without expiry; omit it. */
export const MAX_TOKEN_LIFETIME_SECONDS = 400 * 24 * 3600;

/** Whether `token` has expired at `nowIso` (a token without `expiresAt` never does). */
export function tokenExpired(token: TokenRecord, nowIso: string): boolean {
  return token.expiresAt != null && Date.parse(token.expiresAt) <= Date.parse(nowIso);
}

/**
 * The actor behind an `Authorization: Bearer ...` header (UNAUTHENTICATED for an unknown, revoked or, at `nowIso`,
 * expired token).
 */
export async function resolveActor(store: MetadataOps, header: string | undefined, nowIso?: string): Promise<Actor> {
  if (header === undefined || header === '') return ANONYMOUS;
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header.length > MAX_TOKEN_CHARS ? '' : header);
  if (!match) throw new ModelsecError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
  const token = await store.findTokenByHash(hashToken(match[1] as string));
  if (!token || token.revoked) throw new ModelsecError('UNAUTHENTICATED', 'unknown or revoked token');
  if (nowIso !== undefined && tokenExpired(token, nowIso))
    throw new ModelsecError('UNAUTHENTICATED', `this token expired at ${token.expiresAt}; ask a namespace admin for a new one`);
  return { id: token.id, token };
}

const RANK: Record<TokenScope, number> = { read: 1, push: 2, admin: 3 };

/** Whether `actor` may act with `scope` on namespace `ns` (which may not exist). Throws 401/403/404. */
export function authorize(actor: Actor, nsName: string, ns: NamespaceRecord | undefined, scope: TokenScope): void {
  if (scope === 'read' && ns?.public) return;
  const token = actor.token;
  if (!token)
    throw new ModelsecError('UNAUTHENTICATED', `a token is required to ${scope === 'read' ? 'read' : scope} '${nsName}'`, {
      details: { namespace: nsName },
    });
  if (token.namespace !== null && token.namespace !== nsName) {
    throw new ModelsecError('FORBIDDEN', `this token is for another namespace, not '${nsName}'`, {
      details: { namespace: nsName },
    });
  }
  if (!ns) throw new ModelsecError('NOT_FOUND', `namespace '${nsName}' does not exist`, { details: { namespace: nsName } });
  if (RANK[token.scope] < RANK[scope]) {
    throw new ModelsecError('FORBIDDEN', `this token has scope '${token.scope}'; '${scope}' is required`, {
      details: { namespace: nsName, required: scope },
    });
  }
}

/** Whether `actor` holds `scope` on the existing namespace `ns` (authorize's rule, as a boolean). */
export function hasScope(actor: Actor, ns: NamespaceRecord, scope: TokenScope): boolean {
  try {
    authorize(actor, ns.name, ns, scope);
    return true;
  } catch {
    return false;
  }
}

/** Registry-wide administration (create namespaces, read the whole audit log). */
export function authorizeGlobalAdmin(actor: Actor): void {
  if (!actor.token) throw new ModelsecError('UNAUTHENTICATED', 'the admin token is required');
  if (actor.token.namespace !== null || actor.token.scope !== 'admin')
    throw new ModelsecError('FORBIDDEN', 'only the registry admin token may do this');
}

/** Whether `actor` may read `ns` (for filtering query results). */
export function canRead(actor: Actor, ns: NamespaceRecord): boolean {
  if (ns.public) return true;
  const t = actor.token;
  return t !== undefined && (t.namespace === null || t.namespace === ns.name);
}
