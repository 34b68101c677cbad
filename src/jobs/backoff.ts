export interface BackoffOptions {
  /** Delay before the second attempt, before jitter. Default 1 s. */
  baseMs?: number;
  /** Cap on any single delay. Default 5 min. */
  maxMs?: number;
}

const DEFAULT_BACKOFF = { baseMs: 1000, maxMs: 5 * 60_000 } as const;

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay is fixed, the
 * other half random, so a burst of failures (a vendor outage) does not retry in lockstep.
 * `failedAttempts` is how many attempts have failed so far (1 after the first failure).
 */
export function computeBackoff(
  failedAttempts: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const exp = Math.min(max, base * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** A small random spread around `ms` (±25%), for re-checks such as a busy group lock. */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.75 + random() * 0.5));
}
