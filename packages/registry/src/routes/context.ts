/**
 * What the route plugins share: the stores, the log hook, the clock, the audit trail and the namespace check. Built
 * once by createRegistry (app.ts) and handed to every plugin.
 */
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../auth.js';
import type { LogHook } from '../log-hook.js';
import type { BlobStore } from '../store/blob-store.js';
import type { MetadataStore, NamespaceRecord, TokenScope } from '../store/metadata-store.js';

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

export type AuditOutcome = 'ok' | 'refused' | 'error';

export interface RouteContext {
  store: MetadataStore;
  blobs: BlobStore;
  logHook: LogHook;
  /** The output clock, as an ISO time. */
  now(): string;
  /** Appends one audit row for `request`'s actor and address. */
  audit(
    request: FastifyRequest,
    action: string,
    target: string,
    outcome: AuditOutcome,
    details: Record<string, unknown>,
  ): Promise<void>;
  /** The namespace `ns` when the caller holds `scope` on it (NOT_FOUND / 401 / 403 otherwise, as authorize decides). */
  nsFor(request: FastifyRequest, ns: string, scope: TokenScope): Promise<NamespaceRecord>;
  /** After a change is logged: let the witnesses cosign the new checkpoint (bounded wait, never throws). */
  logChanged(): Promise<void>;
}
