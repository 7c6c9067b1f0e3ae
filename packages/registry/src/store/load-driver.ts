/**
 * Database drivers are loaded on first use, by the store that needs them: a SQLite registry never loads pg, a
 * PostgreSQL one never loads better-sqlite3, and a client never loads either. A driver that is not installed is an
 * DEPENDENCY_MISSING error naming the package to install.
 */
import { createRequire } from 'node:module';
import { ModelsecError } from '@modelsec/core/errors';
import { isMissingPackage } from '@modelsec/core/util';

/** The optional database drivers, with the store that needs each. */
export const DATABASE_DRIVERS = { 'better-sqlite3': 'SQLite', pg: 'PostgreSQL' } as const;
export type DatabaseDriver = keyof typeof DATABASE_DRIVERS;

const requireHere = createRequire(import.meta.url);

/** The error for a driver that cannot be found (or `error` itself when it failed for another reason). */
export function driverLoadError(driver: DatabaseDriver, error: unknown): unknown {
  if (!isMissingPackage(error, driver)) return error;
  return new ModelsecError(
    'DEPENDENCY_MISSING',
    `the ${DATABASE_DRIVERS[driver]} metadata store needs the '${driver}' package, which is not installed: npm install ${driver}`,
    { details: { package: driver }, cause: error },
  );
}

/**
 * Loads a CommonJS driver synchronously (better-sqlite3: `SqliteMetadataStore.open` stays synchronous).
 * `load` is for tests (a driver that is missing).
 */
export function requireDriver<T>(driver: DatabaseDriver, load: (id: string) => unknown = requireHere): T {
  try {
    return load(driver) as T;
  } catch (error) {
    throw driverLoadError(driver, error);
  }
}

/** Loads a driver with a dynamic import (pg: `PostgresMetadataStore.open` is asynchronous). */
export async function importDriver<T>(
  driver: DatabaseDriver,
  load: (id: string) => Promise<unknown> = (id) => import(id),
): Promise<T> {
  try {
    const module = (await load(driver)) as { default?: T };
    return (module.default ?? module) as T;
  } catch (error) {
    throw driverLoadError(driver, error);
  }
}
