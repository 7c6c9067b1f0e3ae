/**
 * The public /v1 API, same origin. A token the auditor pastes is kept in sessionStorage only (gone with the tab),
 * sent as `Authorization: Bearer`, never put in an address.
 */

/** Largest answer this page reads (a version with MAX_LIST_ROWS rows, an ML-BOM, a scan report fit with room). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const TOKEN_KEY = 'modelsec.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The exact bytes of a GET (throws ApiError with the registry's code on a non-2xx answer). */
export async function getBytes(path: string): Promise<Uint8Array> {
  if (!path.startsWith('/v1/')) throw new Error(`not an API path: ${path}`);
  const token = getToken();
  const response = await fetch(path, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    credentials: 'omit',
    cache: 'no-store',
  });
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES)
    throw new ApiError(response.status, 'LIMIT_EXCEEDED', `${path}: answer larger than ${MAX_RESPONSE_BYTES} bytes`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_RESPONSE_BYTES)
    throw new ApiError(response.status, 'LIMIT_EXCEEDED', `${path}: answer larger than ${MAX_RESPONSE_BYTES} bytes`);
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = `${path}: HTTP ${response.status}`;
    try {
      const body = JSON.parse(new TextDecoder().decode(bytes)) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code === 'string') code = body.error.code;
      if (typeof body.error?.message === 'string') message = body.error.message;
    } catch {
      // not a JSON error body: keep the status
    }
    throw new ApiError(response.status, code, message);
  }
  return bytes;
}

export async function getText(path: string): Promise<string> {
  return new TextDecoder('utf-8', { fatal: true }).decode(await getBytes(path));
}

export async function getJson<T>(path: string): Promise<T> {
  return JSON.parse(await getText(path)) as T;
}

/** Path segment / query value escaping for API paths. */
export const enc = encodeURIComponent;

// ── the shapes this app reads (see packages/registry/src/app.ts) ──────────────
export interface NamespaceInfo {
  name: string;
  public: boolean;
  createdAt: string;
}
export interface Signer {
  kind?: string;
  keyFingerprint?: string;
  identity?: string;
  issuer?: string;
  [key: string]: unknown;
}
export interface ScanFileSummary {
  path: string;
  verdict: 'clean' | 'findings' | 'incomplete';
  maxSeverity: string | null;
  rules: string[];
  errors: number;
}
export interface VersionSummary {
  namespace: string;
  model: string;
  version: string;
  rootDigest: string;
  bundleDigest: string;
  signer: Signer;
  signedAt: string | null;
  scan: {
    status?: string;
    maxSeverity?: string | null;
    findings?: number;
    incomplete?: number;
    scanner?: string;
    files?: ScanFileSummary[];
  };
  publishedAt: string;
  publishedBy: string;
  yanked: boolean;
  yankedAt: string | null;
  yankReason: string | null;
  publicKey?: string;
}
export interface VersionDetail extends VersionSummary {
  files: { path: string; digest: string; size: number }[];
  attachments: { kind: string; digest: string; mediaType: string | null; predicateType: string | null }[];
}
export interface Finding {
  ruleId: string;
  severity: string;
  message: string;
  references?: { id: string; url?: string }[];
  incomplete?: true;
  suppressed?: { reason: string };
}
export interface ScanReport {
  files: { path: string; verdict: string; format?: string; findings: Finding[]; errors: { code: string; message: string }[] }[];
}
