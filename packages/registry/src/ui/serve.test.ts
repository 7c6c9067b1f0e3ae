import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { classifyError } from '../http-errors.js';
import { tempDir } from '../test-support.js';
import { UI_CONTENT_SECURITY_POLICY, uiRoutes } from './serve.js';

async function appWith(dir: string) {
  const app = Fastify();
  app.setErrorHandler(async (error, _request, reply) => {
    const { status, body } = classifyError(error);
    return reply.status(status).send(body);
  });
  await app.register(uiRoutes({ dir }));
  return app;
}

describe('/ui/ serving', () => {
  it('serves assets by exact name under /ui/_/, index.html for every page address, always with the CSP', async () => {
    const dir = tempDir('modelsec-ui-');
    mkdirSync(path.join(dir, '_'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/ui/_/app.js"></script>');
    writeFileSync(path.join(dir, '_', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), 'not an asset');
    const app = await appWith(dir);
    const asset = await app.inject('/ui/_/app.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/);
    for (const page of ['/ui/', '/ui/acme', '/ui/acme/bert/1.0.0+build.1', '/ui/-/log', '/ui/secret.txt', '/ui/_x']) {
      const res = await app.inject(page);
      expect(res.statusCode, page).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(res.body).toContain('/ui/_/app.js');
    }
    expect((await app.inject('/ui/_/other.js')).statusCode).toBe(404);
    // No path reaches the file system: traversal attempts get the app or a 404, never the file.
    for (const sneaky of ['/ui/_/../secret.txt', '/ui/_/%2e%2e/secret.txt', '/ui/_/..%2fsecret.txt']) {
      const res = await app.inject(sneaky);
      expect(res.body, sneaky).not.toContain('not an asset');
    }
    expect((await app.inject('/ui')).headers.location).toBe('/ui/');
    await app.close();
  });

  it('without a build, /ui/ answers 404 NOT_FOUND saying so', async () => {
    const app = await appWith(path.join(tempDir('modelsec-ui-'), 'absent'));
    const res = await app.inject('/ui/acme');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringContaining('not built') } });
    await app.close();
  });
});
