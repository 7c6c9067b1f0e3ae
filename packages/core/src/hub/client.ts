import { ModelsecError } from '../errors/index.js';
import { importDependency } from '../util/dependency.js';
import { type HubReference, hubEndpoint } from './reference.js';

/** Limits on what the Hub sends back (it is remote input like any other). */
/** Files listed for one repo: real model repos have at most a few thousand. */
export const MAX_HUB_FILES = 20_000;
/** Largest body read into memory from the Hub (cards, configs, tokenizers, small weights hashed in memory). */
export const MAX_HUB_DOWNLOAD_BYTES = 64 * 1024 * 1024;
/** Files up to this size are downloaded and hashed even when the Hub lists an LFS sha256 (then cross-checked). */
export const MAX_HUB_HASHED_BYTES = 16 * 1024 * 1024;

export interface HubClientOptions {
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Default: HF_TOKEN. */
  token?: string;
  /** Injected for tests; default: global fetch. */
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
}

export interface HubClient {
  endpoint: string;
  token?: string;
  fetch: typeof fetch;
}

export function hubClient(options: HubClientOptions = {}): HubClient {
  const env = options.env ?? process.env;
  const token = options.token ?? env.HF_TOKEN ?? undefined;
  return {
    endpoint: (options.endpoint ?? hubEndpoint(env)).replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    fetch: options.fetch ?? globalThis.fetch,
  };
}

/** One file of a Hub repo as listed by the tree API. */
export interface HubFile {
  path: string;
  size: number;
  /** Git blob id. */
  oid?: string;
  /** LFS sha256 (hex) for LFS files. */
  lfsSha256?: string;
}

export interface HubModelMetadata {
  repo: string;
  /** The full commit SHA the revision resolves to. */
  sha: string;
  cardData?: Record<string, unknown>;
  config?: Record<string, unknown>;
  files: HubFile[];
}

function hubError(error: unknown, what: string): ModelsecError {
  if (error instanceof ModelsecError) return error;
  const e = error as { statusCode?: number; message?: string };
  if (typeof e?.statusCode === 'number') {
    return new ModelsecError('HUB_ERROR', `${what}: the Hub answered ${e.statusCode} (${e.message ?? ''})`.trim(), {
      details: { status: e.statusCode },
      cause: error,
    });
  }
  return new ModelsecError('NETWORK_ERROR', `${what}: ${e?.message ?? String(error)}`, { cause: error });
}

const SHA = /^[0-9a-f]{40}$/;

/** A git object id: SHA-1 (40 hex digits) or, in SHA-256 repositories, 64. */
const GIT_OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

