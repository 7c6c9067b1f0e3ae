/**
 * @modelsec/core: the modelsec library. Every public export is named here or in the capability barrels below;
 * `tests/public-api.test.ts` checks that the surface is what it claims.
 */

export * from './bom/index.js';
export * from './deps/index.js';
export * from './errors/index.js';
export * from './evidence/index.js';
export * from './formats/index.js';
export * from './hashing/index.js';
export * from './hub/index.js';
export * from './lineage/index.js';
export * from './scan/index.js';
export * from './signing/index.js';
export * from './tlog/index.js';
export * from './util/index.js';
export { MODELSEC_VERSION } from './version.js';
