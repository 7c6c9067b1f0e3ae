/**
 * The package's entry points by role: `@modelsec/registry/client` loads neither fastify nor a database driver, the
 * server entry loads only the driver its store uses, a missing driver names the package, and each entry's runtime
 * surface is pinned (a new export is a decision, not an accident). The load checks run in a child node process over
 * the built entries (dist/), as a user's `import` would load them.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isModelsecError } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { importDriver, requireDriver } from './store/load-driver.js';
import { tempDir } from './test-support.js';

const dist = (entry: string) => fileURLToPath(new URL(`../dist/${entry}`, import.meta.url));

/** Packages a client must never load (the server's HTTP framework and the native/network database drivers). */
const SERVER_PACKAGES = ['fastify', 'better-sqlite3', 'pg'] as const;

/**
 * Runs `body` (an ES module body; `entry` is the imported entry) in a child node process and answers which of
 * SERVER_PACKAGES it loaded. They are CommonJS, so whatever loads them goes through require.cache.
 */
function loadedBy(entryFile: string, body = ''): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const entry = await import(${JSON.stringify(entryFile)});
    ${body}
    const names = ${JSON.stringify(SERVER_PACKAGES)};
    const loaded = names.filter((n) => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/' + n + '/')));
    process.stdout.write(JSON.stringify(loaded));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as string[];
}

