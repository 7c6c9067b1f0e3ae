import { type ExitCode, ModelsecError, toModelsecError } from '@modelsec/core/errors';
import type { CliEnv } from './command-kit.js';
import { Command, CommanderError } from './commander.js';
import { commandsFor, type RegisterCommand } from './commands/index.js';
import { EXIT_CODES_HELP } from './exit-codes-help.js';
import type { GlobalOptions, OutputStreams } from './output.js';
import { MODELSEC_VERSION } from './version.js';

/**
 * Builds the `modelsec` program with the given command declarations (see `commandsFor`). Commands are declared
 * without their implementation: each action imports its module when it runs, so `--help` and one command load only
 * what they use. Exported for tests that drive the CLI in process.
 */
export function buildProgram(env: CliEnv, commands: readonly RegisterCommand[]): Command {
  const program = new Command('modelsec')
    .description(
      'AI supply-chain security: scan models for unsafe payloads, build ML-BOMs, sign and verify models\n' +
        '(OpenSSF Model Signing), and publish them to a signed model registry.',
    )
    .version(MODELSEC_VERSION, '-V, --version', 'print the modelsec version')
    .option('--json', 'machine-readable output on stdout: {"ok": true, ...} or {"ok": false, "error": {...}}')
    .option('-q, --quiet', 'print only results (no logs, no progress)')
    .option('-v, --verbose', 'print debug logs on stderr')
    .option('--no-color', 'never colour the output (also: NO_COLOR=1)')
    .showSuggestionAfterError(true)
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nRun 'modelsec help <command>' for a command's flags and examples.`);

  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => env.stdout.write(s),
    writeErr: () => {
      /* errors are printed once by main, in the chosen format */
    },
  });
  for (const register of commands) register(program, env);
  // Subcommands inherit exitOverride and output settings.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride();
      sub.configureOutput({ writeOut: (s) => env.stdout.write(s), writeErr: () => {} });
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Parses `argv` and runs the command it names; returns the process exit code. Never throws. */
export async function runProgram(argv: string[], streams: OutputStreams, cwd: string): Promise<ExitCode> {
  const env: CliEnv = { ...streams, exitCode: 0, cwd };
  const program = buildProgram(env, await commandsFor(argv));
  try {
    await program.parseAsync(argv);
    return env.exitCode;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      if (thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.version' || thrown.code === 'commander.help')
        return 0;
      const hint = thrown.code === 'commander.unknownCommand' ? subcommandHint(program, argv) : undefined;
      const error = new ModelsecError('USAGE', hint ?? thrown.message.replace(/^error: /, ''), {
        details: { reason: thrown.code },
      });
      await report(program, env, error, argv);
      return error.exitCode;
    }
    const error = toModelsecError(thrown);
    await report(program, env, error, argv);
    return error.exitCode;
  }
}

/**
 * For `modelsec sign ./model` (a group command given a path where its method goes): which word was expected, e.g.
 * "sign takes a method first: key, certificate or sigstore (modelsec sign key ./model ...)". Undefined elsewhere.
 */
function subcommandHint(program: Command, argv: string[]): string | undefined {
  let group: Command = program;
  for (const word of argv.slice(2)) {
    if (word.startsWith('-')) continue;
    const sub = group.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) {
      group = sub;
      continue;
    }
    if (group === program || group.commands.length === 0) return undefined;
    const subs = group.commands.filter((c) => c.name() !== 'help');
    const names = subs.map((c) => c.name());
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join('');
    // The word was probably the first command's argument (a model path): show where it goes.
    const example = (subs[0]?.registeredArguments.length ?? 0) > 0 ? `e.g. modelsec ${group.name()} ${names[0]} ${word}; ` : '';
    return `'${word}' is not a ${group.name()} command: ${group.name()} takes one of ${list} first (${example}see modelsec ${group.name()} --help)`;
  }
  return undefined;
}

async function report(program: Command, env: CliEnv, error: ModelsecError, argv: string[]): Promise<void> {
  const { Output } = await import('./output.js');
  // Global flags may not have been parsed when commander itself failed, so look at argv as well.
  const opts = program.opts() as GlobalOptions;
  const options: GlobalOptions = {
    json: Boolean(opts.json) || argv.includes('--json'),
    quiet: Boolean(opts.quiet) || argv.includes('--quiet') || argv.includes('-q'),
    verbose: Boolean(opts.verbose) || argv.includes('--verbose') || argv.includes('-v'),
    color: opts.color !== false && !argv.includes('--no-color'),
  };
  new Output(options, env).error(error);
}
