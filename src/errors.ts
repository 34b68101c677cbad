// A small error catalog, one mapper (src/http/error-handler.ts). Services and vendor code
// throw these; nothing outside src/http knows about HTTP replies.

export const errorCatalog = {
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid' },
  UNPROCESSABLE: { status: 422, title: 'Request cannot be processed' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid email or password' },
  INVALID_REFRESH_TOKEN: { status: 401, title: 'Refresh token is not valid' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  EMAIL_TAKEN: { status: 409, title: 'Email already registered' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  UNKNOWN_VENDOR: { status: 422, title: 'Unknown vendor' },
  VENDOR_NOT_CONNECTED: { status: 409, title: 'Vendor is not connected' },
  VENDOR_AUTH_REVOKED: { status: 409, title: 'Vendor authorization was revoked' },
  VENDOR_RATE_LIMITED: { status: 503, title: 'Vendor rate limit reached' },
  VENDOR_UNAVAILABLE: { status: 502, title: 'Vendor is unavailable' },
  VENDOR_ERROR: { status: 502, title: 'Vendor request failed' },
  TOKEN_DECRYPTION_FAILED: { status: 500, title: 'Stored credential cannot be read' },
  OAUTH_FAILED: { status: 502, title: 'Vendor authorization failed' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  JOBS_UNAVAILABLE: { status: 503, title: 'Background jobs unavailable' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** Seconds, for rate limits. */
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    extra: { errors?: FieldError[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(detail ?? errorCatalog[code].title, { cause: extra.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.errors = extra.errors;
    this.retryAfter = extra.retryAfter;
  }
}

export function notFound(what = 'Resource'): AppError {
  return new AppError('NOT_FOUND', `${what} not found`);
}

export function invalidField(
  field: string,
  message: string,
  code: ErrorCode = 'VALIDATION_FAILED',
): AppError {
  return new AppError(code, `${field}: ${message}`, { errors: [{ field, message }] });
}
