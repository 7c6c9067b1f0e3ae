/** `GET /v1/audit`: the audit log, newest first, paged by cursor (registry admin, or namespace admin for one namespace). */
import type { FastifyInstance } from 'fastify';
import { authorizeGlobalAdmin } from '../auth.js';
import type { RouteContext } from './context.js';
import { NAME_PATTERN } from './schemas.js';

/** Most audit entries one page answers (a bigger `limit` is clamped; `next` pages on, so nothing is lost). */
export const MAX_AUDIT_PAGE = 1000;
/** Audit entries a page answers when no `limit` is given. */
export const DEFAULT_AUDIT_PAGE = 100;

export function auditRoutes(ctx: RouteContext) {
  const { store } = ctx;
  return async function registerAuditRoutes(app: FastifyInstance): Promise<void> {
    app.get<{
      Querystring: { namespace?: string; limit?: string; before?: string; outcome?: 'ok' | 'refused' | 'error'; actor?: string };
    }>(
      '/v1/audit',
      {
        config: {
          summary: `The audit log, newest first, ${MAX_AUDIT_PAGE} entries a page at most (\`next\`: pass it as \`before\` for the next page); registry admin, or namespace admin with ?namespace=`,
        },
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              namespace: { type: 'string', pattern: NAME_PATTERN },
              limit: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
              before: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' },
              outcome: { type: 'string', enum: ['ok', 'refused', 'error'] },
              actor: { type: 'string', minLength: 1, maxLength: 128 },
            },
          },
        },
      },
      async (request) => {
        const { namespace, outcome, actor } = request.query;
        if (namespace) await ctx.nsFor(request, namespace, 'admin');
        else authorizeGlobalAdmin(request.actor);
        const limit = Math.min(Number(request.query.limit ?? DEFAULT_AUDIT_PAGE), MAX_AUDIT_PAGE);
        // One row more than the page tells whether another page exists (no row is ever skipped between pages).
        const rows = await store.listAudit({
          limit: limit + 1,
          ...(namespace ? { namespace } : {}),
          ...(request.query.before ? { before: Number(request.query.before) } : {}),
          ...(outcome ? { outcome } : {}),
          ...(actor ? { actor } : {}),
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          entries: page.map((e) => ({ ...e, details: JSON.parse(e.details) })),
          next: rows.length > limit && last?.id !== undefined ? String(last.id) : null,
        };
      },
    );
  };
}
