import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorCatalog } from '../errors.ts';
import { type Problem, problem } from './problem.ts';
import { type AjvLikeError, toFieldErrors } from './validation.ts';

// The one mapper from errors to application/problem+json (RFC 9457).
export function toProblem(error: unknown): Problem {
  if (error instanceof AppError) {
    return problem(error.code, error.status, errorCatalog[error.code].title, error.message, error.errors);
  }
  const fe = error as FastifyError & { validation?: AjvLikeError[]; validationContext?: string };
  if (fe.validation) {
    const errors = toFieldErrors(fe.validation, fe.validationContext ?? 'body');
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return problem('VALIDATION_FAILED', 400, 'Request is not valid', detail, errors);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('PAYLOAD_TOO_LARGE', 413, 'Request body too large', fe.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(
        'UNSUPPORTED_MEDIA_TYPE',
        415,
        'Unsupported media type',
        'content-type: this body must be sent as application/json',
        [{ field: 'content-type', message: 'must be application/json' }],
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('VALIDATION_FAILED', 400, 'Request is not valid', 'body: must not be empty', [
        { field: 'body', message: 'must not be empty' },
      ]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('VALIDATION_FAILED', 400, 'Request is not valid', 'body: is not valid JSON', [
        { field: 'body', message: 'is not valid JSON' },
      ]);
  }
  if (fe.statusCode === 429) {
    return problem('RATE_LIMITED', 429, 'Too many requests', fe.message || 'Rate limit exceeded');
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return problem('VALIDATION_FAILED', fe.statusCode, 'Request is not valid', fe.message);
  }
  return problem('INTERNAL', 500, 'Internal error', 'An unexpected error occurred');
}

function sendProblem(reply: FastifyReply, p: Problem, retryAfter?: number): FastifyReply {
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.code(p.status).type('application/problem+json').send(p);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const p = toProblem(error);
    if (p.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: p.code, status: p.status }, 'request rejected');
    p.instance = request.id;
    const retryAfter = error instanceof AppError ? error.retryAfter : undefined;
    return sendProblem(reply, p, retryAfter);
  });
  app.setNotFoundHandler((request, reply) => {
    const p = problem(
      'NOT_FOUND',
      404,
      'Not found',
      `No route for ${request.method} ${request.url.split('?')[0]}`,
    );
    return sendProblem(reply, p);
  });
}