/** modelInfo (sha, cardData, config) and the recursive file listing with LFS sha256, pinned to the resolved commit. */
export async function fetchModelMetadata(ref: HubReference, client: HubClient): Promise<HubModelMetadata> {
  // @huggingface/hub (with its WASM chunkers) is evaluated only when a Hub model is first read.
  const { listFiles, modelInfo } = await importDependency(
    '@huggingface/hub',
    'reading hf:// models',
    () => import('@huggingface/hub'),
  );
  const auth = client.token ? { accessToken: client.token } : {};
  let info: { sha?: unknown; cardData?: unknown; config?: unknown };
  try {
    info = (await modelInfo({
      name: ref.repo,
      hubUrl: client.endpoint,
      additionalFields: ['sha', 'cardData', 'config'],
      ...(ref.revision ? { revision: ref.revision } : {}),
      fetch: client.fetch,
      ...auth,
    })) as typeof info;
  } catch (error) {
    throw hubError(error, `hf://${ref.repo}`);
  }
  const sha = typeof info.sha === 'string' ? info.sha.toLowerCase() : '';
  if (!SHA.test(sha)) {
    throw new ModelsecError('HUB_ERROR', `hf://${ref.repo}: the Hub gave no commit SHA for revision ${ref.revision ?? 'HEAD'}`, {
      details: { repo: ref.repo },
    });
  }
  const files: HubFile[] = [];
  try {
    for await (const entry of listFiles({
      repo: { type: 'model', name: ref.repo },
      recursive: true,
      expand: true,
      revision: sha,
      hubUrl: client.endpoint,
      fetch: client.fetch,
      ...auth,
    })) {
      if (entry.type !== 'file') continue;
      if (files.length >= MAX_HUB_FILES) {
        throw new ModelsecError('LIMIT_EXCEEDED', `hf://${ref.repo} lists more than MAX_HUB_FILES (${MAX_HUB_FILES}) files`, {
          details: { limit: 'MAX_HUB_FILES', max: MAX_HUB_FILES },
        });
      }
      if (typeof entry.path !== 'string' || entry.path.split('/').some((p) => p === '..' || p === '' || p === '.')) {
        throw new ModelsecError('HUB_ERROR', `hf://${ref.repo}: the Hub listed an unsafe path ${JSON.stringify(entry.path)}`);
      }
      const lfs = entry.lfs?.oid && /^[0-9a-f]{64}$/i.test(entry.lfs.oid) ? entry.lfs.oid.toLowerCase() : undefined;
      // The oid names the cache blob and the size bounds the download: both come from the (untrusted) Hub.
      if (entry.oid !== undefined && !GIT_OID.test(String(entry.oid)))
        throw new ModelsecError(
          'HUB_ERROR',
          `hf://${ref.repo}/${entry.path}: the Hub listed an oid that is not a git object id`,
          {
            details: { file: entry.path, oid: String(entry.oid).slice(0, 100) },
          },
        );
      const size = Number(entry.lfs?.size ?? entry.size ?? 0);
      if (!Number.isSafeInteger(size) || size < 0)
        throw new ModelsecError('HUB_ERROR', `hf://${ref.repo}/${entry.path}: the Hub listed a size that is not a byte count`, {
          details: { file: entry.path },
        });
      files.push({
        path: entry.path,
        size,
        ...(entry.oid ? { oid: String(entry.oid).toLowerCase() } : {}),
        ...(lfs ? { lfsSha256: lfs } : {}),
      });
    }
  } catch (error) {
    throw hubError(error, `hf://${ref.repo}: listing files`);
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  return {
    repo: ref.repo,
    sha,
    ...(isObj(info.cardData) ? { cardData: info.cardData } : {}),
    ...(isObj(info.config) ? { config: info.config } : {}),
    files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

export function resolveUrl(client: HubClient, repo: string, sha: string, path: string): string {
  return `${client.endpoint}/${repo}/resolve/${sha}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function headers(client: HubClient, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(client.token ? { authorization: `Bearer ${client.token}` } : {}), ...extra };
}

async function readBody(response: Response, max: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max) throw new ModelsecError('LIMIT_EXCEEDED', `${what}: ${declared} bytes, over the ${max}-byte limit`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > max) throw new ModelsecError('LIMIT_EXCEEDED', `${what}: more than ${max} bytes`);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}

async function get(client: HubClient, url: string, init: Record<string, string>, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await client.fetch(url, { headers: headers(client, init), redirect: 'follow' });
  } catch (error) {
    throw new ModelsecError('NETWORK_ERROR', `${what}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) {
    throw new ModelsecError('HUB_ERROR', `${what}: the Hub answered ${response.status}`, {
      details: { status: response.status, url },
    });
  }
  return response;
}

/** Downloads a whole (small) file into memory. */
export async function downloadBytes(
  client: HubClient,
  repo: string,
  sha: string,
  path: string,
  max = MAX_HUB_DOWNLOAD_BYTES,
): Promise<Uint8Array> {
  const what = `hf://${repo}/${path}`;
  return readBody(await get(client, resolveUrl(client, repo, sha, path), {}, what), max, what);
}

/** Reads `length` bytes at `offset` with an HTTP range request. */
export async function downloadRange(
  client: HubClient,
  repo: string,
  sha: string,
  path: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const what = `hf://${repo}/${path} bytes ${offset}-${offset + length - 1}`;
  if (length <= 0) return new Uint8Array(0);
  const response = await get(
    client,
    resolveUrl(client, repo, sha, path),
    { range: `bytes=${offset}-${offset + length - 1}` },
    what,
  );
  if (response.status === 206) return readBody(response, length, what);
  // A server that ignores Range sends the whole file: accept it only when it is small.
  const body = await readBody(response, MAX_HUB_DOWNLOAD_BYTES, what);
  return body.subarray(offset, offset + length);
}
