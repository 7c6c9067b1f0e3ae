/**
 * Models and versions of a namespace: list models, list versions, show a version, publish one (push scope; the
 * publish service verifies it) and yank one (namespace admin, logged).
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyInstance } from 'fastify';
import { authorize } from '../auth.js';
import type { PublishService } from '../publish/publish-service.js';
import { PUSH_MANIFEST_SCHEMA, type PushManifest } from '../verification/manifest.js';
import type { RouteContext } from './context.js';
import { DISPLAY_TEXT_PATTERN, MODEL_PARAM, NS_PARAM, type Params, params, VERSION_PARAM } from './schemas.js';
import { MAX_LIST_ROWS, versionView } from './version-view.js';

export function versionRoutes(ctx: RouteContext & { publish: PublishService }) {
  const { store, logHook } = ctx;
  return async function registerVersionRoutes(app: FastifyInstance): Promise<void> {
    app.get<{ Params: Params }>(
      '/v1/namespaces/:ns/models',
      { config: { summary: 'Models of a namespace' }, schema: { params: params(NS_PARAM) } },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'read');
        return { models: (await store.listModels(ns.name)).map((m) => ({ name: m.name, createdAt: m.createdAt })) };
      },
    );
    app.get<{ Params: Params; Querystring: { includeYanked?: 'true' | 'false' } }>(
      '/v1/namespaces/:ns/models/:model/versions',
      {
        config: { summary: 'Versions of a model' },
        schema: {
          params: params(MODEL_PARAM),
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { includeYanked: { type: 'string', enum: ['true', 'false'] } },
          },
        },
      },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'read');
        const versions = await store.listVersions({
          namespace: ns.name,
          model: request.params.model,
          includeYanked: request.query.includeYanked !== 'false',
          summary: true,
          limit: MAX_LIST_ROWS,
        });
        return { versions: versions.map(versionView) };
      },
    );
    app.get<{ Params: Params }>(
      '/v1/namespaces/:ns/models/:model/versions/:version',
      {
        config: { summary: 'A version: files, signer, scan verdict, attachments (ML-BOM, attestations)' },
        schema: { params: params(VERSION_PARAM) },
      },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'read');
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
          params: params(VERSION_PARAM),
          body: PUSH_MANIFEST_SCHEMA,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { overrideYank: { type: 'string', enum: ['true', 'false'] } },
          },
        },
      },
      async (request, reply) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'push');
        // Re-publishing yanked content is a namespace admin's decision (checked before any work is done).
        const overrideYank = request.query.overrideYank === 'true';
        if (overrideYank) authorize(request.actor, ns.name, ns, 'admin');
        const { model, version } = request.params;
        const published = await ctx.publish.publish({
          namespace: ns.name,
          model,
          version,
          manifest: request.body,
          overrideYank,
          publishedBy: request.actor.id,
          onPinned: (pin) => {
            request.storagePin = pin;
          },
          // A token revoked while the push was verified publishes nothing (the revocation is the operator's answer to
          // a leaked token: a push it started just before must not land after it).
          stillAuthorised: async (tx) => {
            const token = request.actor.token;
            const current = token ? await tx.findTokenByHash(token.tokenHash) : undefined;
            if (!current || current.revoked)
              throw new ModelsecError('UNAUTHENTICATED', 'the token was revoked while the push was verified: nothing published');
          },
        });
        const { record, overridden } = published;
        await ctx.audit(request, 'version.push', `${ns.name}/${model}@${version}`, 'ok', {
          rootDigest: record.rootDigest,
          hashedBytes: published.hashedBytes,
          ...(overridden.length > 0 ? { yankOverride: overridden } : {}),
        });
        await ctx.logChanged();
        return reply.status(201).send({
          ...versionView(record),
          ...(published.logIndex !== undefined ? { logIndex: published.logIndex } : {}),
          verdict: 'accepted',
        });
      },
    );
    app.post<{ Params: Params; Body: { reason: string } }>(
      '/v1/namespaces/:ns/models/:model/versions/:version/yank',
      {
        config: { action: 'version.yank', summary: 'Yank a version (namespace admin): kept, marked, still verifiable' },
        schema: {
          params: params(VERSION_PARAM),
          body: {
            type: 'object',
            required: ['reason'],
            additionalProperties: false,
            properties: { reason: { type: 'string', minLength: 1, maxLength: 1000, pattern: DISPLAY_TEXT_PATTERN } },
          },
        },
      },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'admin');
        const { model, version } = request.params;
        const at = ctx.now();
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
        await ctx.audit(request, 'version.yank', `${ns.name}/${model}@${version}`, 'ok', { reason: request.body.reason });
        await ctx.logChanged();
        return { namespace: ns.name, model, version, yanked: true, yankedAt: at, yankReason: request.body.reason };
      },
    );
  };
}
