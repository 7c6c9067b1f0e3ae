/** One error shape for every route: `{"error": {"code", "message", "details"}}` with the shared table's status. */
import { type ErrorCode, httpStatusFor, isErrorCode, type ModelsecError, toModelsecError } from '@modelsec/core/errors';
import type { FastifyError } from 'fastify';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** Fastify's own errors (validation, body size, content type, JSON syntax) mapped to our codes. */
export function classifyError(error: unknown): { status: number; body: ErrorBody; modelsec?: ModelsecError } {
  const fe = error as Partial<FastifyError> & {
    validation?: { instancePath?: string; message?: string; params?: unknown }[];
    validationContext?: string;
  };
  if (fe && Array.isArray(fe.validation)) {
    const context = fe.validationContext ?? 'body';
    const first = fe.validation[0];
    const field = `${context}${first?.instancePath ?? ''}`;
    let code: ErrorCode = 'SCHEMA_VALIDATION_FAILED';
    if (context === 'params' && /^\/(ns|model)$/.test(first?.instancePath ?? '')) code = 'REGISTRY_NAME_INVALID';
    if (context === 'params' && first?.instancePath === '/version') code = 'REGISTRY_VERSION_INVALID';
    if (context === 'params' && first?.instancePath === '/digest') code = 'INVALID_ARGUMENT';
    return {
      status: httpStatusFor(code),
      body: {
        error: {
          code,
          message: `${field}: ${first?.message ?? 'invalid'}`,
          details: {
            context,
            errors: fe.validation.slice(0, 20).map((v) => ({ path: `${context}${v.instancePath ?? ''}`, message: v.message })),
          },
        },
      },
    };
  }
  const fastifyCode = typeof fe?.code === 'string' ? fe.code : '';
  const mapped: Readonly<Record<string, ErrorCode>> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'USAGE',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
    // Syntax errors and prototype-poisoning keys (`__proto__`, `constructor.prototype`) in a JSON body.
    FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'USAGE',
  };
  const clientStatus = (fe as { statusCode?: unknown })?.statusCode;
  // Any other error fastify raises about the request itself (a 4xx): the caller's input, never INTERNAL.
  const fastifyClientError =
    fastifyCode.startsWith('FST_ERR_') && typeof clientStatus === 'number' && clientStatus >= 400 && clientStatus < 500;
  if (
    mapped[fastifyCode] ||
    fastifyClientError ||
    (fe instanceof SyntaxError && (fe as { statusCode?: number }).statusCode === 400)
  ) {
    const code: ErrorCode = mapped[fastifyCode] ?? (fastifyClientError ? 'USAGE' : 'INVALID_JSON');
    return {
      status: httpStatusFor(code),
      body: { error: { code, message: fe.message ?? code, details: {} } },
    };
  }
  const m = toModelsecError(error);
  const code: ErrorCode = isErrorCode(m.code) ? m.code : 'INTERNAL';
  return {
    status: httpStatusFor(code),
    body: { error: { code, message: m.message, details: (m.details as Record<string, unknown> | undefined) ?? {} } },
    modelsec: m,
  };
}
