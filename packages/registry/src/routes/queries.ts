/** `GET /v1/versions`: versions across namespaces by root digest (the CI check lookup), file digest, signer or name. */
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyInstance } from 'fastify';
import { type Actor, canRead } from '../auth.js';
import type { NamespaceRecord } from '../store/metadata-store.js';
import type { RouteContext } from './context.js';
import { DIGEST_PATTERN, NAME_PATTERN } from './schemas.js';
import { MAX_LIST_ROWS, versionView } from './version-view.js';

export function queryRoutes(ctx: RouteContext) {
  const { store } = ctx;
  /** The namespaces `actor` reads (no restriction for a registry-wide token). */
  const readableNamespaces = async (actor: Actor): Promise<{ namespaces?: string[] }> =>
    actor.token?.namespace === null
      ? {}
      : { namespaces: (await store.listNamespaces()).filter((n) => canRead(actor, n)).map((n) => n.name) };
  return async function registerQueryRoutes(app: FastifyInstance): Promise<void> {
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
          // Only the namespaces the caller can read, and a page of them, are loaded: rows of other tenants can
          // neither crowd the caller's out of the page nor make the lookup load and parse them.
          ...(await readableNamespaces(request.actor)),
          summary: true,
          limit: MAX_LIST_ROWS,
        });
        // Only the namespaces of the rows found (a lookup usually hits one): the check route is the hot path.
        const namespaces = new Map<string, NamespaceRecord | undefined>();
        for (const name of new Set(rows.map((r) => r.namespace))) namespaces.set(name, await store.getNamespace(name));
        const visible = rows.filter((r) => {
          const ns = namespaces.get(r.namespace);
          return ns !== undefined && canRead(request.actor, ns);
        });
        return { versions: visible.map(versionView) };
      },
    );
  };
}
