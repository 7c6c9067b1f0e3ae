/**
 * HTTP client of the registry API, used by `modelsec push|pull|check|registry`. Library code: returns data,
 * throws ModelsecError with the server's code; progress goes through a callback.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { isErrorCode, ModelsecError } from '@modelsec/core/errors';
import { printable } from '../resource-names.js';

/** Files above this size go through a resumable upload session instead of one PUT. */
export const CLIENT_SINGLE_PUT_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Bytes per append request of a resumable upload: a lost connection costs at most this much, and each append ends
 * with an fsync and a round trip (bench/registry.ts: 64 MB appends made a 1 GB push about 15% slower).
 */
export const CLIENT_UPLOAD_CHUNK_BYTES = 256 * 1024 * 1024;
/**
 * Largest JSON answer read from the registry: a version listing a million files is about 150 MB; anything larger is
 * a hostile server trying to exhaust the client's memory.
 */
export const CLIENT_MAX_JSON_BYTES = 256 * 1024 * 1024;
/**
 * A bounded read (log checkpoint, proofs, entry bundles, openings, bundles and attachments: all cheap for the
 * server) is abandoned when no byte arrives for this long: a slow-loris registry cannot hang a CI gate for ever.
 */
export const CLIENT_READ_IDLE_TIMEOUT_MS = 60_000;
/** And when it has not ended after this long, however slowly the bytes trickle in (the largest is 64 MB). */
export const CLIENT_READ_DEADLINE_MS = 10 * 60_000;
/**
 * The slowest average rate a pull download of a blob may have: its deadline is CLIENT_READ_DEADLINE_MS plus its
 * signed size at this rate (a 1 GB file: about 75 minutes), so a registry trickling bytes just fast enough to beat
 * the idle timeout cannot hold a CI job for ever. Each download is also abandoned after CLIENT_READ_IDLE_TIMEOUT_MS
 * without a byte.
 */
export const CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND = 256 * 1024;
/** Largest error answer read when a blob download is refused (an error JSON is a few hundred bytes). */
export const CLIENT_MAX_ERROR_BYTES = 1024 * 1024;
/** Read size when streaming a file to the registry. */
export const CLIENT_READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Whether `hostname` (as URL.hostname gives it) is a loopback address: `localhost`, 127.0.0.0/8 or ::1. Only these
 * may receive a token over plain http:// (nothing else is on the path of a loopback connection).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && Number(v4[1]) === 127 && v4.slice(1).every((o) => Number(o) <= 255);
}

/**
 * The transport rule of every client: the base URL is http(s); a token is never sent over plain http:// to anything
 * but a loopback address (CLIENT_INSECURE_TRANSPORT). Returns whether the URL is plain http (the CLI warns).
 */
export function checkTransport(baseUrl: string, token: string | undefined): { insecure: boolean } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ModelsecError('USAGE', `the registry URL '${baseUrl}' does not parse`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ModelsecError('USAGE', `the registry URL must be http(s), got '${baseUrl}'`);
  if (url.username || url.password)
    throw new ModelsecError('USAGE', 'put the token in --token / MODELSEC_TOKEN, not in the registry URL');
  if (url.protocol === 'http:' && token && !isLoopbackHost(url.hostname))
    throw new ModelsecError(
      'CLIENT_INSECURE_TRANSPORT',
      `refusing to send a token over plain http:// to ${url.host}: anyone on the path could read it and act as you. Use https:// (pin its CA with NODE_EXTRA_CA_CERTS), or a loopback address for a local registry`,
      { details: { host: url.host } },
    );
  return { insecure: url.protocol === 'http:' };
}

export interface ClientOptions {
  baseUrl: string;
  token?: string | undefined;
  /** Files up to this size go in one PUT (default CLIENT_SINGLE_PUT_MAX_BYTES). */
  singlePutMaxBytes?: number;
  /** Bytes per append of a resumable upload (default CLIENT_UPLOAD_CHUNK_BYTES). */
  uploadChunkBytes?: number;
  /** Idle timeout and deadline of bounded reads (default CLIENT_READ_IDLE_TIMEOUT_MS, CLIENT_READ_DEADLINE_MS). */
  readIdleTimeoutMs?: number;
  readDeadlineMs?: number;
  /** Slowest average rate of a pull download (default CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND). */
  downloadMinBytesPerSecond?: number;
}

