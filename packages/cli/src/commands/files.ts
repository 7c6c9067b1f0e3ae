/** File helpers the commands share: read a flag's input file, write a report or an output file atomically. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ModelsecError, toModelsecError } from '@modelsec/core/errors';
import type { CliEnv } from '../command-kit.js';

/** Reads a text input file, naming the flag it came from when it cannot be read. */
export async function readInput(env: CliEnv, path: string, flag: string): Promise<string> {
  try {
    return await readFile(resolve(env.cwd, path), 'utf8');
  } catch (error) {
    const e = toModelsecError(error);
    throw new ModelsecError(e.code, `${flag} ${path}: ${e.message}`, { details: { flag, path }, cause: error });
  }
}

/** Writes a file atomically (temp file + rename) so a failed run never leaves half a signature. */
export async function writeAtomically(path: string, body: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, body, { mode });
    await rename(temporary, path);
  } catch (error) {
    throw new ModelsecError('FILE_WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`, {
      details: { path },
      cause: error,
    });
  }
}

/** Writes a report to `-o FILE` (resolved against the working directory, ending in a newline) and says so on stderr. */
export async function writeReportFile(
  env: CliEnv,
  out: { info(message: string): void },
  path: string,
  body: string,
): Promise<void> {
  try {
    await writeFile(resolve(env.cwd, path), body.endsWith('\n') ? body : `${body}\n`);
  } catch (cause) {
    throw new ModelsecError('FILE_WRITE_FAILED', `cannot write ${path}`, { cause, details: { path } });
  }
  out.info(`report written to ${path}`);
}
