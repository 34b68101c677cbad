// google.rpc.Status error bodies (docs/google-health.md §7). Every Health API error the sandbox
// sends is an ApiError, rendered by one function.

const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
// NOTE: the fixtures use domain "googleapis.com"; whether Health reasons use "health.googleapis.com" is unconfirmed (§7).
const DOMAIN = 'googleapis.com';

export interface RpcStatusBody {
  error: {
    code: number;
    message: string;
    status: string;
    details?: Record<string, unknown>[];
  };
}

export class ApiError extends Error {
  readonly httpStatus: number;
  readonly rpcStatus: string;
  readonly details: Record<string, unknown>[];
  readonly headers: Record<string, string>;

  constructor(
    httpStatus: number,
    rpcStatus: string,
    message: string,
    options: { reason?: string; metadata?: Record<string, string>; extra?: Record<string, unknown>[] } = {},
  ) {
    super(message);
    this.httpStatus = httpStatus;
    this.rpcStatus = rpcStatus;
    this.headers = {};
    const details: Record<string, unknown>[] = [];
    if (options.reason) {
      const info: Record<string, unknown> = { '@type': ERROR_INFO, reason: options.reason, domain: DOMAIN };
      if (options.metadata) info.metadata = options.metadata;
      details.push(info);
    }
    this.details = [...details, ...(options.extra ?? [])];
  }

  toBody(): RpcStatusBody {
    const body: RpcStatusBody = {
      error: { code: this.httpStatus, message: this.message, status: this.rpcStatus },
    };
    if (this.details.length) body.error.details = this.details;
    return body;
  }
}

export function invalidArgument(message: string, reason?: string): ApiError {
  return new ApiError(400, 'INVALID_ARGUMENT', message, reason ? { reason } : {});
}

export function filterError(reason: string, message: string): ApiError {
  return invalidArgument(message, reason);
}

const AUTH_MESSAGE =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

export function credentialsMissing(): ApiError {
  const error = new ApiError(
    401,
    'UNAUTHENTICATED',
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { reason: 'CREDENTIALS_MISSING' },
  );
  error.headers['www-authenticate'] = 'Bearer realm="https://accounts.google.com/"';
  return error;
}

/** Expired, revoked or unknown access token. */
export function invalidCredentials(): ApiError {
  // NOTE: the reason for a bad (not missing) token is unconfirmed; troubleshooting says "INVALID_AUTHENTICATOR: Token expired" (§7).
  const error = new ApiError(401, 'UNAUTHENTICATED', AUTH_MESSAGE, { reason: 'ACCESS_TOKEN_EXPIRED' });
  error.headers['www-authenticate'] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"';
  return error;
}

export function scopeInsufficient(): ApiError {
  const error = new ApiError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
    reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
  });
  error.headers['www-authenticate'] =
    'Bearer realm="https://accounts.google.com/", error="insufficient_scope"';
  return error;
}

export function accountNotLinked(): ApiError {
  // NOTE: message text from the 3P fixture error-400-account-not-linked.json (§7, §14.10).
  return new ApiError(400, 'FAILED_PRECONDITION', 'The account is not linked to Google Health.', {
    reason: 'ACCOUNT_NOT_LINKED',
  });
}

export function rateLimited(): ApiError {
  return new ApiError(
    429,
    'RESOURCE_EXHAUSTED',
    "Quota exceeded for quota metric 'Queries per user' and limit 'Queries per minute per user' of service 'health.googleapis.com' for consumer 'project_number:123456789012'.",
    {
      reason: 'RATE_LIMIT_EXCEEDED',
      extra: [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [{ subject: 'project:123456789012', description: 'Quota exceeded' }],
        },
      ],
    },
  );
}

export function injectedStatus(status: number): ApiError {
  if (status === 429) return rateLimited();
  if (status === 503) return new ApiError(503, 'UNAVAILABLE', 'The service is currently unavailable.');
  if (status === 504) return new ApiError(504, 'DEADLINE_EXCEEDED', 'Deadline exceeded.');
  return new ApiError(status, 'INTERNAL', 'Internal error encountered.');
}

export function failedPrecondition(message: string): ApiError {
  return new ApiError(400, 'FAILED_PRECONDITION', message);
}

export function notFound(message: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', message);
}
