/**
 * Log endpoints (fixed paths so any client can check the log without our code):
 * GET /v1/log/checkpoint (with the witness cosignatures collected for it), /v1/log/key (text/plain),
 * /v1/log/entries/{index} (exact leaf bytes), C2SP tiles /v1/log/tile/..., /v1/log/proofs/inclusion?index=I&size=N and
 * /v1/log/proofs/consistency?from=M&to=N ({"hashes":[base64...]}). The tree, its leaves and proofs are public.
 *
 * What is not public: the openings of sealed leaves (entries of private namespaces) and lookups of private versions.
 * GET /v1/log/openings/{index} and /v1/log/openings?namespace=NS&from=I answer only a caller who can read the
 * namespace; everyone else gets the same 404 NOT_FOUND as for an index that is not sealed or a namespace that does not
 * exist. /v1/log/lookup answers a private version only to its readers, with the same 404 as "not logged".
 */
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NAME_SCHEMA, VERSION_SCHEMA } from '../routes/schemas.js';
import type { LogOpeningRecord } from '../store/metadata-store.js';
import { MAX_OPENINGS_PAGE_BYTES } from './openings.js';
import { parseTilePath, readTile, TILE_WIDTH } from './tiles.js';
import type { TransparencyLog } from './transparency-log.js';

/** Most openings per page of /v1/log/openings (a page also stops past MAX_OPENINGS_PAGE_BYTES). */
export const MAX_OPENINGS_PAGE = 100;

export interface LogRouteOptions {
  /** Whether the caller of `request` may read namespace `namespace` (false when it does not exist). */
  canReadNamespace(request: FastifyRequest, namespace: string): Promise<boolean>;
}

const openingView = (o: LogOpeningRecord) => ({ index: o.index, namespace: o.namespace, salt: o.salt, entry: o.entry });

const INTEGER = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' };

const b64 = (hashes: Uint8Array[]) => ({ hashes: hashes.map((h) => Buffer.from(h).toString('base64')) });

