/**
 * Withings answers HTTP 200 even when a call fails: the outcome is the envelope's `status`
 * (docs/withings.md "Errors"). This module sorts a status into its family, turns a failed
 * envelope into the project's typed vendor errors, and says what a failure means for a sync.
 *
 *   withingsStatusFamily(601)        -> 'rate_limited'
 *   classifyWithingsError(err)       -> { kind: 'delay', code: 'VENDOR_RATE_LIMITED', untilMs, ... } | undefined
 *
 * Each error keeps an HTTP-like `vendorStatus` chosen so that the vendor-neutral code already
 * does the right thing: an auth failure is a 401 (the access-token service refreshes once), a
 * retryable one a 5xx, a refused call a 4xx, and a rate limit a VendorRateLimitError.
 */
import { VendorHttpError, VendorRateLimitError } from '../../http/outbound.ts';

export const WITHINGS_VENDOR = 'withings';

export type WithingsStatusFamily =
  | 'ok'
  /** The access token is expired or invalid: refresh once, then the user must authorize again. */
  | 'auth'
  /** A bad request (ours). On `requesttoken` it also means a dead code or refresh token. */
  | 'invalid_params'
  /** The scope or the plan does not allow this service. */
  | 'unauthorized'
  /** Unknown service or action. */
  | 'not_implemented'
  | 'timeout'
  | 'bad_state'
  | 'rate_limited'
  /** "An error occurred": Withings' catch-all; any status not listed lands here. */
  | 'error'
  /** Not an envelope at all (an HTML page, a truncated body). */
  | 'bad_response';

type Range = readonly [number, number];

const AUTH: readonly Range[] = [
  [100, 102],
  [200, 200],
  [401, 401],
];
const UNAUTHORIZED: readonly Range[] = [
  [214, 214],
  [277, 277],
  [2553, 2553],
  [2555, 2555],
];
// NOTE: the published status table (docs/withings.md "Errors"); the "error occurred" family is everything else.
const INVALID_PARAMS: readonly Range[] = [
  [201, 213],
  [216, 218],
  [220, 221],
  [223, 223],
  [225, 225],
  [227, 230],
  [234, 236],
  [238, 238],
  [240, 252],
  [254, 254],
  [260, 267],
  [271, 272],
  [275, 276],
  [283, 288],
  [290, 290],
  [293, 295],
  [297, 297],
  [300, 304],
  [321, 321],
  [323, 353],
  [380, 382],
  [400, 400],
  [501, 511],
  [523, 523],
  [532, 532],
  [3017, 3019],
];

const within = (ranges: readonly Range[], status: number) =>
  ranges.some(([low, high]) => status >= low && status <= high);

export function withingsStatusFamily(status: number): Exclude<WithingsStatusFamily, 'bad_response'> {
  if (status === 0) return 'ok';
  if (status === 601) return 'rate_limited';
  if (status === 522) return 'timeout';
  if (status === 524) return 'bad_state';
  if (status === 2554) return 'not_implemented';
  if (within(AUTH, status)) return 'auth';
  if (within(UNAUTHORIZED, status)) return 'unauthorized';
  if (within(INVALID_PARAMS, status)) return 'invalid_params';
  return 'error';
}

/** The HTTP status each family behaves like (see the header): 5xx retry, 4xx do not. */
const HTTP_EQUIVALENT: Record<Exclude<WithingsStatusFamily, 'ok' | 'rate_limited'>, number> = {
  auth: 401,
  invalid_params: 400,
  unauthorized: 403,
  not_implemented: 400,
  timeout: 504,
  bad_state: 502,
  error: 502,
  bad_response: 502,
};

