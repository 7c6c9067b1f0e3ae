/**
 * Client side of sealed leaves: fetch the opening of a sealed log entry (or a namespace's openings) with a token
 * that can read the namespace, and check it against the leaf's commitment (core openSealedEntry). The registry
 * answers 404 to anyone else, exactly as for an index that is not sealed.
 */
import { ModelsecError } from '@modelsec/core/errors';
import { decodeLogEntry, MAX_LOG_ENTRY_BYTES, type OpenEntry, openSealedEntry, type SealOpening } from '@modelsec/core/tlog';

/**
 * Largest answer for one opening: the entry travels as a JSON string (escaping at most doubles canonical JSON,
 * whose only escapes are quotes and backslashes) plus the salt and field names.
 */
export const MAX_OPENING_RESPONSE_BYTES = 2 * MAX_LOG_ENTRY_BYTES + 4096;
/** The registry stops a page of openings once it passes this many bytes (one opening more at most). */
export const MAX_OPENINGS_PAGE_BYTES = 4 * 1_048_576;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** A token travels only over https, or plain http to a loopback address (a test or local registry). */
export function mayCarryToken(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

function authHeaders(baseUrl: string, token: string | undefined): Record<string, string> {
  if (!token) return {};
  if (!mayCarryToken(baseUrl))
    throw new ModelsecError('USAGE', `refusing to send a token over plain http to ${new URL(baseUrl).host}; use https`);
  return { authorization: `Bearer ${token}` };
}

async function getJson(baseUrl: string, path: string, token: string | undefined, limit: number): Promise<unknown | undefined> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, { headers: authHeaders(baseUrl, token) });
  } catch (cause) {
    throw new ModelsecError('NETWORK_ERROR', `cannot reach the registry log at ${baseUrl}${path}`, { cause });
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > limit) throw new ModelsecError('LOG_PROOF_INVALID', `${path}: answer larger than ${limit} bytes`);
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new ModelsecError('NETWORK_ERROR', `${path}: HTTP ${response.status} ${bytes.toString('utf8').slice(0, 200)}`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new ModelsecError('LOG_PROOF_INVALID', `${path}: answer is not JSON`, { cause });
  }
}

function asOpening(value: unknown, path: string): SealOpening & { namespace?: string } {
  const o = value as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || !Number.isSafeInteger(o.index) || typeof o.salt !== 'string' || typeof o.entry !== 'string')
    throw new ModelsecError('LOG_PROOF_INVALID', `${path}: not an opening {index, salt, entry}`);
  return {
    index: o.index as number,
    salt: o.salt,
    entry: o.entry,
    ...(typeof o.namespace === 'string' ? { namespace: o.namespace } : {}),
  };
}

/** The opening of sealed entry `index`, or undefined when the registry gives none to this caller. */
export async function fetchOpening(baseUrl: string, index: number, token?: string): Promise<SealOpening | undefined> {
  const path = `/v1/log/openings/${index}`;
  const value = await getJson(baseUrl, path, token, MAX_OPENING_RESPONSE_BYTES);
  if (value === undefined) return undefined;
  const opening = asOpening(value, path);
  if (opening.index !== index)
    throw new ModelsecError('LOG_INCONSISTENT', `${path}: the registry answered with the opening of entry ${opening.index}`);
  return opening;
}

/**
 * The real entry behind leaf `index`: the leaf itself when it is not sealed, else its opening checked against the
 * commitment. Throws LOG_PROOF_INVALID when the caller gets no opening, LOG_INCONSISTENT when it does not match.
 */
export async function openLogEntry(baseUrl: string, index: number, leaf: Uint8Array, token?: string): Promise<OpenEntry> {
  const decoded = decodeLogEntry(leaf);
  if (decoded.type !== 'sealed') return decoded;
  const opening = await fetchOpening(baseUrl, index, token);
  if (!opening)
    throw new ModelsecError(
      'LOG_PROOF_INVALID',
      `log entry ${index} is sealed (a private namespace) and the registry gives this caller no opening`,
      { details: { index } },
    );
  return openSealedEntry(leaf, opening);
}

/** One page of a namespace's openings (unverified: check each against its leaf with openSealedEntry). */
export async function fetchNamespaceOpenings(
  baseUrl: string,
  namespace: string,
  from: number,
  token?: string,
): Promise<{ openings: (SealOpening & { namespace?: string })[]; next: number | null }> {
  const path = `/v1/log/openings?namespace=${encodeURIComponent(namespace)}&from=${from}`;
  const value = (await getJson(baseUrl, path, token, MAX_OPENINGS_PAGE_BYTES + MAX_OPENING_RESPONSE_BYTES)) as
    | { openings?: unknown; next?: unknown }
    | undefined;
  if (value === undefined) throw new ModelsecError('NOT_FOUND', `the registry gives no openings of namespace '${namespace}'`);
  if (!Array.isArray(value.openings)) throw new ModelsecError('LOG_PROOF_INVALID', `${path}: no "openings" list`);
  const next = value.next === null ? null : Number(value.next);
  if (next !== null && (!Number.isSafeInteger(next) || next <= from))
    throw new ModelsecError('LOG_PROOF_INVALID', `${path}: "next" does not move forward`);
  return { openings: value.openings.map((o) => asOpening(o, path)), next };
}