describe('entry points by role', () => {
  it('the client entry loads neither fastify, better-sqlite3 nor pg', () => {
    expect(loadedBy(dist('client/index.js'))).toEqual([]);
  });

  it('the server entry loads fastify but no database driver until a store opens', () => {
    // The control: the probe does see a server package when one is loaded.
    expect(loadedBy(dist('server/index.js'))).toEqual(['fastify']);
  });

  it('a SQLite registry loads better-sqlite3 and never pg', () => {
    const dataDir = tempDir();
    const body = `
      const registry = await entry.createRegistry({ dataDir: ${JSON.stringify(dataDir)}, adminToken: 'msk_entries', scanner: null });
      await registry.app.close();
    `;
    expect(loadedBy(dist('server/index.js'), body)).toEqual(['fastify', 'better-sqlite3']);
  });

  it('a missing driver is DEPENDENCY_MISSING naming the package to install', async () => {
    const notFound = (id: string) =>
      Object.assign(new Error(`Cannot find module '${id}'`), { code: id === 'pg' ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND' });
    const caught = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      throw new Error('did not throw');
    };
    const sqlite = caught(() =>
      requireDriver('better-sqlite3', (id) => {
        throw notFound(id);
      }),
    );
    expect(isModelsecError(sqlite) && sqlite.code).toBe('DEPENDENCY_MISSING');
    expect((sqlite as Error).message).toContain("needs the 'better-sqlite3' package");
    expect((sqlite as Error).message).toContain('npm install better-sqlite3');
    const pg = await importDriver('pg', async (id) => {
      throw notFound(id);
    }).catch((error: unknown) => error);
    expect(isModelsecError(pg) && pg.code).toBe('DEPENDENCY_MISSING');
    expect((pg as Error).message).toContain("the PostgreSQL metadata store needs the 'pg' package");
    expect(isModelsecError(pg) && pg.details).toEqual({ package: 'pg' });
    // Any other failure (a broken install, a failing native addon) is passed on as it is.
    const broken = new Error('the driver threw');
    expect(
      caught(() =>
        requireDriver('better-sqlite3', () => {
          throw broken;
        }),
      ),
    ).toBe(broken);
  });

  it('each entry exports exactly its named surface, and `.` exports both', async () => {
    const client = Object.keys(await import('./client/index.js')).sort();
    const server = Object.keys(await import('./server/index.js')).sort();
    const all = Object.keys(await import('./index.js')).sort();
    expect(client).toEqual(CLIENT_EXPORTS);
    expect(server).toEqual(SERVER_EXPORTS);
    expect(all).toEqual([...new Set([...CLIENT_EXPORTS, ...SERVER_EXPORTS])].sort());
  });
});

const CLIENT_EXPORTS = [
  'CLIENT_DOWNLOAD_MIN_BYTES_PER_SECOND',
  'CLIENT_MAX_ERROR_BYTES',
  'CLIENT_MAX_JSON_BYTES',
  'CLIENT_READ_DEADLINE_MS',
  'CLIENT_READ_IDLE_TIMEOUT_MS',
  'CLIENT_SINGLE_PUT_MAX_BYTES',
  'CLIENT_UPLOAD_CHUNK_BYTES',
  'DEFAULT_MAX_CHECKPOINT_AGE_SECONDS',
  'DEFAULT_POLICY',
  'LogMirror',
  'MAX_EVIDENCE_ATTESTATIONS',
  'MAX_EVIDENCE_BLOB_BYTES',
  'MAX_EVIDENCE_TOTAL_BYTES',
  'MAX_INCLUSION_PROOF_HASHES',
  'MAX_LOG_RESPONSE_BYTES',
  'MAX_MIRROR_ENTRIES',
  'MAX_MIRROR_FETCH_BYTES',
  'MAX_NAME_COMPONENT_BYTES',
  'MAX_NAME_PATH_BYTES',
  'MAX_OPENINGS_PAGE_BYTES',
  'MAX_OPENING_RESPONSE_BYTES',
  'MAX_POLICY_MODELS',
  'MAX_POLICY_WITNESSES',
  'MAX_TILE_ENTRY_BYTES',
  'MAX_TLOG_PROOF_BYTES',
  'MIRROR_SYNC_DEADLINE_MS',
  'PULL_DOWNLOAD_CONCURRENCY',
  'REGISTRY_API_VERSION',
  'RegistryClient',
  'TILE_HEIGHT',
  'TILE_WIDTH',
  'TLOG_PROOF_MEDIA_TYPE',
  'assertSafeNames',
  'buildTlogProof',
  'checkModel',
  'checkOffline',
  'checkTransport',
  'confirmPushInLog',
  'fetchCheckpointText',
  'fetchLogEntry',
  'fetchLogKey',
  'fetchNamespaceOpenings',
  'fetchOpening',
  'isLoopbackHost',
  'keyChanged',
  'logStateFile',
  'mayCarryToken',
  'mirrorDir',
  'modelsecConfigDir',
  'openLogEntry',
  'openVerifiedLog',
  'parseExpectation',
  'parseLocalPolicy',
  'parseModelRef',
  'parseTilePath',
  'parseTlogProof',
  'pullModel',
  'pushModel',
  'readLogState',
  'replayLog',
  'tileIndexPath',
  'tlogPathFor',
  'trustedLogVerifier',
  'unsafeNameReason',
  'verifiedCheckpoint',
  'verifyCheckpointNote',
  'verifyEvidence',
  'verifyLogInclusion',
  'verifyVersionInLog',
  'versionMatches',
  'writeLogState',
];
const SERVER_EXPORTS = [
  'DEFAULT_GC_GRACE_MS',
  'DEFAULT_GC_INTERVAL_MS',
  'DEFAULT_LOG_ORIGIN',
  'DEFAULT_MAX_BYTES_IN_FLIGHT',
  'DEFAULT_MAX_STORED_BYTES',
  'DEFAULT_MAX_UPLOAD_SESSIONS',
  'DEFAULT_POLICY',
  'DEFAULT_STORAGE_LIMITS',
  'DEFAULT_UPLOAD_SESSION_EXPIRY_MS',
  'FsBlobStore',
  'HOUSEKEEPING_BATCH',
  'LOG_KEY_FILE',
  'LOG_REBUILD_BATCH',
  'LineageIndex',
  'MAX_ADD_CHECKPOINT_BYTES',
  'MAX_CONSISTENCY_PROOF_LINES',
  'MAX_JSON_BODY_BYTES',
  'MAX_LINEAGE_DEPTH',
  'MAX_LINEAGE_DOCUMENT_BYTES',
  'MAX_OPENINGS_PAGE',
  'MAX_SINGLE_PUT_BYTES',
  'MAX_TRAILING_HASHERS',
  'MAX_UPLOAD_CHUNK_BYTES',
  'MIN_GC_GRACE_MS',
  'NO_LOG',
  'PUSH_PIN_MS',
  'PostgresMetadataStore',
  'REGISTRY_API_VERSION',
  'STALE_TEMP_MS',
  'STORAGE_LIMIT_SETTINGS',
  'SqliteMetadataStore',
  'StorageHousekeeping',
  'StorageQuotas',
  'TLOG_SIZE_CONTENT_TYPE',
  'TOKEN_PREFIX',
  'TransparencyLog',
  'UPLOAD_LOCK_LEASE_MS',
  'UploadLocks',
  'WITNESS_MAX_ATTEMPTS',
  'WITNESS_MAX_RESPONSE_BYTES',
  'WITNESS_PUBLISH_WAIT_MS',
  'WITNESS_REQUEST_TIMEOUT_MS',
  'WITNESS_RETRY_INTERVAL_MS',
  'WITNESS_SERVER_REQUEST_TIMEOUT_MS',
  'Witness',
  'Witnessing',
  'backfillLineageIndex',
  'checkStorageLimits',
  'createRegistry',
  'createWitnessServer',
  'hashToken',
  'lineageOfAttachments',
  'lineageRecords',
  'lineageRoutes',
  'loadOrCreateLogSigner',
  'logRoutes',
  'loggedSignerOf',
  'parseWitnessTarget',
  'publishEntry',
  'readTile',
  'storageLimitsFrom',
];
