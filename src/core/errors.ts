/**
 * The one error base of the application. Services throw these; `app/error-handler.ts` renders
 * them as RFC 9457 problem+json. `detail` is shown to the caller, so it may quote the caller's own
 * input but never a secret or an internal (SQL, stack, file path).
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  /** Dotted path of the failing field, e.g. `body.email`. */
  readonly field: string;
  readonly message: string;
}

export class ValidationFailedError extends AppError {
  constructor(detail: string, errors: readonly FieldProblem[] = []) {
    super(400, 'validation_failed', 'Validation failed', detail, { errors });
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = 'Authentication is required.') {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'You do not have permission to do this.') {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

/** Also used for another tenant's object: to the caller it does not exist. */
export class NotFoundError extends AppError {
  constructor(detail = 'The requested resource does not exist.') {
    super(404, 'not_found', 'Not Found', detail);
  }
}

export class ConflictError extends AppError {
  constructor(detail: string, code = 'conflict') {
    super(409, code, 'Conflict', detail);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(detail: string) {
    super(413, 'payload_too_large', 'Payload Too Large', detail);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  /** `acceptedTypes`, when given, becomes a member of the problem so a client can read it. */
  constructor(detail: string, acceptedTypes?: readonly string[]) {
    super(
      415,
      'unsupported_media_type',
      'Unsupported Media Type',
      detail,
      acceptedTypes ? { acceptedTypes } : {},
    );
  }
}

/**
 * The document exists but its stored content does not (a blob lost or deleted outside Doklad).
 * 410, not 404: the id is right and the document's record still answers, so a 404 would tell the
 * caller the wrong thing; and not 503, since retrying will not bring the bytes back.
 */
export class ContentUnavailableError extends AppError {
  constructor(detail = 'The content of this document is no longer available in storage.') {
    super(410, 'content_unavailable', 'Gone', detail);
  }
}

/** A 429 always says when to come back: the error handler turns it into `Retry-After` (RFC 6585). */
export class TooManyRequestsError extends AppError {
  constructor(detail: string, retryAfterSeconds: number) {
    super(429, 'too_many_requests', 'Too Many Requests', detail, { retryAfterSeconds });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(detail: string, retryAfterSeconds?: number) {
    super(503, 'service_unavailable', 'Service Unavailable', detail, { retryAfterSeconds });
  }
}

/** A sensitive action's password or code confirmation failed (the session itself is fine). */
export class ReauthenticationFailedError extends AppError {
  constructor(detail = 'The password or the code is not correct.') {
    super(403, 'reauthentication_failed', 'Forbidden', detail);
  }
}

/** The action needs a recent password or TOTP confirmation (step-up) first. */
export class StepUpRequiredError extends AppError {
  constructor(detail = 'Confirm your password or a two-factor code (POST /v1/auth/step-up) first.') {
    super(403, 'step_up_required', 'Forbidden', detail);
  }
}

export class RangeNotSatisfiableError extends AppError {
  constructor(readonly sizeBytes: number) {
    super(
      416,
      'range_not_satisfiable',
      'Range Not Satisfiable',
      `The requested range is outside the ${sizeBytes} bytes of the document.`,
    );
  }
}

/**
 * The firm itself is closed to the caller: suspended by the platform (every request refused), or
 * closing (offboarding: only data export and cancelling the closure are possible, and only for
 * people, never integration tokens). 403, not 401: the credential is fine, signing in again
 * would not help, and the code tells a client exactly why.
 */
export class TenantUnavailableError extends AppError {
  constructor(state: 'suspended' | 'offboarding', by: 'session' | 'token' = 'session') {
    super(
      403,
      `tenant_${state}`,
      'Forbidden',
      state === 'suspended'
        ? 'This firm is suspended by the platform operator: no access is possible until it is lifted.'
        : by === 'token'
          ? 'This firm is being closed (offboarding): integration tokens no longer work.'
          : 'This firm is being closed (offboarding): only the data export and cancelling the closure (DELETE /v1/tenant/offboarding) are possible.',
    );
  }
}
