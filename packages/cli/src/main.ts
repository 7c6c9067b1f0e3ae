import type { ExitCode } from '@modelsec/core/errors';
import type { OutputStreams } from './output.js';
import { MODELSEC_VERSION } from './version.js';

/** The flags of `modelsec --version` (commander's `-V, --version` on the program). */
const VERSION_FLAGS: ReadonlySet<string> = new Set(['--version', '-V']);

/**
 * Runs the CLI and returns the process exit code. Never throws. `modelsec --version` alone is answered here, as
 * commander answers it, before commander and the command declarations load: a version probe costs node's start-up.
 */
export async function main(
  argv: string[],
  streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr, env: process.env },
  cwd: string = process.cwd(),
): Promise<ExitCode> {
  if (argv.length === 3 && VERSION_FLAGS.has(argv[2] as string)) {
    streams.stdout.write(`${MODELSEC_VERSION}\n`);
    return 0;
  }
  const { runProgram } = await import('./program.js');
  return runProgram(argv, streams, cwd);
}
