import { ERROR_CODES, type ErrorCode, type ExitCode, isErrorCode } from './codes.js';

/** Structured, JSON-safe detail attached to an error: which file, which field, which limit. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** The JSON shape every error takes on the wire and in `--json` output. */
export interface ErrorJson {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

/**
 * The one error base of modelsec. Every error the library throws on purpose is a ModelsecError with a code
 * from the registry in `codes.ts`; `cause` keeps the underlying error.
 */
export class ModelsecError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelsecError';
    this.code = code;
    this.details = options.details ?? {};
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  toJSON(): ErrorJson {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isModelsecError(value: unknown): value is ModelsecError {
  return (
    value instanceof ModelsecError ||
    (value instanceof Error && isErrorCode((value as { code?: unknown }).code) && 'details' in value)
  );
}

/**
 * Turns anything thrown into a ModelsecError: ours pass through, Node's file-system errors become the matching
 * input error naming the path, anything else is INTERNAL with the original kept as `cause`.
 */
export function toModelsecError(error: unknown): ModelsecError {
  if (error instanceof ModelsecError) return error;
  if (error instanceof Error) {
    const sys = error as NodeJS.ErrnoException;
    const path = sys.path;
    switch (sys.code) {
      case 'ENOENT':
        return new ModelsecError('FILE_NOT_FOUND', `No such file or directory: ${path ?? '(unknown path)'}`, {
          details: path ? { path } : {},
          cause: error,
        });
      case 'EACCES':
      case 'EPERM':
      case 'EISDIR':
      case 'ENOTDIR':
      case 'ELOOP':
      case 'EIO':
        return new ModelsecError('FILE_UNREADABLE', `Cannot read ${path ?? 'file'}: ${sys.code}`, {
          details: { ...(path ? { path } : {}), errno: sys.code },
          cause: error,
        });
      default:
        break;
    }
    return new ModelsecError('INTERNAL', error.message, { cause: error });
  }
  return new ModelsecError('INTERNAL', String(error), { cause: error });
}
