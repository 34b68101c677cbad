/**
 * What a failure means for a sync: skip one stream, wait, retry, or stop for good.
 *
 *   classify(err, vendor?) -> { kind: 'skip-type' | 'delay' | 'retry' | 'reauth' | 'not-linked' | 'gone' | 'revoked' | 'unknown', code, message }
 *
 * Our own budget, the outbound wrapper's typed errors and the token layer's are read here; the
 * vendor's classify reads its error bodies (Google's google.rpc.Status, Withings' envelope).
 */
import { AppError } from '../errors.ts';
import { VendorHttpError, VendorNetworkError, VendorRateLimitError } from '../http/outbound.ts';
import type { Failure, VendorSync } from '../vendors/sync.types.ts';
import { VendorGrantRevokedError } from '../vendors/types.ts';
import { RateBudgetExhausted } from './rate-budget.ts';

export type { Failure, FailureKind } from '../vendors/sync.types.ts';

export function classify(err: unknown, vendor?: Pick<VendorSync, 'classify'>): Failure {
  const known = vendor?.classify(err);
  if (known) return known;
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
    const status = err.vendorStatus;
    const message = `HTTP ${status}`;
    if (status === 429) return { kind: 'delay', code: 'VENDOR_RATE_LIMITED', message };
    if (status === 401) return { kind: 'reauth', code: 'VENDOR_AUTH_REVOKED', message };
    if (err.retryable) return { kind: 'retry', code: 'VENDOR_UNAVAILABLE', message };
    return { kind: 'skip-type', code: 'VENDOR_ERROR', message };
  }
  if (err instanceof AppError && err.code === 'VENDOR_NOT_CONNECTED') {
    return { kind: 'not-connected', code: 'VENDOR_NOT_CONNECTED', message: err.message };
  }
  return { kind: 'unknown', code: 'INTERNAL', message: err instanceof Error ? err.name : 'error' };
}
