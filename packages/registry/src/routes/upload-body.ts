/** What the blob and upload routes share: the bounded byte body of an upload and the grant of what it proved. */
import type { Readable } from 'node:stream';
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyRequest } from 'fastify';
import type { RouteContext } from './context.js';

/** The declared Content-Length of an upload request, refused past `limit` (PAYLOAD_TOO_LARGE) or when absent. */
export function contentLength(request: FastifyRequest, limit: number): number {
  const raw = request.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) throw new ModelsecError('USAGE', 'Content-Length is required for uploads');
  const n = Number(raw);
  if (n > limit)
    throw new ModelsecError('PAYLOAD_TOO_LARGE', `a single upload request is limited to ${limit} bytes; use an upload session`, {
      details: { limit },
    });
  return n;
}

/** The raw body of an upload (application/octet-stream only), as a stream. */
export function bodyStream(request: FastifyRequest): Readable {
  if (request.headers['content-type']?.split(';')[0]?.trim() !== 'application/octet-stream') {
    throw new ModelsecError('USAGE', 'blob uploads must be Content-Type: application/octet-stream');
  }
  return request.body as Readable;
}

/** The bytes were hashed by the registry as they arrived: the namespace has proven it holds them. */
export function grantBlob(ctx: RouteContext, request: FastifyRequest, namespace: string, digest: string): Promise<void> {
  return ctx.store.grantBlob({ namespace, digest, createdAt: ctx.now(), createdBy: request.actor.id });
}
