/** The registry connection flags (`--registry`, `--token`) every registry client command declares, and serve's default address. */
import type { Command } from 'commander';

/** Default listen address of `registry serve` (loopback: exposing the registry is an explicit choice). */
export const DEFAULT_REGISTRY_LISTEN = '127.0.0.1:8780';

export interface RegistryConnectionOptions {
  registry?: string;
  token?: string;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .option('--registry <url>', 'registry base URL (default: $MODELSEC_REGISTRY)')
    .option('--token <token>', 'API token (default: $MODELSEC_TOKEN)');
}
