/**
 * The one renderer of errors: every failure leaves the API as RFC 9457 problem+json with the
 * request id. AppErrors show their own detail; framework 4xx errors keep Fastify's message (it
 * describes the caller's request); anything else is a 500 whose detail reveals nothing internal.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type FieldProblem } from '../core/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `urn:doklad:problem:${code}`;
}

export interface ProblemInput {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title?: string;
  /** Extra members (RFC 9457 extensions), e.g. `errors` for validation failures. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, input: ProblemInput): FastifyReply {
  const body: Problem = {
    type: problemType(input.code),
    title: input.title ?? STATUS_CODES[input.status] ?? 'Error',
    status: input.status,
    detail: input.detail,
    code: input.code,
    instance: request.id,
    ...input.extensions,
  };
  return reply.status(input.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Framework error codes that deserve a stable code of our own. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_body',
};

function validationProblems(error: FastifyError): FieldProblem[] {
  const context = error.validationContext ?? 'request';
  return (error.validation ?? []).map((v) => ({
    field: [context, ...v.instancePath.split('/').filter(Boolean)].join('.'),
    message: v.message ?? 'is invalid',
  }));
}

/**
 * Errors Fastify raises while routing, before any hook or the error handler runs: a path
 * parameter beyond the router's length limit (414) or a URL that is not valid percent-encoding
 * (400). Passed to Fastify as `frameworkErrors`, so they are problems like every other error.
 */
export function renderFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  reply.header('x-request-id', request.id);
  return sendProblem(request, reply, {
    status,
    code: status === 414 ? 'uri_too_long' : 'bad_url',
    detail:
      status === 414
        ? 'A path parameter is longer than the API accepts.'
        : 'The URL is not valid (check its percent-encoding).',
  });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.status >= 500 && error.status !== 503) request.log.error({ err: error }, 'service error');
      // A refusal that names when to come back says so in the standard header too (RFC 9110).
      const retryAfter = error.extensions?.retryAfterSeconds;
      if (typeof retryAfter === 'number')
        reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
      return sendProblem(request, reply, {
        status: error.status,
        code: error.code,
        title: error.title,
        detail: error.detail,
        extensions: error.extensions,
      });
    }
    if (hasZodFastifySchemaValidationErrors(error) || error.validation) {
      const errors = validationProblems(error);
      return sendProblem(request, reply, {
        status: 400,
        code: 'validation_failed',
        title: 'Validation failed',
        detail: `The request is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
        extensions: { errors },
      });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response does not match its schema');
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendProblem(request, reply, {
        status,
        code: FRAMEWORK_CODES[error.code] ?? (status === 429 ? 'too_many_requests' : 'bad_request'),
        detail: error.message,
      });
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(request, reply, {
      status: 500,
      code: 'internal_error',
      detail: 'An unexpected error occurred. Quote the instance id when reporting it.',
    });
  });

  // Unknown routes count against the rate limit too, so scanning for endpoints is throttled.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) =>
    sendProblem(request, reply, {
      status: 404,
      code: 'route_not_found',
      detail: `No route ${request.method} ${request.url.split('?')[0]}.`,
    }),
  );
}
