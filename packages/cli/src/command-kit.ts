import { type ExitCode, ModelsecError } from '@modelsec/core/errors';
import { type Command, Option } from './commander.js';
import type { GlobalOptions, Output, OutputStreams } from './output.js';

/** What every command registration receives: the streams to write to and a place for the exit code. */
export interface CliEnv extends OutputStreams {
  exitCode: ExitCode;
  /** Working directory the command resolves relative paths against. */
  cwd: string;
}

/**
 * Builds the Output for a command from its own options and every ancestor's (global flags). Loaded when a command
 * runs, not when the commands are declared (`--help` prints through commander alone).
 */
export async function outputFor(command: Command, env: CliEnv): Promise<Output> {
  const { Output } = await import('./output.js');
  return new Output(command.optsWithGlobals() as GlobalOptions, env);
}

/** What a command handler returns: its exit code, or nothing for 0. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing (void) means exit code 0.
export type HandlerResult = ExitCode | undefined | void;

/**
 * Wraps a command handler: builds its Output, runs it, and records the exit code it returns (0 when it returns
 * nothing). Errors propagate to `main`, which prints them once in the chosen format and maps them to an exit code.
 */
export function action<Args extends unknown[]>(
  env: CliEnv,
  handler: (out: Output, ...args: Args) => Promise<HandlerResult> | HandlerResult,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const out = await outputFor(command, env);
    const code = await handler(out, ...(args.slice(0, -1) as Args));
    env.exitCode = code ?? 0;
  };
}

/** A handler for a command whose issue has not landed: a clear NOT_IMPLEMENTED error, never a fake result. */
export function notImplemented(env: CliEnv, what: string, issue: string) {
  return action(env, () => {
    throw new ModelsecError('NOT_IMPLEMENTED', `'modelsec ${what}' is not implemented yet (tracked in ${issue}).`, {
      details: { command: what },
    });
  });
}

/** Parses a positive integer flag value, or throws USAGE naming the flag. */
export function parseIntegerOption(flag: string, min = 0) {
  return (value: string): number => {
    if (!/^\d+$/.test(value))
      throw new ModelsecError('USAGE', `${flag} takes a whole number, got '${value}'`, { details: { flag, value } });
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      throw new ModelsecError('USAGE', `${flag} must be at least ${min}, got '${value}'`, { details: { flag, value } });
    return n;
  };
}

/** Collects a repeatable flag into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export { Option };
