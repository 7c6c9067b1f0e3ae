/** `@modelsec/core/constants`: plain values front ends show before they load a capability (see values.ts). */
export { DEFAULT_SHARD_SIZE, DEFAULT_SIGNATURE_NAME, SCAN_CONFIG_ENV, SEVERITIES } from './values.js';
