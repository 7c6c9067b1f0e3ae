import type { Writable } from 'node:stream';
import type { ErrorJson, ModelsecError } from '@modelsec/core/errors';
import { printable, stableJson } from '@modelsec/core/util';
import { Progress } from './progress.js';

/** Like printable(), but keeps line breaks: for the tool's own multi-line messages that quote data. */
function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** The colour sequences paint() writes (SGR: ESC [ n m); nothing else that starts with ESC is the tool's own. */
const SGR = /(\u001b\[[0-9]{1,3}m)/;

/**
 * A command's whole text view made inert as a last line of defence: line breaks and the tool's own colour
 * sequences stay, every other control is escaped (names that commands forget to pass through printable() can at
 * worst start a line, never clear one, move the cursor or retitle the terminal).
 */
export function printableView(text: string): string {
  return text
    .split(SGR)
    .map((part, i) => (i % 2 === 1 ? part : printableLines(part)))
    .join('');
}

/** Global flags every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
}

export interface OutputStreams {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * How a command talks to the user. Results go to stdout (text, or one JSON document with `--json`);
 * logs and progress go to stderr. Colour only on a TTY, never with NO_COLOR or --no-color.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  readonly stdout: OutputStreams['stdout'];
  readonly stderr: OutputStreams['stderr'];
  private readonly stderrIsTty: boolean;

  constructor(options: GlobalOptions, streams: OutputStreams) {
    this.json = Boolean(options.json);
    this.quiet = Boolean(options.quiet);
    this.verbose = Boolean(options.verbose) && !this.quiet;
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    const noColorEnv = streams.env.NO_COLOR !== undefined && streams.env.NO_COLOR !== '';
    this.color = options.color !== false && !noColorEnv && Boolean(streams.stdout.isTTY);
    this.stderrIsTty = Boolean(streams.stderr.isTTY);
  }

  /** Prints a command's result: `{"ok": true, ...data}` with --json, else the text view. */
  result(data: Record<string, unknown>, text: () => string): void {
    if (this.json) {
      this.stdout.write(stableJson({ ok: true, ...data }));
      return;
    }
    const body = printableView(text());
    if (body.length > 0) this.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
  }

  /** Prints a result document verbatim to stdout (a BOM, a SARIF log): the caller owns its format. */
  raw(body: string): void {
    this.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
  }

  /** Prints an error: `{"ok": false, "error": {...}}` on stdout with --json, else a message on stderr. */
  error(error: ModelsecError): void {
    const payload: ErrorJson = error.toJSON();
    if (this.json) {
      this.stdout.write(stableJson({ ok: false, error: payload }));
      return;
    }
    // Messages and details quote names from the data (file names, registry answers): printed inert.
    const detailLines = Object.entries(payload.details)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `  ${printable(k)}: ${typeof v === 'string' ? printable(v) : JSON.stringify(v)}`);
    this.stderr.write(
      `${this.paint('red', 'error')} [${payload.code}] ${printable(payload.message)}\n${detailLines.map((l) => `${l}\n`).join('')}`,
    );
    if (this.verbose && error.cause instanceof Error && error.cause.stack) this.stderr.write(`${error.cause.stack}\n`);
  }

  info(message: string): void {
    if (!this.quiet) this.stderr.write(`${printableLines(message)}\n`);
  }

  warn(message: string): void {
    if (!this.quiet) this.stderr.write(`${this.paint('yellow', 'warning')} ${printableLines(message)}\n`);
  }

  debug(message: string): void {
    if (this.verbose) this.stderr.write(`${this.paint('dim', 'debug')} ${printableLines(message)}\n`);
  }

  /**
   * A progress bar on stderr. It draws only on a TTY, not with --quiet or --json, and only after the work has
   * run for `delayMs` (default 1 s), so short work prints nothing.
   */
  progress(label: string, total?: number, delayMs = 1000): Progress {
    const enabled = this.stderrIsTty && !this.quiet && !this.json;
    return new Progress(this.stderr, label, total, enabled, delayMs);
  }

  paint(style: 'red' | 'yellow' | 'green' | 'bold' | 'dim' | 'cyan', text: string): string {
    if (!this.color) return text;
    const codes = { red: [31, 39], yellow: [33, 39], green: [32, 39], cyan: [36, 39], bold: [1, 22], dim: [2, 22] } as const;
    const [open, close] = codes[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }
}
