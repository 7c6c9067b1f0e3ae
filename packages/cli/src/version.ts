import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The version `modelsec --version` prints: this package's (the modelsec packages are released together, so it is
 * @modelsec/core's MODELSEC_VERSION too), read from package.json so that printing it loads no library code.
 */
export const MODELSEC_VERSION: string = (require('../package.json') as { version: string }).version;
