import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../package.json') as { version: string };

/** The version of @modelsec/core (and of the modelsec tool: the packages are released together). */
export const MODELSEC_VERSION: string = pkg.version;
