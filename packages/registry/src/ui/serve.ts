/**
 * The auditors' web view at /ui/: the built single-page app (packages/registry/ui-dist, made by `npm run build` from
 * packages/registry/ui) served by the registry itself, same origin as the /v1 API it reads.
 *
 * - Assets live under /ui/_/ (no namespace can be named `_`: names start with [a-z0-9]); only the files found in the
 *   build at start are served, by exact name, so no request path ever reaches the file system.
 * - Every other /ui/ path is a page address (/ui/NS, /ui/NS/NAME, /ui/NS/NAME/VERSION, /ui/-/...): index.html, so
 *   deep links work on reload.
 * - Every answer carries a Content-Security-Policy without inline scripts or styles: whatever an attacker-controlled
 *   string (a model card, a file name) turns into, the browser runs only the app's own files.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelsecError } from '@modelsec/core/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The built app, beside src/ and dist/ alike (../../ui-dist from src/ui/ and from dist/ui/). */
export const UI_DIST_DIR = fileURLToPath(new URL('../../ui-dist/', import.meta.url));
/** URL prefix of the app's assets (Vite's `assetsDir`). */
export const UI_ASSET_PREFIX = '_/';
/** Largest build we load into memory: the app is a few hundred KB; a stray file this big means a broken build. */
export const MAX_UI_ASSET_BYTES = 8 * 1024 * 1024;

export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  bytes: Buffer;
  type: string;
}

export interface UiBuild {
  index: Buffer;
  /** By path under the build directory, e.g. `_/index-abc123.js`. */
  assets: Map<string, Asset>;
}

/** Reads the build (index.html and the files under _/); undefined when the app was not built. */
export async function loadUiBuild(dir: string = UI_DIST_DIR): Promise<UiBuild | undefined> {
  const index = await readFile(path.join(dir, 'index.html')).catch(() => undefined);
  if (!index) return undefined;
  const assets = new Map<string, Asset>();
  let total = index.length;
  const entries = await readdir(path.join(dir, UI_ASSET_PREFIX), { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full).split(path.sep).join('/');
    // A build being replaced while we read it (npm run build in another process) reads as no build, not a crash.
    const bytes = await readFile(full).catch(() => undefined);
    if (!bytes) return undefined;
    total += bytes.length;
    if (total > MAX_UI_ASSET_BYTES)
      throw new ModelsecError('INVALID_CONFIG', `the web UI build in ${dir} is larger than ${MAX_UI_ASSET_BYTES} bytes`, {
        details: { limit: MAX_UI_ASSET_BYTES },
      });
    assets.set(rel, { bytes, type: CONTENT_TYPES[path.extname(rel)] ?? 'application/octet-stream' });
  }
  return { index, assets };
}

function secure(reply: FastifyReply): FastifyReply {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  return reply;
}

/** Registers GET /ui and /ui/* (one call in app.ts: `app.register(uiRoutes())`). */
export function uiRoutes(options: { dir?: string } = {}) {
  return async function registerUiRoutes(app: FastifyInstance): Promise<void> {
    const build = await loadUiBuild(options.dir);
    app.get('/ui', async (_request, reply) => secure(reply).redirect('/ui/', 308));
    app.get<{ Params: { '*': string } }>('/ui/*', async (request, reply) => {
      if (!build)
        throw new ModelsecError('NOT_FOUND', 'the web UI is not built in this installation (npm run build makes it)', {
          details: { dir: options.dir ?? UI_DIST_DIR },
        });
      const rel = request.params['*'];
      if (rel.startsWith(UI_ASSET_PREFIX)) {
        const asset = build.assets.get(rel);
        if (!asset) throw new ModelsecError('NOT_FOUND', `no web UI asset ${rel}`);
        // Vite names assets by content hash: they never change under one name.
        return secure(reply).type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.bytes);
      }
      return secure(reply).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(build.index);
    });
  };
}
