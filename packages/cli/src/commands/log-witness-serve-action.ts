/** The action of `modelsec log witness serve`: with `registry serve`, the only commands that load registry server code. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelsecError } from '@modelsec/core/errors';
import { type NoteVerifier, parseCosignerKey, parseVerifierKey } from '@modelsec/core/tlog';
import { clockFromEnv } from '@modelsec/core/util';
import { createWitnessServer, Witness } from '@modelsec/registry/server';
import type { CliEnv } from '../command-kit.js';
import type { Output } from '../output.js';

/** Largest key file read (a key is one line of about 100 characters; a log-key file may list several). */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

async function readKeyFile(env: CliEnv, file: string, flag: string): Promise<string> {
  const full = path.resolve(env.cwd, file);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (cause) {
    throw new ModelsecError('FILE_NOT_FOUND', `${flag} ${file}: cannot read the file`, { cause, details: { path: full } });
  }
  if (Buffer.byteLength(text) > MAX_KEY_FILE_BYTES)
    throw new ModelsecError('LIMIT_EXCEEDED', `${flag} ${file}: larger than ${MAX_KEY_FILE_BYTES} bytes`, {
      details: { path: full, limit: MAX_KEY_FILE_BYTES },
    });
  return text;
}

/** Every non-empty, non-comment line of the files is a log verifier key (`name+id+key`, e.g. from `modelsec log key`). */
async function readLogKeys(env: CliEnv, files: readonly string[]): Promise<NoteVerifier[]> {
  const keys: NoteVerifier[] = [];
  for (const file of files) {
    const lines = (await readKeyFile(env, file, '--log-key')).split('\n').map((l) => l.trim());
    for (const line of lines) if (line && !line.startsWith('#')) keys.push(parseVerifierKey(line));
  }
  if (keys.length === 0) throw new ModelsecError('USAGE', '--log-key: no log verifier key in the given file(s)');
  return keys;
}

export async function runWitnessServe(
  env: CliEnv,
  out: Output,
  flags: { key: string; logKey: string[]; state: string; host: string; port: number },
) {
  if (flags.port > 65535) throw new ModelsecError('USAGE', `--port must be at most 65535, got ${flags.port}`);
  const cosigner = parseCosignerKey(await readKeyFile(env, flags.key, '--key'));
  const logKeys = await readLogKeys(env, flags.logKey);
  const stateDir = path.resolve(env.cwd, flags.state);
  const w = await Witness.open({ cosigner, logKeys, stateDir, clock: clockFromEnv(env.env) });
  const server = createWitnessServer(w);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(flags.port, flags.host, resolve);
    });
  } catch (cause) {
    await w.close();
    throw new ModelsecError('USAGE', `cannot listen on ${flags.host}:${flags.port}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : flags.port;
  const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  const url = `http://${host}:${port}`;
  out.result(
    { listening: url, name: cosigner.name, key: cosigner.text, logs: logKeys.map((k) => k.name), state: stateDir },
    () => `witness ${cosigner.name} listening on ${url} (logs: ${logKeys.map((k) => k.name).join(', ')}; state: ${stateDir})`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await w.close();
  out.info('witness stopped');
  return undefined;
}
