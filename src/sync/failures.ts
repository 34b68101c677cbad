/**
 * What a vendor failure means for a sync: skip one type, wait, retry, or stop for good.
 *
 *   classify(err) -> { kind: 'skip-type' | 'delay' | 'retry' | 'reauth' | 'not-linked' | 'gone' | 'revoked' | 'unknown', code, message }
 */
import { AppError } from '../errors.ts';
import { VendorHttpError, VendorNetworkError, VendorRateLimitError } from '../http/outbound.ts';
import { googleErrorReason } from '../vendors/fitbit/client.ts';
import { RateBudgetExhausted } from '../vendors/fitbit/rate-budget.ts';
import { VendorGrantRevokedError } from '../vendors/types.ts';

export type FailureKind =
  /** This type cannot be read (scope refused, bad request): report it, sync the others. */
  | 'skip-type'
  /** Rate limited (our budget, or the vendor's 429): come back later, no attempt spent. */
  | 'delay'
  /** 5xx (503 included), timeouts, network: retry with backoff, spending an attempt. */
  | 'retry'
  /** 401 even after a forced refresh: the grant is dead. */
  | 'reauth'
  /** The refresh said invalid_grant (access-tokens already marked the integration). */
  | 'revoked'
  /** 400 ACCOUNT_NOT_LINKED: the Google account has no Google Health profile. */
  | 'not-linked'
  /** 410 Gone. */
  | 'gone'
  /** The integration holds no tokens. */
  | 'not-connected'
  | 'unknown';

export interface Failure {
  kind: FailureKind;
  code: string;
  message: string;
  /** For 'delay' from our own budget: when to come back (epoch ms). */
  untilMs?: number;
}

export function classify(err: unknown): Failure {
  if (err instanceof RateBudgetExhausted) {
    return { kind: 'delay', code: 'VENDOR_RATE_LIMITED', message: err.message, untilMs: err.untilMs };
  }
  if (err instanceof VendorRateLimitError) {
    // A 503 with a long Retry-After is still unavailability: it spends attempts, so an outage ends.
    if (err.vendorStatus === 503)
      return { kind: 'retry', code: 'VENDOR_UNAVAILABLE', message: 'HTTP 503 (Retry-After)' };
    return { kind: 'delay', code: 'VENDOR_RATE_LIMITED', message: 'vendor rate limit (429)' };
  }
  if (err instanceof VendorGrantRevokedError) {
    return { kind: 'revoked', code: 'VENDOR_AUTH_REVOKED', message: err.message };
  }
  if (err instanceof VendorNetworkError)
    return { kind: 'retry', code: 'VENDOR_UNAVAILABLE', message: err.message };
  // NOTE: the outbound wrapper's per-attempt timeout can also fire while the body is still being read.
  if (err instanceof DOMException && err.name === 'TimeoutError')
    return { kind: 'retry', code: 'VENDOR_UNAVAILABLE', message: 'vendor response timed out' };
  if (err instanceof VendorHttpError) {
    const reason = googleErrorReason(err.vendorBody);
    const status = err.vendorStatus;
    const message = `HTTP ${status}${reason ? ` ${reason}` : ''}`;
    // NOTE: 429 RESOURCE_EXHAUSTED: retry later with backoff (docs/google-health.md §7, §9). A quota refills, so
    // waiting spends no attempt; 503 UNAVAILABLE is retried as a 5xx below, a bounded number of times.
    if (status === 429) return { kind: 'delay', code: 'VENDOR_RATE_LIMITED', message };
    if (status === 401) return { kind: 'reauth', code: 'VENDOR_AUTH_REVOKED', message };
    // NOTE: a partial consent yields 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT for that type only (docs/google-health.md §2, §7).
    if (status === 403 && reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')
      return { kind: 'skip-type', code: 'SCOPE_NOT_GRANTED', message };
    // NOTE: 400 FAILED_PRECONDITION ACCOUNT_NOT_LINKED: no Google Health profile yet (docs/google-health.md §7).
    if (reason === 'ACCOUNT_NOT_LINKED') return { kind: 'not-linked', code: 'ACCOUNT_NOT_LINKED', message };
    // NOTE: the retired legacy API answers 410 Gone (docs/google-health.md §0.8); treat the provider as unavailable.
    if (status === 410) return { kind: 'gone', code: 'PROVIDER_UNAVAILABLE', message };
    if (err.retryable) return { kind: 'retry', code: 'VENDOR_UNAVAILABLE', message };
    return { kind: 'skip-type', code: 'VENDOR_ERROR', message };
  }
  if (err instanceof AppError && err.code === 'VENDOR_NOT_CONNECTED') {
    return { kind: 'not-connected', code: 'VENDOR_NOT_CONNECTED', message: err.message };
  }
  return { kind: 'unknown', code: 'INTERNAL', message: err instanceof Error ? err.name : 'error' };
}
