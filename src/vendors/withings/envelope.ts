/**
 * One call to a Withings service: `POST {apiUrl}{path}` with the `action` and its parameters
 * form-encoded in the body, the user's token as a Bearer header, through the one outbound
 * wrapper (timeouts, retries on HTTP 408/429/5xx and network failures, typed errors). The
 * answer is an envelope `{ status, body, error }` on HTTP 200: status 0 gives `body`, any
 * other status throws the typed error of its family (src/vendors/withings/errors.ts).
 *
 *   const body = await callWithings<MeasureBody>(deps, {
 *     path: '/measure', action: 'getmeas', params: { category: 1, lastupdate: 1718870000 }, accessToken,
 *   });
 *
 * Nothing here logs: parameters carry tokens, nonces and signatures, answers health data.
 */
import { AppError } from '../../errors.ts';
import { isLoopbackUrl, type OutboundHttp } from '../../http/outbound.ts';
import { envelopeError, WITHINGS_VENDOR, WithingsApiError } from './errors.ts';

export interface WithingsCallDeps {
  http: OutboundHttp;
  /**
   * Spends the application-wide request budget before each call (Withings counts every call,
   * token requests included, against one limit): waits, or throws RateBudgetExhausted.
   */
  spend?: ((signal?: AbortSignal) => Promise<void>) | undefined;
  /** Base of every service, e.g. https://wbsapi.withings.net (no trailing slash). */
  apiUrl: string;
  now: () => Date;
}

export type WithingsParams = Record<string, string | number | undefined>;

export interface WithingsRequest {
  /** The service, e.g. `/measure`, `/v2/measure`, `/v2/oauth2`, `/notify`. */
  path: string;
  action: string;
  params?: WithingsParams;
  /** The user's access token; none for the oauth2 and signature services. */
  accessToken?: string;
  /** HTTP-level retries (0 for requests that must not be sent twice, such as a token request). */
  retries?: number;
  signal?: AbortSignal;
}

/** The `body` of a status-0 envelope; throws WithingsApiError / WithingsRateLimitError otherwise. */
export async function callWithings<T>(deps: WithingsCallDeps, request: WithingsRequest): Promise<T> {
  const url = `${deps.apiUrl}${request.path}`;
  // Client secrets and tokens travel in these requests: plain http only to the sandbox on loopback.
  if (!url.startsWith('https://') && !isLoopbackUrl(url)) {
    throw new AppError('VENDOR_ERROR', 'withings: plain http is allowed only on loopback');
  }
  await deps.spend?.(request.signal);
  const form = new URLSearchParams({ action: request.action });
  for (const [key, value] of Object.entries(request.params ?? {})) {
    if (value !== undefined) form.set(key, String(value));
  }
  const response = await deps.http.request({
    vendor: WITHINGS_VENDOR,
    url,
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      ...(request.accessToken ? { authorization: `Bearer ${request.accessToken}` } : {}),
    },
    body: form,
    ...(request.retries !== undefined ? { retries: request.retries } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const envelope = parseEnvelope(await response.text());
  if (!envelope) throw new WithingsApiError(null, 'bad_response', undefined);
  if (envelope.status === 0) return (envelope.body ?? {}) as T;
  throw envelopeError(envelope.status, envelope.error, envelope.body, deps.now().getTime());
}

interface Envelope {
  status: number;
  body?: unknown;
  error?: string;
}

function parseEnvelope(text: string): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { status, body, error } = parsed as Record<string, unknown>;
  if (typeof status !== 'number' || !Number.isInteger(status)) return undefined;
  return { status, body, ...(typeof error === 'string' ? { error } : {}) };
}
