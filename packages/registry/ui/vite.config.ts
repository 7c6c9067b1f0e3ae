/**
 * Builds the auditors' web view (sources here) into ../ui-dist, which the registry serves at /ui/ (src/ui/serve.ts).
 * Assets go under /ui/_/ (no namespace can be named `_`); no inline script, no module-preload polyfill, so the app
 * runs under the registry's Content-Security-Policy (script-src 'self').
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../ui-dist', import.meta.url)),
    emptyOutDir: true,
    assetsDir: '_',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
