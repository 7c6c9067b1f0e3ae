/** @modelsec/cli: the `modelsec` command. The binary is bin/modelsec.js; `main` runs it in process. */
export type { CliEnv } from './command-kit.js';
export { buildProgram, commandsFor, main, type RegisterCommand } from './main.js';
export { type GlobalOptions, Output, type OutputStreams } from './output.js';
