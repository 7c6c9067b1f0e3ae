import type { Command } from 'commander';
import type { CliEnv } from '../command-kit.js';

/** A command's declaration: adds it (name, description, options, help text) to the program; its action loads the implementation. */
export type RegisterCommand = (program: Command, env: CliEnv) => void;

type Declaration = () => Promise<{ register: RegisterCommand }>;

/**
 * Every command by name, in the order `--help` lists them. Each `X.ts` declares one command with a `register`
 * function and imports nothing heavy; its action does `await import('./X-action.js')`, which holds the implementation.
 */
export const DECLARATIONS: ReadonlyMap<string, Declaration> = new Map<string, Declaration>([
  ['scan', () => import('./scan.js')],
  ['bom', () => import('./bom.js')],
  ['deps', () => import('./deps.js')],
  ['digest', () => import('./digest.js')],
  ['keygen', () => import('./keygen.js')],
  ['sign', () => import('./sign.js')],
  ['verify', () => import('./verify.js')],
  ['attest', () => import('./attest.js')],
  ['push', () => import('./push.js')],
  ['pull', () => import('./pull.js')],
  ['check', () => import('./check.js')],
  ['registry', () => import('./registry.js')],
  ['log', () => import('./log.js')],
  ['lineage', () => import('./lineage.js')],
]);

/** The flags that print the program's own help (commander's `-h, --help`). */
const PROGRAM_HELP_FLAGS: ReadonlySet<string> = new Set(['--help', '-h']);

/**
 * The declarations `argv` needs: the command it names, when it names one (`modelsec scan ...`, `modelsec check
 * --help`); otherwise every command (`--help` lists them, `help CMD` and suggestions for a mistyped name need them).
 * The program's own flags take no value, so the first argument that is not a flag is the command name.
 */
export async function commandsFor(argv: readonly string[]): Promise<readonly RegisterCommand[]> {
  // `modelsec --help` lists the commands by their summaries (generated from these declarations, kept current by a
  // test), so the program's help loads none of them.
  if (argv.length === 3 && PROGRAM_HELP_FLAGS.has(argv[2] as string)) return [(await import('./summaries.js')).declareSummaries];
  const name = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const named = name === undefined ? undefined : DECLARATIONS.get(name);
  const declarations = named ? [named] : [...DECLARATIONS.values()];
  return (await Promise.all(declarations.map((load) => load()))).map((module) => module.register);
}
