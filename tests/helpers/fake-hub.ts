/**
 * A fake Hugging Face Hub on 127.0.0.1 serving one or more model repos from in-memory files, through the same
 * routes @huggingface/hub and modelsec call:
 *   GET  /api/models/ORG/NAME/revision/REV?expand=...   model info (shape recorded below from the real Hub)
 *   GET  /api/models/ORG/NAME/tree/REV[/PATH]?recursive=&expand=   file listing with git oid and LFS sha256
 *   GET|HEAD /ORG/NAME/resolve/REV/PATH                 file bytes, with Range support (206 / 416)
 * Every request is recorded (method, path, range, authorization) so tests can assert what was downloaded.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

export interface FakeRepo {
  /** ORG/NAME */
  id: string;
  /** Full commit SHA the default branch resolves to. */
  sha: string;
  files: Map<string, Uint8Array>;
  /** Paths stored in LFS (default: weights and anything over 10 MB, as .gitattributes does on the Hub). */
  lfs?: (path: string) => boolean;
  /** Wrong LFS sha256 to advertise for some paths (tamper tests). */
  lieAboutLfs?: Map<string, string>;
  /** Git oid to list for some paths instead of the real one (tamper tests: any string, even a path). */
  lieAboutOid?: Map<string, string>;
  /** Bytes to serve for some paths instead of the listed ones (a Hub or a man in the middle that swaps content). */
  serveInstead?: Map<string, Uint8Array>;
  /** cardData and config as the Hub derives them (optional: modelsec reads README.md and config.json itself). */
  cardData?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export interface FakeHub {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** Git blob id: sha1 of "blob <size>\0" + content. */
const gitOid = (b: Uint8Array) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const DEFAULT_LFS = (path: string) => /\.(safetensors|gguf|onnx|pt|pth|bin|ckpt|h5|msgpack)$/.test(path);

/** Reads a directory into the files map of a FakeRepo (POSIX relative paths, sorted). */
export function filesFromDirectory(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p).split(sep).join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** The model-info document, with the keys the real Hub returns for `expand[]=...` (recorded shape). */
function modelInfoJson(repo: FakeRepo): Record<string, unknown> {
  const [author] = repo.id.split('/');
  return {
    _id: createHash('sha1').update(repo.id).digest('hex').slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    author,
    sha: repo.sha,
    private: false,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    library_name: repo.cardData?.library_name,
    pipeline_tag: repo.cardData?.pipeline_tag,
    tags: repo.cardData?.tags ?? [],
    lastModified: '2024-06-01T00:00:00.000Z',
    createdAt: '2024-06-01T00:00:00.000Z',
    cardData: repo.cardData ?? {},
    config: repo.config ?? {},
    siblings: [...repo.files.keys()].sort().map((rfilename) => ({ rfilename })),
    usedStorage: [...repo.files.values()].reduce((n, b) => n + b.length, 0),
  };
}

/** One tree entry as the Hub lists it with expand=true (recorded shape; lastCommit omitted). */
function treeEntry(repo: FakeRepo, path: string, bytes: Uint8Array): Record<string, unknown> {
  const isLfs = (repo.lfs ?? DEFAULT_LFS)(path) || bytes.length > 10 * 1024 * 1024;
  const entry: Record<string, unknown> = {
    type: 'file',
    oid: repo.lieAboutOid?.get(path) ?? gitOid(bytes),
    size: bytes.length,
    path,
  };
  if (isLfs) entry.lfs = { oid: repo.lieAboutLfs?.get(path) ?? sha256(bytes), size: bytes.length, pointerSize: 134 };
  return entry;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function serveFile(req: IncomingMessage, res: ServerResponse, repo: FakeRepo, bytes: Uint8Array): void {
  const common = {
    'accept-ranges': 'bytes',
    etag: `"${sha256(bytes)}"`,
    'x-repo-commit': repo.sha,
    'content-type': 'application/octet-stream',
  };
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    const start = m ? Number(m[1]) : Number.NaN;
    const end = m?.[2] ? Math.min(Number(m[2]), bytes.length - 1) : bytes.length - 1;
    if (!m || start >= bytes.length || end < start) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
      res.end();
      return;
    }
    const body = bytes.subarray(start, end + 1);
    res.writeHead(206, {
      ...common,
      'content-length': String(body.length),
      'content-range': `bytes ${start}-${end}/${bytes.length}`,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(200, { ...common, 'content-length': String(bytes.length) });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** Starts the fake Hub on 127.0.0.1 with an ephemeral port. */
export async function startFakeHub(repos: FakeRepo[], options: { requireToken?: string } = {}): Promise<FakeHub> {
  const requests: RecordedRequest[] = [];
  const byId = new Map(repos.map((r) => [r.id, r]));
  const resolveRevision = (repo: FakeRepo, rev: string) =>
    rev === 'main' || rev === 'HEAD' || rev === repo.sha ? repo.sha : undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    requests.push({
      method: req.method ?? 'GET',
      path,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (options.requireToken && req.headers.authorization !== `Bearer ${options.requireToken}`) {
      send(res, 401, { error: 'Invalid credentials in Authorization header' });
      return;
    }
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (m) {
      const repo = byId.get(m[1]!);
      if (!repo) return send(res, 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
      if (!resolveRevision(repo, m[2]!))
        return send(res, 404, { error: `Invalid rev id: ${m[2]}` }, { 'x-error-code': 'RevisionNotFound' });
      return send(res, 200, modelInfoJson(repo));
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (m) {
      const repo = byId.get(m[1]!);
      if (!repo) return send(res, 404, { error: 'Repository not found' });
      if (!resolveRevision(repo, m[2]!)) return send(res, 404, { error: 'Revision not found' });
      const prefix = m[3] ? `${m[3]}/` : '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries: Record<string, unknown>[] = [];
      const dirs = new Set<string>();
      for (const [p, bytes] of [...repo.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        const parts = rest.split('/');
        for (let i = 1; i < parts.length; i++) {
          const dir = prefix + parts.slice(0, i).join('/');
          if (!dirs.has(dir) && (recursive || i === 1)) {
            dirs.add(dir);
            entries.push({ type: 'directory', oid: gitOid(new TextEncoder().encode(dir)), size: 0, path: dir });
          }
        }
        if (recursive || parts.length === 1) entries.push(treeEntry(repo, p, bytes));
      }
      return send(res, 200, entries);
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m) {
      const repo = byId.get(m[1]!);
      const bytes = repo?.serveInstead?.get(m[3]!) ?? repo?.files.get(m[3]!);
      if (!repo || !resolveRevision(repo, m[2]!) || !bytes)
        return send(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
      return serveFile(req, res, repo, bytes);
    }
    send(res, 404, { error: `no route ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
