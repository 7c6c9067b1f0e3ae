/**
 * The registry admin token: generated on a first start without MODELSEC_ADMIN_TOKEN, or THE configured one (every
 * other registry-wide admin token retired, each retirement audited).
 */
import { isModelsecError, ModelsecError } from '@modelsec/core/errors';
import { type Clock, canonicalJson } from '@modelsec/core/util';
import { hashToken, newTokenSecret } from './auth.js';
import type { MetadataStore } from './store/metadata-store.js';

/**
 * Ensures an admin token exists; returns the secret when it generated one. With MODELSEC_ADMIN_TOKEN set, that token
 * is THE registry admin token: every other live registry-wide admin token (a previous MODELSEC_ADMIN_TOKEN, the one
 * generated on first start) is retired, each retirement audited (`token.rotate`). A configured token that was
 * retired or revoked before is refused (INVALID_CONFIG): a rotated-out secret never comes back to life.
 */
export async function ensureAdminToken(
  store: MetadataStore,
  clock: Clock,
  adminToken: string | undefined,
): Promise<string | undefined> {
  const at = clock.now().toISOString();
  if (adminToken) {
    const hash = hashToken(adminToken);
    const existing = await store.findTokenByHash(hash);
    if (existing?.revoked)
      throw new ModelsecError(
        'INVALID_CONFIG',
        `MODELSEC_ADMIN_TOKEN is token ${existing.id}, which was revoked${existing.revokedAt ? ` at ${existing.revokedAt}` : ''}: set a new secret`,
        { details: { token: existing.id } },
      );
    if (existing && (existing.namespace !== null || existing.scope !== 'admin'))
      throw new ModelsecError(
        'INVALID_CONFIG',
        `MODELSEC_ADMIN_TOKEN is the secret of token ${existing.id}, not an admin token`,
        {
          details: { token: existing.id },
        },
      );
    const current = existing?.id ?? `admin-${hash.slice(0, 12)}`;
    await store.transaction(async (tx) => {
      if (!existing)
        await tx
          .createToken({
            id: current,
            tokenHash: hash,
            namespace: null,
            scope: 'admin',
            description: 'MODELSEC_ADMIN_TOKEN',
            createdAt: at,
            createdBy: 'system',
            revoked: false,
          })
          .catch((error: unknown) => {
            // Another registry process on the same database, started with the same token, created it first.
            if (!isModelsecError(error) || error.code !== 'CONFLICT') throw error;
          });
      for (const t of await tx.listTokens()) {
        if (t.namespace !== null || t.scope !== 'admin' || t.revoked || t.id === current) continue;
        await tx.revokeToken(t.id, at, 'system');
        await tx.appendAudit({
          at,
          actor: 'system',
          action: 'token.rotate',
          target: 'registry',
          outcome: 'ok',
          from: 'local',
          details: canonicalJson({ retired: t.id, current, reason: 'MODELSEC_ADMIN_TOKEN changed' }),
        });
      }
    });
    return undefined;
  }
  const existing = (await store.listTokens()).some((t) => t.namespace === null && t.scope === 'admin' && !t.revoked);
  if (existing) return undefined;
  const secret = newTokenSecret();
  await store.createToken({
    id: 'admin',
    tokenHash: hashToken(secret),
    namespace: null,
    scope: 'admin',
    description: 'generated on first start',
    createdAt: at,
    createdBy: 'system',
    revoked: false,
  });
  return secret;
}
