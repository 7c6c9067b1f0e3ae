/**
 * `@modelsec/core/constants`: plain values that front ends show before they load a capability (help text, option
 * choices). This module imports nothing, so `modelsec --help` can use the values themselves instead of copies. Each
 * capability re-exports the values it owns from here; this is their one definition.
 */

/** Finding severities, lowest first (the scanner's and the dependency audit's scale). */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** The environment variable naming a scan config file (like `--config`; `--config` wins). */
export const SCAN_CONFIG_ENV = 'MODELSEC_CONFIG';

/** Default signature file name, always ignored when hashing. */
export const DEFAULT_SIGNATURE_NAME = 'model.sig';

/** Shard size the reference implementation uses: 1 GB shards hash ~5x faster than 1 MB ones. */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;
