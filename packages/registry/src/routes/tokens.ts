/**
 * API tokens: per namespace (namespace admin: create, list, revoke) and registry-wide (registry admin: every token,
 * revoke any). Secrets are returned once, at creation, and never listed.
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyInstance } from 'fastify';
import {
  authorizeGlobalAdmin,
  hashToken,
  MAX_TOKEN_LIFETIME_SECONDS,
  MIN_TOKEN_LIFETIME_SECONDS,
  newId,
  newTokenSecret,
  tokenExpired,
} from '../auth.js';
import type { StorageQuotas } from '../storage/quotas.js';
import type { TokenRecord, TokenScope } from '../store/metadata-store.js';
import type { RouteContext } from './context.js';
import { DISPLAY_TEXT_PATTERN, ISSUED_ID_PARAM, NS_PARAM, type Params, params, TOKEN_ID_PATTERN } from './schemas.js';

/** A token as the registry admin sees it (never the secret or its hash). */
const tokenView = (t: TokenRecord, nowIso: string) => ({
  id: t.id,
  namespace: t.namespace,
  scope: t.scope,
  description: t.description,
  createdAt: t.createdAt,
  createdBy: t.createdBy,
  revoked: t.revoked,
  revokedAt: t.revokedAt ?? null,
  revokedBy: t.revokedBy ?? null,
  expiresAt: t.expiresAt ?? null,
  expired: tokenExpired(t, nowIso),
});

export function tokenRoutes(ctx: RouteContext & { quotas: StorageQuotas }) {
  const { store } = ctx;
  return async function registerTokenRoutes(app: FastifyInstance): Promise<void> {
    app.post<{ Params: Params; Body: { scope: TokenScope; description?: string; expiresInSeconds?: number } }>(
      '/v1/namespaces/:ns/tokens',
      {
        config: {
          action: 'token.create',
          summary: 'Create an API token for the namespace (namespace admin); the secret is returned once',
        },
        schema: {
          params: params(NS_PARAM),
          body: {
            type: 'object',
            required: ['scope'],
            additionalProperties: false,
            properties: {
              scope: { enum: ['read', 'push', 'admin'] },
              description: { type: 'string', maxLength: 200, pattern: DISPLAY_TEXT_PATTERN },
              expiresInSeconds: {
                type: 'integer',
                minimum: MIN_TOKEN_LIFETIME_SECONDS,
                maximum: MAX_TOKEN_LIFETIME_SECONDS,
                description: 'lifetime from now; omitted = the token never expires',
              },
            },
          },
        },
      },
      async (request, reply) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'admin');
        const secret = newTokenSecret();
        const id = newId();
        const createdAt = ctx.now();
        const lifetime = request.body.expiresInSeconds;
        const expiresAt = lifetime === undefined ? null : new Date(Date.parse(createdAt) + lifetime * 1000).toISOString();
        await store.transaction(async (tx) => {
          await ctx.quotas.admitToken(tx, ns.name);
          await tx.createToken({
            id,
            tokenHash: hashToken(secret),
            namespace: ns.name,
            scope: request.body.scope,
            description: request.body.description ?? '',
            createdAt,
            createdBy: request.actor.id,
            revoked: false,
            expiresAt,
          });
        });
        await ctx.audit(request, 'token.create', ns.name, 'ok', { id, scope: request.body.scope, expiresAt });
        return reply.status(201).send({ id, token: secret, namespace: ns.name, scope: request.body.scope, expiresAt });
      },
    );

    app.get<{ Params: Params }>(
      '/v1/namespaces/:ns/tokens',
      {
        config: { summary: 'Tokens of the namespace (namespace admin): ids, scopes, who made them; never the secrets' },
        schema: { params: params(NS_PARAM) },
      },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'admin');
        const tokens = (await store.listTokens(ns.name)).filter((t) => t.namespace === ns.name);
        const nowIso = ctx.now();
        return {
          tokens: tokens
            .map((t) => ({
              id: t.id,
              scope: t.scope,
              description: t.description,
              createdAt: t.createdAt,
              createdBy: t.createdBy,
              revoked: t.revoked,
              expiresAt: t.expiresAt ?? null,
              expired: tokenExpired(t, nowIso),
            }))
            .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1)),
        };
      },
    );
    app.delete<{ Params: Params }>(
      '/v1/namespaces/:ns/tokens/:id',
      {
        config: {
          action: 'token.revoke',
          summary: 'Revoke a token of the namespace (namespace admin); it stops working at once',
        },
        schema: { params: params(ISSUED_ID_PARAM) },
      },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'admin');
        const token = (await store.listTokens(ns.name)).find((t) => t.id === request.params.id && t.namespace === ns.name);
        if (!token)
          throw new ModelsecError('NOT_FOUND', `no token ${request.params.id} in namespace ${ns.name}`, {
            details: { token: request.params.id },
          });
        // Revoking a revoked token changes nothing and adds no audit row (a loop of them cannot grow the audit log).
        if (!token.revoked) {
          await store.revokeToken(token.id, ctx.now(), request.actor.id);
          await ctx.audit(request, 'token.revoke', ns.name, 'ok', { id: token.id, scope: token.scope });
        }
        return { id: token.id, revoked: true };
      },
    );

    // Registry-wide: every token (registry admin), including registry-wide ones no namespace admin can see.
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
        const nowIso = ctx.now();
        return { tokens: (await store.listTokens()).map((t) => tokenView(t, nowIso)) };
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
        if (!token.revoked) {
          await store.revokeToken(token.id, ctx.now(), request.actor.id);
          await ctx.audit(request, 'token.revoke', token.namespace ?? 'registry', 'ok', {
            id: token.id,
            scope: token.scope,
            registryWide: token.namespace === null,
          });
        }
        return { id: token.id, namespace: token.namespace, revoked: true };
      },
    );
  };
}
