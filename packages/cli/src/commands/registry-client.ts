/** The registry client of a command run, from `--registry` / MODELSEC_REGISTRY and `--token` / MODELSEC_TOKEN. */
import { ModelsecError } from '@modelsec/core/errors';
import { RegistryClient } from '@modelsec/registry/client';
import type { CliEnv } from '../command-kit.js';
import type { RegistryConnectionOptions } from './connection-options.js';

/** Runs that were already warned about plain http:// (once per command run). */
const warnedInsecure = new WeakSet<CliEnv>();

/**
 * `--registry` / MODELSEC_REGISTRY and `--token` / MODELSEC_TOKEN. The transport rule is the client's
 * (RegistryClient: CLIENT_INSECURE_TRANSPORT for a token over plain http:// to anything but loopback); every use of
 * plain http:// is warned about on stderr. TLS is pinned with NODE_EXTRA_CA_CERTS (docs/ci.md).
 */
export function clientFrom(options: RegistryConnectionOptions, env: CliEnv): RegistryClient {
  const baseUrl = options.registry ?? env.env.MODELSEC_REGISTRY;
  if (!baseUrl) throw new ModelsecError('USAGE', 'give --registry URL (or set MODELSEC_REGISTRY)');
  if (!/^https?:\/\//.test(baseUrl)) throw new ModelsecError('USAGE', `--registry must be an http(s) URL, got '${baseUrl}'`);
  const client = new RegistryClient({ baseUrl, token: options.token ?? env.env.MODELSEC_TOKEN });
  if (client.insecure && !warnedInsecure.has(env)) {
    warnedInsecure.add(env);
    env.stderr.write(
      `warning: ${baseUrl} is plain http://: anyone on the path can read and change what the registry answers (only what verifies against local trust is accepted); use https:// beyond loopback\n`,
    );
  }
  return client;
}
