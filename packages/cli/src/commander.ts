/**
 * commander, loaded with `require`: its ESM entry is a wrapper around the CommonJS build, and importing CommonJS
 * from ESM makes node start its CommonJS export lexer, a cost every `modelsec` start-up (`--help` included) would pay.
 */
import { createRequire } from 'node:module';
import type * as CommanderTypes from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof CommanderTypes;

export const Command: typeof CommanderTypes.Command = commander.Command;
export type Command = CommanderTypes.Command;
export const CommanderError: typeof CommanderTypes.CommanderError = commander.CommanderError;
export type CommanderError = CommanderTypes.CommanderError;
export const Option: typeof CommanderTypes.Option = commander.Option;
export type Option = CommanderTypes.Option;
