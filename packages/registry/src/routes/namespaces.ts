/** Namespaces: list (what the caller can read), create (registry admin, logged), show one. */
import type { FastifyInstance } from 'fastify';
import { authorizeGlobalAdmin, canRead } from '../auth.js';
import type { RouteContext } from './context.js';
import { NAME_PATTERN, NS_PARAM, type Params, params } from './schemas.js';

export function namespaceRoutes(ctx: RouteContext) {
  const { store, logHook } = ctx;
  return async function registerNamespaceRoutes(app: FastifyInstance): Promise<void> {
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
        const at = ctx.now();
        await store.transaction(async (tx) => {
          await tx.createNamespace({ name, public: isPublic, createdAt: at, createdBy: request.actor.id });
          await logHook.onLogEvent(tx, { type: 'namespace', namespace: name, public: isPublic, at });
        });
        await ctx.audit(request, 'namespace.create', name, 'ok', { public: isPublic });
        await ctx.logChanged();
        return reply.status(201).send({ name, public: isPublic, createdAt: at });
      },
    );
    app.get<{ Params: Params }>(
      '/v1/namespaces/:ns',
      { config: { summary: 'One namespace' }, schema: { params: params(NS_PARAM) } },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'read');
        const policy = await store.currentPolicy(ns.name);
        return { name: ns.name, public: ns.public, createdAt: ns.createdAt, policyVersion: policy?.version ?? null };
      },
    );
  };
}