export function logRoutes(log: TransparencyLog, options: LogRouteOptions) {
  return async function registerLogRoutes(app: FastifyInstance): Promise<void> {
    app.get(
      '/v1/log/checkpoint',
      { config: { summary: 'The signed checkpoint (C2SP tlog-checkpoint), with the witness cosignatures collected for it.' } },
      async (_r, reply) =>
        reply
          .type('text/plain; charset=utf-8')
          .header('cache-control', 'no-cache')
          .send(await log.cosignedCheckpoint()),
    );
    app.get('/v1/log/key', { config: { summary: 'The log public key (C2SP note verifier key).' } }, async (_r, reply) =>
      reply.type('text/plain; charset=utf-8').send(`${log.publicKey}\n`),
    );
    app.get<{ Params: { index: string } }>(
      '/v1/log/entries/:index',
      {
        config: { summary: 'The exact leaf bytes (canonical JSON) of one entry.' },
        schema: { params: { type: 'object', required: ['index'], properties: { index: INTEGER }, additionalProperties: false } },
      },
      async (request, reply) =>
        reply
          .type('application/json')
          .header('cache-control', 'public, max-age=31536000, immutable')
          .send(Buffer.from(await log.entry(Number(request.params.index)))),
    );
    app.get<{ Params: { '*': string } }>(
      '/v1/log/tile/*',
      { config: { summary: 'C2SP tlog-tiles: hash tiles tile/<L>/<N>[.p/<W>] and entry bundles tile/entries/<N>[.p/<W>].' } },
      async (request, reply) => {
        const tile = parseTilePath(request.params['*']);
        const bytes = await readTile(log, tile);
        return reply
          .type('application/octet-stream')
          .header('cache-control', tile.width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'no-cache')
          .send(Buffer.from(bytes));
      },
    );
    app.get<{ Querystring: { namespace: string; model: string; version: string } }>(
      '/v1/log/lookup',
      {
        config: { summary: 'Index of the publish entry of a version (verify the entry and its proof; do not trust this).' },
        schema: {
          querystring: {
            type: 'object',
            required: ['namespace', 'model', 'version'],
            properties: { namespace: NAME_SCHEMA, model: NAME_SCHEMA, version: VERSION_SCHEMA },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const { namespace, model, version } = request.query;
        const found = await log.findPublish(namespace, model, version);
        // Access is decided for the namespace asked about whether or not the version is logged: the same work (and
        // time) either way, so neither the answer nor its latency says a private version exists.
        const readable = await options.canReadNamespace(request, namespace);
        if (found === undefined || !readable)
          throw new ModelsecError('NOT_FOUND', `no publish entry for ${namespace}/${model}@${version} in the log`);
        return { index: found.index, sealed: found.sealed };
      },
    );
    app.get<{ Params: { index: string } }>(
      '/v1/log/openings/:index',
      {
        config: { summary: 'The opening (salt, entry) of a sealed leaf, for a caller who can read its namespace.' },
        schema: { params: { type: 'object', required: ['index'], properties: { index: INTEGER }, additionalProperties: false } },
      },
      async (request) => {
        const index = Number(request.params.index);
        const opening = await log.store.getLogOpening(index);
        if (!opening || !(await options.canReadNamespace(request, opening.namespace)))
          throw new ModelsecError('NOT_FOUND', `no opening for log entry ${index}`);
        return openingView(opening);
      },
    );
    app.get<{ Querystring: { namespace: string; from?: string } }>(
      '/v1/log/openings',
      {
        config: {
          summary: `Openings of a namespace's sealed leaves from index \`from\`, ${MAX_OPENINGS_PAGE} per page (\`next\`: where the next page starts).`,
        },
        schema: {
          querystring: {
            type: 'object',
            required: ['namespace'],
            properties: { namespace: NAME_SCHEMA, from: INTEGER },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const { namespace } = request.query;
        if (!(await options.canReadNamespace(request, namespace)))
          throw new ModelsecError('NOT_FOUND', `namespace '${namespace}' does not exist`, { details: { namespace } });
        const from = Number(request.query.from ?? 0);
        const rows = await log.store.listLogOpenings({ namespace, from, limit: MAX_OPENINGS_PAGE });
        const page: LogOpeningRecord[] = [];
        let bytes = 0;
        for (const row of rows) {
          if (page.length > 0 && bytes >= MAX_OPENINGS_PAGE_BYTES) break;
          page.push(row);
          bytes += Buffer.byteLength(JSON.stringify(openingView(row)));
        }
        const last = page[page.length - 1];
        const more = page.length < rows.length || rows.length === MAX_OPENINGS_PAGE;
        return { namespace, openings: page.map(openingView), next: more && last ? last.index + 1 : null };
      },
    );
    app.get<{ Querystring: { index: string; size: string } }>(
      '/v1/log/proofs/inclusion',
      {
        config: { summary: 'RFC 6962 inclusion proof of entry `index` in the tree of size `size`.' },
        schema: {
          querystring: {
            type: 'object',
            required: ['index', 'size'],
            properties: { index: INTEGER, size: INTEGER },
            additionalProperties: false,
          },
        },
      },
      async (request) => b64(await log.inclusionProof(Number(request.query.index), Number(request.query.size))),
    );
    app.get<{ Querystring: { from: string; to: string } }>(
      '/v1/log/proofs/consistency',
      {
        config: { summary: 'RFC 6962 consistency proof between the trees of sizes `from` and `to`.' },
        schema: {
          querystring: {
            type: 'object',
            required: ['from', 'to'],
            properties: { from: INTEGER, to: INTEGER },
            additionalProperties: false,
          },
        },
      },
      async (request) => b64(await log.consistencyProof(Number(request.query.from), Number(request.query.to))),
    );
  };
}
