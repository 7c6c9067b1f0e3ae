/**
 * Values of @modelsec/core that the command declarations show in help text and option choices. They are copied here
 * so that declaring the commands (every start-up, `--help`, `--version`) loads no core capability;
 * tests/cli-startup-modules.test.ts checks each one equals core's export.
 */

/** Finding severities, lowest first (core: `SEVERITIES` of @modelsec/core/scan). */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
/** Environment variable naming the scan config file (core: `SCAN_CONFIG_ENV` of @modelsec/core/scan). */
export const SCAN_CONFIG_ENV = 'MODELSEC_CONFIG';
/** Signature file name inside a model directory (core: `DEFAULT_SIGNATURE_NAME` of @modelsec/core/signing). */
export const DEFAULT_SIGNATURE_NAME = 'model.sig';
/** Shard size of `--method shards` (core: `DEFAULT_SHARD_SIZE` of @modelsec/core/signing). */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;
