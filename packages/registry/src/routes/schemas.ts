/**
 * The JSON schemas and patterns every route shares (the registry API, the log routes, the lineage routes): one copy,
 * so a name accepted by one route is accepted by all, and the OpenAPI document shows the same rule everywhere.
 */

/** Namespace and model names: lowercase, digits and `._-` inside, at most 64 characters. */
export const NAME_PATTERN = '^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$';
/** A sha256 digest in lowercase hex. */
export const DIGEST_PATTERN = '^[0-9a-f]{64}$';
/** Semver 2.0 characters only (full validity is checked with `semver`). */
export const VERSION_PATTERN = '^[0-9A-Za-z.+-]{1,128}$';
/** Ids the registry issues (tokens, upload sessions): 32 hex characters. */
export const ISSUED_ID_PATTERN = '^[0-9a-f]{32}$';
/** Token ids: 32 hex characters for issued tokens; `admin` and `admin-<12 hex>` for the registry admin token. */
export const TOKEN_ID_PATTERN = '^[0-9a-z][0-9a-z-]{0,63}$';

/**
 * Free text the registry stores and later shows to others (a yank reason printed by `pull` and `check`, a token
 * description in `registry token list`): no C0/C1 control characters (terminal escapes, line breaks that forge
 * output lines), bidirectional overrides or isolates, or zero-width characters; the same set resource names refuse.
 */
export const DISPLAY_TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]*$';

export const NAME_SCHEMA = { type: 'string', pattern: NAME_PATTERN };
export const VERSION_SCHEMA = { type: 'string', pattern: VERSION_PATTERN };
export const DIGEST_SCHEMA = { type: 'string', pattern: DIGEST_PATTERN };

/** Path parameters of the namespace routes. */
export const NS_PARAM = { ns: NAME_SCHEMA };
export const MODEL_PARAM = { ...NS_PARAM, model: NAME_SCHEMA };
export const VERSION_PARAM = { ...MODEL_PARAM, version: VERSION_SCHEMA };
export const ISSUED_ID_PARAM = { ...NS_PARAM, id: { type: 'string', pattern: ISSUED_ID_PATTERN } };
export const DIGEST_PARAM = { ...NS_PARAM, digest: DIGEST_SCHEMA };

/** A params (or querystring) object schema: every property required, no other property. */
export function params(properties: Record<string, unknown>) {
  return {
    type: 'object',
    required: Object.keys(properties),
    properties,
    additionalProperties: false,
  };
}

/** The path parameters of the namespace routes, as fastify types them. */
export type Params = { ns: string; model: string; version: string; digest: string; id: string };