/** A Withings call answered with a non-zero status (or no envelope). `vendorBody` is `{ status, error }`. */
export class WithingsApiError extends VendorHttpError {
  /** The envelope's status; null for `bad_response`. */
  readonly withingsStatus: number | null;
  readonly family: Exclude<WithingsStatusFamily, 'ok' | 'rate_limited'>;
  /** The envelope's `error` text (never holds tokens or health data). */
  readonly withingsError: string | undefined;
  constructor(
    withingsStatus: number | null,
    family: Exclude<WithingsStatusFamily, 'ok' | 'rate_limited'>,
    withingsError: string | undefined,
    detail?: string,
  ) {
    super(WITHINGS_VENDOR, HTTP_EQUIVALENT[family], { status: withingsStatus, error: withingsError });
    this.name = 'WithingsApiError';
    this.message =
      detail ??
      (withingsStatus === null
        ? 'withings answered without an envelope'
        : `withings answered status ${withingsStatus} (${family})`);
    this.withingsStatus = withingsStatus;
    this.family = family;
    this.withingsError = withingsError;
  }
}

/** Status 601: too many requests, or the same token request twice within seconds. */
export class WithingsRateLimitError extends VendorRateLimitError {
  readonly withingsStatus = 601;
  /** When to come back (epoch ms): `wait_seconds` when Withings gave it, else a default. */
  readonly untilMs: number;
  constructor(waitSeconds: number, nowMs: number) {
    super(WITHINGS_VENDOR, 429, waitSeconds);
    this.name = 'WithingsRateLimitError';
    this.untilMs = nowMs + waitSeconds * 1000;
  }
}

/** Without `wait_seconds`: the application-wide limit is per minute. */
export const DEFAULT_WAIT_SECONDS = 60;

/** The error a failed envelope stands for. */
export function envelopeError(
  status: number,
  error: string | undefined,
  body: unknown,
  nowMs: number,
): WithingsApiError | WithingsRateLimitError {
  const family = withingsStatusFamily(status);
  if (family === 'rate_limited') {
    const wait = (body as { wait_seconds?: unknown } | null)?.wait_seconds;
    const seconds = typeof wait === 'number' && wait > 0 ? Math.ceil(wait) : DEFAULT_WAIT_SECONDS;
    return new WithingsRateLimitError(seconds, nowMs);
  }
  // A status 0 never reaches here; if it did, it is not an answer we understand.
  return new WithingsApiError(status, family === 'ok' ? 'bad_response' : family, error);
}

/** The sync engine's vocabulary (the failure kinds of a sync), without depending on it. */
export interface WithingsFailure {
  kind: 'skip-type' | 'delay' | 'retry' | 'reauth';
  code:
    | 'SCOPE_NOT_GRANTED'
    | 'VENDOR_ERROR'
    | 'VENDOR_RATE_LIMITED'
    | 'VENDOR_UNAVAILABLE'
    | 'VENDOR_AUTH_REVOKED';
  message: string;
  untilMs?: number;
}

/**
 * What a Withings envelope failure means for a sync; undefined for any other error (HTTP,
 * network, a revoked grant), which the vendor-neutral classification already knows.
 */
export function classifyWithingsError(err: unknown): WithingsFailure | undefined {
  if (err instanceof WithingsRateLimitError) {
    return {
      kind: 'delay',
      code: 'VENDOR_RATE_LIMITED',
      message: 'withings status 601',
      untilMs: err.untilMs,
    };
  }
  if (!(err instanceof WithingsApiError)) return undefined;
  const message = err.message;
  switch (err.family) {
    case 'auth':
      // withAccessToken already refreshed once and retried: the grant itself is refused.
      return { kind: 'reauth', code: 'VENDOR_AUTH_REVOKED', message };
    case 'unauthorized':
      return { kind: 'skip-type', code: 'SCOPE_NOT_GRANTED', message };
    case 'invalid_params':
    case 'not_implemented':
      return { kind: 'skip-type', code: 'VENDOR_ERROR', message };
    case 'timeout':
    case 'bad_state':
    case 'error':
    case 'bad_response':
      return { kind: 'retry', code: 'VENDOR_UNAVAILABLE', message };
  }
}
