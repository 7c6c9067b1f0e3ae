/**
 * Resumable upload sessions of a namespace (push scope): start, ask how many bytes arrived, append at that offset,
 * finish with the digest the bytes must hash to. Appends and the finish hold the session's lock; an expired session
 * is removed and answered REGISTRY_UPLOAD_EXPIRED.
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId } from '../auth.js';
import type { StorageHousekeeping } from '../storage/housekeeping.js';
import type { StorageLimits } from '../storage/limits.js';
import type { StorageQuotas } from '../storage/quotas.js';
import type { UploadLocks } from '../storage/upload-locks.js';
import type { RouteContext } from './context.js';
import { DIGEST_PATTERN, ISSUED_ID_PARAM, NS_PARAM, type Params, params } from './schemas.js';
import { bodyStream, contentLength, grantBlob } from './upload-body.js';

/** Largest chunk appended to an upload session in one request. */
export const MAX_UPLOAD_CHUNK_BYTES = 512 * 1024 * 1024;

export interface UploadRouteContext extends RouteContext {
  quotas: StorageQuotas;
  housekeeping: StorageHousekeeping;
  uploadLocks: UploadLocks;
  storageLimits: StorageLimits;
}

export function uploadRoutes(ctx: UploadRouteContext) {
  const { store, blobs, quotas, housekeeping, uploadLocks, storageLimits } = ctx;
  async function sessionFor(request: FastifyRequest<{ Params: Params }>) {
    const ns = await ctx.nsFor(request, request.params.ns, 'push');
    const session = await store.getUpload(request.params.id);
    if (!session || session.namespace !== ns.name)
      throw new ModelsecError('NOT_FOUND', 'no such upload session', { details: { upload: request.params.id } });
    if (quotas.expired(session) && (await housekeeping.expireSession(session.id)))
      throw new ModelsecError('REGISTRY_UPLOAD_EXPIRED', 'the upload session expired and was removed: start a new one', {
        details: { upload: session.id, expirySeconds: storageLimits.uploadSessionExpiryMs / 1000 },
      });
    return session;
  }
  return async function registerUploadRoutes(app: FastifyInstance): Promise<void> {
    app.post<{ Params: Params }>(
      '/v1/namespaces/:ns/uploads',
      {
        config: { action: 'upload.start', summary: 'Start a resumable upload session (push scope)' },
        schema: { params: params(NS_PARAM) },
      },
      async (request, reply) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'push');
        const id = newId();
        await quotas.startSession({
          id,
          namespace: ns.name,
          offset: 0,
          createdAt: ctx.now(),
          updatedAt: ctx.now(),
          createdBy: request.actor.id,
        });
        await blobs.beginUpload(id).catch(async (error: unknown) => {
          await store.deleteUpload(id);
          throw error;
        });
        return reply.status(201).send({ id, offset: 0 });
      },
    );
    app.get<{ Params: Params }>(
      '/v1/namespaces/:ns/uploads/:id',
      { config: { summary: 'Bytes received so far (resume from here)' }, schema: { params: params(ISSUED_ID_PARAM) } },
      async (request) => {
        const session = await sessionFor(request);
        return { id: session.id, offset: await blobs.uploadedBytes(session.id) };
      },
    );
    app.patch<{ Params: Params }>(
      '/v1/namespaces/:ns/uploads/:id',
      {
        config: { action: 'upload.append', summary: 'Append bytes at Upload-Offset (must equal the bytes received)' },
        schema: { params: params(ISSUED_ID_PARAM) },
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
          await store.advanceUpload(session.id, offset, end, ctx.now());
          return { id: session.id, offset: end };
        });
      },
    );
    app.put<{ Params: Params; Querystring: { digest: string } }>(
      '/v1/namespaces/:ns/uploads/:id',
      {
        config: { action: 'upload.finish', summary: 'Finish an upload: the bytes must hash to ?digest=' },
        schema: {
          params: params(ISSUED_ID_PARAM),
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
          // `created` says whether the namespace held the blob before, never whether another tenant stored it.
          const held = await store.namespaceOwnsBlob(session.namespace, request.query.digest);
          // Pinned before the dedupe decision, released once claimed: a sweep cannot collect what this upload keeps.
          const pin = await quotas.pinUpload(request.query.digest);
          try {
            const result = await blobs
              .completeUpload(session.id, request.query.digest)
              .finally(() => store.deleteUpload(session.id));
            await store.putBlobRecord({ digest: request.query.digest, size: result.size, createdAt: ctx.now() });
            await grantBlob(ctx, request, session.namespace, request.query.digest);
            await quotas.claim(session.namespace, request.query.digest);
            return reply.status(201).send({ digest: request.query.digest, size: result.size, created: !held });
          } finally {
            await quotas.unpin(pin);
          }
        });
      },
    );
  };
}