export interface ModelRef {
  namespace: string;
  model: string;
  /** Exact version or semver range (or undefined). */
  version?: string;
}

/** Parses `NS/NAME[@VERSION|RANGE]`. */
export function parseModelRef(text: string): ModelRef {
  const m = /^([a-z0-9][a-z0-9._-]*)\/([a-z0-9][a-z0-9._-]*)(?:@(.+))?$/.exec(text);
  if (!m) throw new ModelsecError('USAGE', `'${text}' is not NS/NAME[@VERSION]: lowercase names, e.g. acme/bert@1.0.0`);
  return { namespace: m[1] as string, model: m[2] as string, ...(m[3] ? { version: m[3] } : {}) };
}

export class RegistryClient {
  private readonly base: string;
  /** The registry URL is plain http:// (the CLI warns on every use). */
  readonly insecure: boolean;
  constructor(private readonly options: ClientOptions) {
    this.insecure = checkTransport(options.baseUrl, options.token).insecure;
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  get baseUrl(): string {
    return this.base;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}), ...extra };
  }

  private async send(
    method: string,
    path: string,
    init: { json?: unknown; body?: Buffer | Readable; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers = this.headers(init.headers);
    let body: unknown;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = Buffer.isBuffer(init.body) ? init.body : Readable.toWeb(init.body as Readable);
    }
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        headers,
        // Never follow a redirect: it could lead the token (or the trust decision) to another origin.
        redirect: 'error',
        ...(init.signal ? { signal: init.signal } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(init.body instanceof Readable ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      throw new ModelsecError(
        'NETWORK_ERROR',
        `cannot reach the registry at ${this.base}: ${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}`,
        { cause: error },
      );
    }
  }

  /** JSON request; a non-2xx answer becomes the server's ModelsecError. */
  async json<T>(
    method: string,
    path: string,
    init: { json?: unknown; body?: Buffer | Readable; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const response = await this.send(method, path, init);
    const text = Buffer.from(await readLimited(response, CLIENT_MAX_JSON_BYTES, path)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new ModelsecError('NETWORK_ERROR', `the registry answered ${response.status} with non-JSON`, {
        details: { status: response.status },
      });
    }
    if (!response.ok) throw errorOf(response.status, parsed);
    return parsed as T;
  }

  /**
   * Streams a body with node:http (several times faster than fetch with a web stream for large uploads) and
   * parses the JSON answer like `json`.
   */
  streamJson<T>(method: string, path: string, body: Readable, headers: Record<string, string>): Promise<T> {
    const url = new URL(`${this.base}${path}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send(
        url,
        { method, headers: this.headers({ ...headers, 'content-type': 'application/octet-stream' }) },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            let parsed: { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              reject(new ModelsecError('NETWORK_ERROR', `the registry answered ${res.statusCode} with non-JSON`));
              return;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(parsed as T);
            else {
              const e = parsed.error;
              const code = e?.code && isErrorCode(e.code) ? e.code : 'NETWORK_ERROR';
              reject(new ModelsecError(code, e?.message ?? `HTTP ${status}`, { details: { ...(e?.details ?? {}), status } }));
            }
          });
        },
      );
      req.on('error', (error) =>
        reject(
          new ModelsecError('NETWORK_ERROR', `cannot reach the registry at ${this.base}: ${error.message}`, { cause: error }),
        ),
      );
      body.on('error', (error) => req.destroy(error));
      body.pipe(req);
    });
  }

  async hasBlob(namespace: string, digest: string): Promise<boolean> {
    const response = await this.send('HEAD', `/v1/namespaces/${namespace}/blobs/${digest}`);
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    if (response.status === 401 || response.status === 403)
      throw new ModelsecError(
        response.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
        `the token may not push to '${namespace}'`,
      );
    throw new ModelsecError('NETWORK_ERROR', `HEAD blob answered ${response.status}`);
  }

  /**
   * Sends `size` bytes of `file` as the blob `digest` (the registry verifies the digest: DIGEST_MISMATCH when the
   * bytes differ): one PUT up to CLIENT_SINGLE_PUT_MAX_BYTES, above that a resumable session.
   */
  async uploadBlobFile(
    namespace: string,
    file: string,
    digest: string,
    size: number,
    onBytes?: (n: number) => void,
  ): Promise<void> {
    if (size <= (this.options.singlePutMaxBytes ?? CLIENT_SINGLE_PUT_MAX_BYTES)) {
      await this.streamJson(
        'PUT',
        `/v1/namespaces/${namespace}/blobs/${digest}`,
        size === 0
          ? Readable.from([])
          : createReadStream(file, { start: 0, end: size - 1, highWaterMark: CLIENT_READ_CHUNK_BYTES }),
        { 'content-length': String(size) },
      );
      onBytes?.(size);
      return;
    }
    const session = await this.json<{ id: string }>('POST', `/v1/namespaces/${namespace}/uploads`);
    await this.resumeUpload(namespace, session.id, file, size, onBytes);
    await this.json('PUT', `/v1/namespaces/${namespace}/uploads/${session.id}?digest=${digest}`);
  }

  /** Sends the rest of `file` to an upload session, starting where the server says it stopped. */
  async resumeUpload(namespace: string, id: string, file: string, size: number, onBytes?: (n: number) => void): Promise<void> {
    let { offset } = await this.json<{ offset: number }>('GET', `/v1/namespaces/${namespace}/uploads/${id}`);
    onBytes?.(offset);
    while (offset < size) {
      const end = Math.min(size, offset + (this.options.uploadChunkBytes ?? CLIENT_UPLOAD_CHUNK_BYTES));
      const stream = createReadStream(file, { start: offset, end: end - 1, highWaterMark: CLIENT_READ_CHUNK_BYTES });
      const r = await this.streamJson<{ offset: number }>('PATCH', `/v1/namespaces/${namespace}/uploads/${id}`, stream, {
        'content-length': String(end - offset),
        'upload-offset': String(offset),
      });
      onBytes?.(r.offset - offset);
      offset = r.offset;
    }
  }

  async uploadBytes(namespace: string, bytes: Buffer): Promise<string> {
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (!(await this.hasBlob(namespace, digest))) {
      await this.json('PUT', `/v1/namespaces/${namespace}/blobs/${digest}`, {
        body: bytes,
        headers: { 'content-length': String(bytes.length) },
      });
    }
    return digest;
  }

  /**
   * GET with the body read up to `limit` bytes (LIMIT_EXCEEDED past it: a hostile server cannot make the client
   * buffer without bound). Any status is returned; the caller decides what it means.
   */
  async getBytes(path: string, limit: number): Promise<{ status: number; bytes: Uint8Array }> {
    const timer = this.timer(this.options.readDeadlineMs ?? CLIENT_READ_DEADLINE_MS);
    let response: Response;
    let bytes: Uint8Array;
    try {
      response = await this.send('GET', path, { signal: timer.signal });
      timer.alive();
      bytes = await readLimited(response, limit, path, timer.alive);
    } catch (error) {
      throw timer.explain(error, path);
    } finally {
      timer.clear();
    }
    // A token the registry does not accept is the caller's to fix whatever was asked (never "evidence missing").
    if (response.status === 401) {
      let message = 'the registry does not accept the token';
      try {
        message = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: keep the generic message
      }
      throw new ModelsecError('UNAUTHENTICATED', message, { details: { path, status: 401 } });
    }
    return { status: response.status, bytes };
  }

  /**
   * An abort signal for one bounded request: it fires when no byte arrived for the idle timeout (`alive()` re-arms
   * it) or when `deadlineMs` passed; `explain` turns the abort into NETWORK_ERROR naming which limit was hit.
   */
  private timer(deadlineMs: number) {
    const idleMs = this.options.readIdleTimeoutMs ?? CLIENT_READ_IDLE_TIMEOUT_MS;
    const abort = new AbortController();
    let reason = '';
    const stop = (why: string) => () => {
      reason = why;
      abort.abort();
    };
    const deadline = setTimeout(stop(`did not end within ${deadlineMs} ms`), deadlineMs);
    let idle = setTimeout(stop(`sent nothing for ${idleMs} ms`), idleMs);
    return {
      signal: abort.signal,
      alive: () => {
        clearTimeout(idle);
        idle = setTimeout(stop(`sent nothing for ${idleMs} ms`), idleMs);
      },
      clear: () => {
        clearTimeout(idle);
        clearTimeout(deadline);
      },
      explain: (error: unknown, path: string): unknown =>
        reason
          ? new ModelsecError('NETWORK_ERROR', `the registry at ${this.base} ${reason} answering ${path}`, {
              cause: error,
              details: { path },
            })
          : error,
    };
  }

  /**
   * The bytes of a blob of known (signed) size, as they arrive, for pull: bounded in time (idle timeout, and a
   * deadline of CLIENT_READ_DEADLINE_MS plus the size at CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND) and refused early
   * when the registry declares another length (PULL_SIZE_MISMATCH). The caller counts and hashes the bytes; a
   * refused download throws the registry's error code, its answer read bounded too.
   */
  async *downloadBlobBounded(namespace: string, digest: string, size: number): AsyncGenerator<Uint8Array> {
    const rate = this.options.downloadMinBytesPerSecond ?? CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND;
    const deadlineMs = (this.options.readDeadlineMs ?? CLIENT_READ_DEADLINE_MS) + Math.ceil((size / rate) * 1000);
    const path = `/v1/namespaces/${namespace}/blobs/${digest}`;
    const timer = this.timer(deadlineMs);
    let response: Response | undefined;
    try {
      response = await this.send('GET', path, { signal: timer.signal });
      timer.alive();
      if (!response.ok) throw errorOf(response.status, await readLimited(response, CLIENT_MAX_ERROR_BYTES, path, timer.alive));
      // Without a content-encoding the declared length is the body's: another length than the signed size is refused
      // before a byte is written (with one, the decoded bytes are counted by the caller).
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      const encoding = (response.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
      if (Number.isFinite(declared) && encoding === 'identity' && declared !== size)
        throw new ModelsecError(
          'PULL_SIZE_MISMATCH',
          `blob ${digest}: the registry declares ${declared} bytes, the signed size is ${size}`,
          { details: { digest, expected: size, declared } },
        );
      for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
        timer.alive();
        yield chunk;
      }
    } catch (error) {
      throw timer.explain(error, path);
    } finally {
      timer.clear();
      await response?.body?.cancel().catch(() => undefined);
    }
  }

  async downloadBlob(namespace: string, digest: string): Promise<Response> {
    const path = `/v1/namespaces/${namespace}/blobs/${digest}`;
    const response = await this.send('GET', path);
    // The refusal is read from this answer, bounded (never a second request whose answer could differ).
    if (!response.ok) throw errorOf(response.status, await readLimited(response, CLIENT_MAX_ERROR_BYTES, path));
    return response;
  }
}

/**
 * The ModelsecError of a registry error answer (`{"error": {code, message, details}}`, parsed or as bytes); a code
 * this version does not know, or no JSON, is NETWORK_ERROR.
 */
function errorOf(status: number, answer: unknown): ModelsecError {
  let parsed = answer;
  if (answer instanceof Uint8Array)
    try {
      parsed = JSON.parse(Buffer.from(answer).toString('utf8'));
    } catch {
      parsed = {};
    }
  const e = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
  const code = e?.code && isErrorCode(e.code) ? e.code : 'NETWORK_ERROR';
  // Printed to a terminal: the registry's words, never its control sequences.
  const details = Object.fromEntries(
    Object.entries(e?.details && typeof e.details === 'object' ? e.details : {}).map(([k, v]) => [
      printable(k),
      typeof v === 'string' ? printable(v) : v,
    ]),
  );
  return new ModelsecError(code, typeof e?.message === 'string' ? printable(e.message) : `HTTP ${status}`, {
    details: { ...details, status },
  });
}

/** Reads a response body, refusing more than `limit` bytes (checked as the bytes arrive, not after). */
export async function readLimited(response: Response, limit: number, what: string, onChunk?: () => void): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new ModelsecError('LIMIT_EXCEEDED', `${what}: the answer is larger than ${limit} bytes`, { details: { limit } });
  }
  if (!response.body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    onChunk?.();
    if (total > limit) {
      await response.body.cancel().catch(() => undefined);
      throw new ModelsecError('LIMIT_EXCEEDED', `${what}: the answer is larger than ${limit} bytes`, { details: { limit } });
    }
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}
