/**
 * What `modelsec --help` lists for each command (its term and description), so that the program's own help is
 * printed without loading the 25 command declaration modules. Generated from the declarations by
 * `npm run gen:cli-summaries`; `summaries.test.ts` fails when a declaration changes and this file does not.
 */
import type { Command } from '../commander.js';
import { COMMAND_SUMMARIES } from './summaries.generated.js';

/** One command as the program's help lists it. */
export interface CommandSummary {
  name: string;
  /** commander's `subcommandTerm`: the name, ` [options]` when it has options, its arguments. */
  term: string;
  /** commander's `subcommandDescription`: the summary, else the description. */
  description: string;
}

/** The summaries of the declared commands of `program`, in its order (what the generator writes). */
export function summariesOf(program: Command): CommandSummary[] {
  const help = program.createHelp();
  return program.commands.map((cmd) => ({
    name: cmd.name(),
    term: help.subcommandTerm(cmd),
    description: help.subcommandDescription(cmd),
  }));
}

/**
 * A declaration of every command by its summary alone: enough for the program's `--help`, never for running or
 * for a command's own help (commandsFor uses it only for `modelsec --help` and `modelsec -h`).
 */
export function declareSummaries(program: Command): void {
  const terms = new Map<string, string>();
  for (const summary of COMMAND_SUMMARIES) {
    program.command(summary.name).description(summary.description);
    terms.set(summary.name, summary.term);
  }
  const standard = program.createHelp(); // before configureHelp: commander's own term for `help [command]`
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? standard.subcommandTerm(cmd) });
}
