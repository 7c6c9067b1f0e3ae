import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The version `modelsec --version` prints: @modelsec/core's (the packages are released together), read from its
 * package.json so that printing it loads no core code.
 */
export const MODELSEC_VERSION: string = (require('@modelsec/core/package.json') as { version: string }).version;
