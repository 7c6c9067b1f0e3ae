/**
 * Log endpoints (fixed paths so any client can check the log without our code):
 * GET /v1/log/checkpoint, /v1/log/key (text/plain), /v1/log/entries/{index} (exact leaf bytes),
 * /v1/log/proofs/inclusion?index=I&size=N and /v1/log/proofs/consistency?from=M&to=N ({"hashes":[base64...]}).
 * The log is public: every route is readable without a token.
 */
import { ModelsecError } from '@modelsec/core';
import type { FastifyInstance } from 'fastify';
import { parseTilePath, readTile, TILE_WIDTH } from './tiles.js';
import type { TransparencyLog } from './transparency-log.js';

const NAME = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$' };
const INTEGER = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' };

const b64 = (hashes: Uint8Array[]) => ({ hashes: hashes.map((h) => Buffer.from(h).toString('base64')) });

export function logRoutes(log: TransparencyLog) {
  return async function registerLogRoutes(app: FastifyInstance): Promise<void> {
    app.get('/v1/log/checkpoint', { config: { summary: 'The signed checkpoint (C2SP tlog-checkpoint).' } }, async (_r, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(await log.checkpoint()),
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
            properties: { namespace: NAME, model: NAME, version: { type: 'string', pattern: '^[0-9A-Za-z.+-]{1,128}$' } },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const { namespace, model, version } = request.query;
        const index = await log.findPublish(namespace, model, version);
        if (index === undefined)
          throw new ModelsecError('NOT_FOUND', `no publish entry for ${namespace}/${model}@${version} in the log`);
        return { index };
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
