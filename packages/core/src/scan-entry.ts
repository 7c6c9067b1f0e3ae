/**
 * `@modelsec/core/scan`: the scanner and what a process that only scans needs (errors, version, stable JSON, hub
 * references), without the rest of the library. Importing the main entry evaluates every capability and its
 * dependencies (Sigstore, CycloneDX, XML, the Hub client...); `modelsec scan` starts from this entry instead, so its
 * start-up costs what scanning needs. Everything here is also exported by `@modelsec/core`.
 */
export * from './errors/index.js';
export { isHubReference } from './hub/reference.js';
export * from './scan/index.js';
export { stableJson } from './util/canonical-json.js';
export { MODELSEC_VERSION } from './version.js';
