/** The namespace policy: set (namespace admin, logged, kept with history), read the current one, read the history. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@modelsec/core/util';
import type { FastifyInstance } from 'fastify';
import { type Policy, policySchema } from '../policy/policy.js';
import type { StorageQuotas } from '../storage/quotas.js';
import type { RouteContext } from './context.js';
import { NS_PARAM, type Params, params } from './schemas.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Largest policy document accepted (the JSON body): a real policy is a few KiB; every version is kept as history and
 * counts to the namespace's metadata bytes.
 */
export const MAX_POLICY_DOCUMENT_BYTES = 256 * 1024;

/**
 * Policy versions one history page answers: the history is kept whole (up to the namespace's maxPolicyVersions), and
 * answering it in one response would build up to maxPolicyVersions x MAX_POLICY_DOCUMENT_BYTES of JSON.
 */
export const MAX_POLICY_HISTORY_PAGE = 100;

export function policyRoutes(ctx: RouteContext & { quotas: StorageQuotas }) {
  const { store, logHook } = ctx;
  // The policy JSON schema as a request body schema (the document's own $schema, $id and title are not for fastify).
  const { $schema: _s, $id: _i, title: _t, ...policyBodySchema } = policySchema() as Record<string, unknown>;
  return async function registerPolicyRoutes(app: FastifyInstance): Promise<void> {
    app.put<{ Params: Params; Body: Policy }>(
      '/v1/namespaces/:ns/policy',
      {
        config: { action: 'policy.set', summary: 'Set the namespace policy (namespace admin); recorded with history' },
        bodyLimit: MAX_POLICY_DOCUMENT_BYTES,
        schema: { params: params(NS_PARAM), body: policyBodySchema },
      },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'admin');
        const document = canonicalJson(request.body);
        const at = ctx.now();
        const record = await store.transaction(async (tx) => {
          await ctx.quotas.admitPolicy(tx, ns.name, Buffer.byteLength(document, 'utf8'));
          const r = await tx.setPolicy(ns.name, document, at, request.actor.id);
          await logHook.onLogEvent(tx, {
            type: 'policy',
            namespace: ns.name,
            policyVersion: r.version,
            policyDigest: sha256(document),
            policy: JSON.parse(document) as Record<string, unknown>,
            at,
          });
          return r;
        });
        await ctx.audit(request, 'policy.set', ns.name, 'ok', { version: record.version, digest: sha256(document) });
        await ctx.logChanged();
        return { namespace: ns.name, version: record.version, policy: request.body, createdAt: at };
      },
    );
    app.get<{ Params: Params }>(
      '/v1/namespaces/:ns/policy',
      { config: { summary: 'Current policy' }, schema: { params: params(NS_PARAM) } },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'read');
        const p = await store.currentPolicy(ns.name);
        return {
          namespace: ns.name,
          version: p?.version ?? 0,
          policy: p ? JSON.parse(p.document) : null,
          default: p === undefined,
        };
      },
    );
    app.get<{ Params: Params; Querystring: { after?: string } }>(
      '/v1/namespaces/:ns/policy/history',
      {
        config: {
          summary: `Policy versions (namespace admin), oldest first, ${MAX_POLICY_HISTORY_PAGE} a page (\`next\`: pass it as \`after\`)`,
        },
        schema: {
          params: params(NS_PARAM),
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { after: { type: 'string', pattern: '^(0|[1-9][0-9]{0,9})$' } },
          },
        },
      },
      async (request) => {
        const ns = await ctx.nsFor(request, request.params.ns, 'admin');
        // One row more than the page tells whether another page exists.
        const rows = await store.policyHistory(ns.name, {
          after: Number(request.query.after ?? 0),
          limit: MAX_POLICY_HISTORY_PAGE + 1,
        });
        const page = rows.slice(0, MAX_POLICY_HISTORY_PAGE);
        return {
          namespace: ns.name,
          history: page.map((h) => ({
            version: h.version,
            policy: JSON.parse(h.document),
            createdAt: h.createdAt,
            createdBy: h.createdBy,
          })),
          next: rows.length > page.length ? String(page[page.length - 1]?.version) : null,
        };
      },
    );
  };
}
