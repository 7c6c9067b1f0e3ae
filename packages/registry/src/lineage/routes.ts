/** `GET /v1/lineage/{ns}/{model}/{version}` (ancestors tree + descendants) and `GET /v1/lineage/derived?digest=HEX|name=TEXT`. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Actor, canRead } from '../auth.js';
import { params, VERSION_PARAM } from '../routes/schemas.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { LineageIndex, MAX_NAME_SEARCH_LENGTH } from './lineage.js';

export function lineageRoutes(deps: { store: MetadataStore }) {
  async function indexFor(request: FastifyRequest): Promise<LineageIndex> {
    const actor = (request as unknown as { actor: Actor }).actor;
    const namespaces = new Map((await deps.store.listNamespaces()).map((n) => [n.name, n]));
    return LineageIndex.load(deps.store, (ns) => {
      const record = namespaces.get(ns);
      return record !== undefined && canRead(actor, record);
    });
  }
  return async function registerLineageRoutes(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { ns: string; model: string; version: string } }>(
      '/v1/lineage/:ns/:model/:version',
      {
        config: { summary: 'Lineage of a version: its ancestors (base models, datasets) as a tree, and its descendants' },
        schema: {
          params: params(VERSION_PARAM),
        },
      },
      async (request) => {
        const index = await indexFor(request);
        const v = await index.find(request.params.ns, request.params.model, request.params.version);
        const { ancestors, truncated } = await index.ancestors(v);
        return {
          version: { namespace: v.namespace, model: v.model, version: v.version, rootDigest: v.rootDigest },
          ancestors,
          ...(truncated ? { truncated } : {}),
          descendants: await index.descendants(v),
        };
      },
    );
    app.get<{ Querystring: { digest?: string; name?: string } }>(
      '/v1/lineage/derived',
      {
        config: {
          summary:
            'Every version derived (transitively) from a base model or dataset, given its digest, or a fragment of its name (each matching dataset or base model with its versions)',
        },
        schema: {
          querystring: {
            type: 'object',
            properties: {
              digest: { type: 'string', pattern: '^(sha256:)?[0-9a-f]{64}$' },
              name: { type: 'string', minLength: 1, maxLength: MAX_NAME_SEARCH_LENGTH },
            },
            oneOf: [{ required: ['digest'] }, { required: ['name'] }],
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const { digest, name } = request.query;
        if (digest !== undefined) return { digest, versions: await (await indexFor(request)).derivedFromDigest(digest) };
        const namespaces = (await deps.store.listNamespaces()).map((n) => n.name);
        const { targets, truncated } = await (await indexFor(request)).derivedFromName(name as string, namespaces);
        return { name, targets, ...(truncated ? { truncated } : {}) };
      },
    );
  };
}
