import { setTimeout as sleepFor } from 'node:timers/promises';
import { AppError } from '../errors.ts';

// The one wrapper for every call to a vendor: injectable fetch, a timeout per attempt,
// retries only on 408/429/5xx (and network failures) with jittered capped backoff that
// honours Retry-After, and typed errors. A wait longer than `maxWaitMs` is never slept:
// it becomes a VendorRateLimitError that the job layer turns into a delayed retry.

const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;

/** The vendor answered with a non-2xx status (after any retries). Carries its error body. */
export class VendorHttpError extends AppError {
  readonly vendor: string;
  readonly vendorStatus: number;
  readonly vendorBody: unknown;
  readonly retryable: boolean;
  constructor(vendor: string, vendorStatus: number, vendorBody: unknown) {
    const retryable = RETRYABLE_STATUS(vendorStatus);
    super(retryable ? 'VENDOR_UNAVAILABLE' : 'VENDOR_ERROR', `${vendor} answered HTTP ${vendorStatus}`);
    this.name = 'VendorHttpError';
    this.vendor = vendor;
    this.vendorStatus = vendorStatus;
    this.vendorBody = vendorBody;
    this.retryable = retryable;
  }
}

/** Rate limited (or told to come back later) for longer than we are willing to sleep. */
export class VendorRateLimitError extends AppError {
  readonly vendor: string;
  readonly vendorStatus: number;
  readonly retryable = true;
  constructor(vendor: string, vendorStatus: number, retryAfterSeconds: number) {
    super('VENDOR_RATE_LIMITED', `${vendor} asked to retry in ${retryAfterSeconds}s`, {
      retryAfter: retryAfterSeconds,
    });
    this.name = 'VendorRateLimitError';
    this.vendor = vendor;
    this.vendorStatus = vendorStatus;
  }
}

/** No HTTP answer at all: timeout, refused connection, DNS failure. */
export class VendorNetworkError extends AppError {
  readonly vendor: string;
  readonly timedOut: boolean;
  readonly retryable = true;
  constructor(vendor: string, timedOut: boolean, cause: unknown) {
    super('VENDOR_UNAVAILABLE', `${vendor} ${timedOut ? 'timed out' : 'is unreachable'}`, { cause });
    this.name = 'VendorNetworkError';
    this.vendor = vendor;
    this.timedOut = timedOut;
  }
}

export interface OutboundOptions {
  fetch: typeof fetch;
  /** Per attempt. */
  timeoutMs?: number;
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest wait we sleep through; a longer Retry-After becomes a VendorRateLimitError. */
  maxWaitMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export interface OutboundRequest {
  /** Names the vendor in errors and logs. */
  vendor: string;
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  timeoutMs?: number;
  /** Overrides maxRetries for this call (0 for non-idempotent requests such as a code exchange). */
  retries?: number;
  signal?: AbortSignal;
}

export interface OutboundHttp {
  /** The final response, whatever its status; throws only for network errors and long waits. */
  send(req: OutboundRequest): Promise<Response>;
  /** Like send, but a non-2xx status throws VendorHttpError (or VendorRateLimitError for 429). */
  request(req: OutboundRequest): Promise<Response>;
  json<T>(req: OutboundRequest): Promise<T>;
}

export function createOutboundHttp(options: OutboundOptions): OutboundHttp {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const now = options.now ?? Date.now;

  async function attempt(req: OutboundRequest): Promise<Response> {
    const timeout = AbortSignal.timeout(req.timeoutMs ?? timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    try {
      return await options.fetch(req.url, {
        method: req.method ?? 'GET',
        ...(req.headers ? { headers: req.headers } : {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        redirect: 'manual',
        signal,
      });
    } catch (err) {
      if (req.signal?.aborted) throw err;
      throw new VendorNetworkError(req.vendor, timeout.aborted, err);
    }
  }

  async function send(req: OutboundRequest): Promise<Response> {
    const retries = req.retries ?? maxRetries;
    for (let n = 0; ; n += 1) {
      let response: Response | undefined;
      let failure: VendorNetworkError | undefined;
      try {
        response = await attempt(req);
      } catch (err) {
        if (!(err instanceof VendorNetworkError)) throw err;
        failure = err;
      }
      if (response && !RETRYABLE_STATUS(response.status)) return response;
      const retryAfterMs = response ? parseRetryAfter(response.headers.get('retry-after'), now()) : undefined;
      if (response && retryAfterMs !== undefined && retryAfterMs > maxWaitMs) {
        await response.body?.cancel();
        throw new VendorRateLimitError(req.vendor, response.status, Math.ceil(retryAfterMs / 1000));
      }
      if (n >= retries) {
        if (failure) throw failure;
        return response as Response;
      }
      await response?.body?.cancel();
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** n);
      const delay = retryAfterMs ?? Math.round(backoff / 2 + random() * (backoff / 2));
      await sleep(delay, req.signal);
    }
  }

  async function request(req: OutboundRequest): Promise<Response> {
    const response = await send(req);
    if (response.ok) return response;
    const body = await readErrorBody(response);
    if (response.status === 429) {
      const wait = parseRetryAfter(response.headers.get('retry-after'), now());
      throw new VendorRateLimitError(req.vendor, 429, Math.max(1, Math.ceil((wait ?? 60_000) / 1000)));
    }
    throw new VendorHttpError(req.vendor, response.status, body);
  }

  return {
    send,
    request,
    async json<T>(req: OutboundRequest): Promise<T> {
      const response = await request({ ...req, headers: { accept: 'application/json', ...req.headers } });
      return (await response.json()) as T;
    },
  };
}

/** Worth retrying later: a 408/429/5xx answer, a rate limit, or no answer at all. */
export function isRetryableVendorError(err: unknown): boolean {
  return err instanceof AppError && (err.code === 'VENDOR_UNAVAILABLE' || err.code === 'VENDOR_RATE_LIMITED');
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

async function readErrorBody(response: Response): Promise<unknown> {
  const text = (await response.text()).slice(0, 4096);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** True for http(s) URLs on the loopback interface: the only place plain http is allowed. */
export function isLoopbackUrl(url: string | URL): boolean {
  const { hostname } = new URL(url);
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  );
}
