import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../context.js';
import { BillfoldError, type ErrorType } from '../errors.js';

/** The one place where error types become HTTP statuses. */
export const statusOf: Record<ErrorType, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payment: 402,
  idempotency: 409,
  rate_limited: 429,
  gateway: 502,
  internal: 500,
};

export const errorEnvelope = z.object({
  error: z.object({
    type: z.string(),
    code: z.string().describe('Stable and namespaced, e.g. member.not_found'),
    message: z.string(),
    param: z.string().nullable(),
    request_id: z.string(),
  }),
});

/** Errors Fastify raises before our handler runs, and what we call them. */
const fastifyErrors: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'request.malformed_json',
    message: 'The body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'request.malformed_json',
    message: 'The JSON body is empty',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'request.too_large',
    message: 'The body is over the size limit',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'request.unsupported_media_type',
    message: 'Send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'request.invalid_length' },
  FST_ERR_BAD_URL: {
    status: 400,
    code: 'request.malformed_url',
    message: 'The URL is not valid: a path segment is not well-formed percent-encoded UTF-8',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 400,
    code: 'request.invalid',
    message: 'A path parameter is over 100 characters: no id is that long',
  },
};

export function toEnvelope(
  error: unknown,
  requestId: string,
): { status: number; body: z.infer<typeof errorEnvelope> } {
  const body = (type: string, code: string, message: string, param: string | null = null) => ({
    error: { type, code, message, param, request_id: requestId },
  });
  if (error instanceof BillfoldError) {
    return {
      status: statusOf[error.type],
      body: body(error.type, error.code, error.message, error.param ?? null),
    };
  }
  const fastifyError = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fastifyError)) {
    const first = fastifyError.validation[0];
    const where = fastifyError.validationContext ?? 'body';
    const path = first?.instancePath.replace(/^\//, '').replaceAll('/', '.') ?? '';
    // Unknown fields are reported on their parent; name the fields themselves.
    const unknownKeys =
      first?.keyword === 'unrecognized_keys' ? (first.params as { keys?: string[] }).keys : undefined;
    const param = unknownKeys?.join(',') || path || where;
    const message = `${where === 'body' ? '' : `${where}: `}${path ? `${path}: ` : ''}${first?.message ?? 'invalid'}`;
    return { status: 400, body: body('invalid_request', 'request.invalid', message, param) };
  }
  if (fastifyError.code === '23505') {
    // A unique index refused a row that a concurrent request inserted first.
    return {
      status: 409,
      body: body(
        'conflict',
        'request.conflict',
        'A concurrent request made the same change; reload and retry',
      ),
    };
  }
  const known = fastifyError.code ? fastifyErrors[fastifyError.code] : undefined;
  if (known) {
    return {
      status: known.status,
      body: body('invalid_request', known.code, known.message ?? fastifyError.message),
    };
  }
  if (fastifyError.statusCode === 429) {
    return {
      status: 429,
      body: body('rate_limited', 'request.rate_limited', 'Too many attempts; try again later'),
    };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      body: body('invalid_request', 'request.invalid', fastifyError.message),
    };
  }
  return {
    status: 500,
    body: body('internal', 'internal.error', 'Something went wrong on our side; it was logged'),
  };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, log: Logger) {
  const { status, body } = toEnvelope(error, request.id);
  // The route's pattern, not its URL: a URL can carry a token (invite previews).
  if (status >= 500)
    log.error({ err: error, request_id: request.id, route: request.routeOptions.url }, 'request failed');
  return reply.code(status).send(body);
}
