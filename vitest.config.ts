import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/** The subpath entries of @modelsec/core (packages/core/package.json exports) besides `/scan`. */
const CORE_CAPABILITIES = [
  'bom',
  'constants',
  'deps',
  'errors',
  'evidence',
  'formats',
  'hashing',
  'hub',
  'lineage',
  'signing',
  'tlog',
  'util',
];

export default defineConfig({
  resolve: {
    // Unit tests run against the TypeScript sources; the CLI end-to-end tests run the built binary.
    // (More specific entries first: an alias also matches as a prefix followed by '/'.)
    alias: {
      // Test support for the unit tests beside the sources (#test-support/fixture-builders, #test-support/corpora):
      // tests/helpers, without ../ chains into fixtures/scripts.
      '#test-support': fileURLToPath(new URL('./tests/helpers', import.meta.url)),
      '@modelsec/core/scan': fileURLToPath(new URL('./packages/core/src/scan-entry.ts', import.meta.url)),
      ...Object.fromEntries(
        CORE_CAPABILITIES.map((name) => [
          `@modelsec/core/${name}`,
          fileURLToPath(new URL(`./packages/core/src/${name}/index.ts`, import.meta.url)),
        ]),
      ),
      '@modelsec/core': src('core'),
      '@modelsec/registry/client': fileURLToPath(new URL('./packages/registry/src/client/index.ts', import.meta.url)),
      '@modelsec/registry/server': fileURLToPath(new URL('./packages/registry/src/server/index.ts', import.meta.url)),
      '@modelsec/registry': src('registry'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/registry/ui/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    // PostgreSQL store tests: server up + scratch database (fails loudly, never skips).
    globalSetup: ['tests/setup/postgres.ts'],
    setupFiles: ['tests/setup/isolated-config.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
