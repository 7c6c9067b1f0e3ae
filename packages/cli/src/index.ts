/** @modelsec/cli: the `modelsec` command. The binary is bin/modelsec.js; `main` runs it in process. */
export type { CliEnv } from './command-kit.js';
export { commandsFor, DECLARATIONS, type RegisterCommand } from './commands/index.js';
export { main } from './main.js';
export { type GlobalOptions, Output, type OutputStreams } from './output.js';
export { buildProgram } from './program.js';
