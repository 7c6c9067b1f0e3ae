/**
 * Content-addressed blobs of a namespace: HEAD (may the pusher name it?), GET (download what a version references,
 * or an upload not yet published to its pushers) and PUT (a whole blob in one request, verified against its digest).
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyInstance } from 'fastify';
import { hasScope } from '../auth.js';
import type { StorageQuotas } from '../storage/quotas.js';
import type { RouteContext } from './context.js';
import { DIGEST_PARAM, type Params, params } from './schemas.js';
import { bodyStream, contentLength, grantBlob } from './upload-body.js';

/** Largest single-request blob upload; bigger files go through resumable upload sessions. */
export const MAX_SINGLE_PUT_BYTES = 512 * 1024 * 1024;

export function blobRoutes(ctx: RouteContext & { quotas: StorageQuotas }) {
  const { store, blobs, quotas } = ctx;
  return async function registerBlobRoutes(app: FastifyInstance): Promise<void> {
    app.head<{ Params: Params }>(
      '/v1/namespaces/:ns/blobs/:digest',
      { schema: { params: params(DIGEST_PARAM) } },
      async (request, reply) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'push');
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
        schema: { params: params(DIGEST_PARAM) },
      },
      async (request, reply) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'read');
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
        schema: { params: params(DIGEST_PARAM) },
      },
      async (request, reply) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'push');
        const { digest } = request.params;
        const length = contentLength(request, MAX_SINGLE_PUT_BYTES);
        // `created` says whether the namespace held the blob before, never whether another tenant stored it.
        const held = await store.namespaceOwnsBlob(ns.name, digest);
        const reservation = await quotas.reservePut(ns.name, length, request.actor.id, held);
        // Pinned before the dedupe decision, released once claimed: a sweep cannot collect what this upload keeps.
        const pin = await quotas.pinUpload(digest);
        try {
          const result = await blobs.put(digest, bodyStream(request));
          await store.putBlobRecord({ digest, size: result.size, createdAt: ctx.now() });
          await grantBlob(ctx, request, ns.name, digest);
          await quotas.claim(ns.name, digest);
          return reply.status(held ? 200 : 201).send({ digest, size: result.size, created: !held });
        } finally {
          await quotas.unpin(pin);
          await quotas.releasePut(reservation);
        }
      },
    );
  };
}
