// The Withings answer envelope: `{status, body, error?}` on HTTP 200, success or not
// (docs/withings.md, The sandbox emulator). Handlers throw WithingsError; the router renders it.

type Json = Record<string, unknown>;

export class WithingsError extends Error {
  readonly status: number;
  readonly body: Json;

  constructor(status: number, error: string, body: Json = {}) {
    super(error);
    this.status = status;
    this.body = body;
  }

  toEnvelope(): { status: number; body: Json; error: string } {
    return { status: this.status, body: this.body, error: this.message };
  }
}

export function ok(body: Json = {}): { status: 0; body: Json } {
  return { status: 0, body };
}

/** 503 "Invalid Params", optionally naming the parameter as Withings does on the token endpoint. */
export function invalidParams(name?: string): WithingsError {
  return new WithingsError(503, name ? `Invalid Params: invalid ${name}` : 'Invalid Params');
}

export function invalidToken(): WithingsError {
  return new WithingsError(
    401,
    'XRequestID: Not provided invalid_token: The access token provided is invalid',
  );
}

export function unknownAction(service: string, action: string | undefined): WithingsError {
  return new WithingsError(2554, `Not implemented: unknown action '${action ?? ''}' for '${service}'`);
}

/**
 * NOTE: Withings does not say which status a call without the needed scope gets (293, 214 and 503 are
 * all reported); the sandbox answers 214, the "Unauthorized" family (docs/withings.md, The sandbox emulator).
 */
export function missingScope(scope: string): WithingsError {
  return new WithingsError(214, `Unauthorized: the access token lacks the scope ${scope}`);
}

/** NOTE: the body and text of a plain 120/min overflow are undocumented; no wait_seconds here on purpose. */
export function tooManyRequests(): WithingsError {
  return new WithingsError(601, 'Too Many Requests');
}

export function sameArguments(waitSeconds: number): WithingsError {
  return new WithingsError(601, 'Same arguments in less than 10 seconds', { wait_seconds: waitSeconds });
}
