/**
 * Writing downloaded files so that nothing lands outside the output directory and nothing lands that was not signed:
 * a fresh staging directory created by this process (mode 0700, a sibling of the output), each directory created
 * one component at a time (never an existing one), each file opened O_CREAT|O_EXCL|O_NOFOLLOW (never an existing
 * path, never through a symbolic link), its bytes counted as they arrive (one byte past the signed size and the
 * download stops) and hashed as they are written.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';

/** O_NOFOLLOW where the platform has it (not Windows: there O_EXCL alone refuses an existing link). */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** A fresh, private staging directory beside `outDir` (so the final rename stays on one filesystem). */
export async function createStaging(outDir: string): Promise<string> {
  const parent = path.dirname(path.resolve(outDir));
  return mkdtemp(path.join(parent, `.${path.basename(outDir)}.modelsec-`));
}

/** Creates every directory the names need, shallowest first, each one new (`mkdir` without `recursive`). */
export async function createDirectories(staging: string, names: readonly string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const name of names) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1)))
    await mkdir(path.join(staging, ...d.split('/')), { mode: 0o755 });
}

/**
 * Writes `source` to `staging/name` (a new file), refusing more or fewer than `expected.size` bytes
 * (PULL_SIZE_MISMATCH) and bytes that do not hash to `expected.digest` (DIGEST_MISMATCH).
 */
export async function writeNewFile(
  staging: string,
  name: string,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: { size: number; digest: string },
): Promise<void> {
  const target = path.join(staging, ...name.split('/'));
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o644);
  } catch (error) {
    throw new ModelsecError(
      'PULL_NAME_UNSAFE',
      `${name}: cannot create it as a new file (${(error as NodeJS.ErrnoException).code})`,
      {
        details: { path: name },
        cause: error,
      },
    );
  }
  const hash = createHash('sha256');
  let written = 0;
  try {
    for await (const chunk of source) {
      written += chunk.length;
      if (written > expected.size)
        throw new ModelsecError(
          'PULL_SIZE_MISMATCH',
          `${name}: the registry sent more than the ${expected.size} signed bytes (bytes past the signed extent never land)`,
          { details: { path: name, expected: expected.size } },
        );
      hash.update(chunk);
      await handle.write(chunk);
    }
  } finally {
    await handle.close();
  }
  if (written !== expected.size)
    throw new ModelsecError('PULL_SIZE_MISMATCH', `${name}: received ${written} bytes, the signed size is ${expected.size}`, {
      details: { path: name, expected: expected.size, actual: written },
    });
  const digest = hash.digest('hex');
  if (digest !== expected.digest)
    throw new ModelsecError(
      'DIGEST_MISMATCH',
      `${name}: downloaded bytes hash to ${digest}, the signed digest is ${expected.digest}`,
      {
        details: { path: name, expected: expected.digest, actual: digest },
      },
    );
}

/** Refuses an output path that exists (pull writes a new directory, never into or over one). */
export async function refuseExistingOutput(outDir: string): Promise<void> {
  if (await lstat(outDir).catch(() => undefined))
    throw new ModelsecError('FILE_WRITE_FAILED', `${outDir} exists already; pull writes a new directory`, {
      details: { path: outDir },
    });
}

/** Moves the staging directory into place (after a last check that nothing appeared there meanwhile). */
export async function publishStaging(staging: string, outDir: string): Promise<void> {
  await refuseExistingOutput(outDir);
  await rename(staging, outDir);
}

export async function discardStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}
