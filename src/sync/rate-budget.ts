/**
 * A vendor request budget (token bucket per key), spent before every vendor API call so the vendor
 * rarely has to refuse one. This file holds the interface and the in-process implementation;
 * src/sync/rate-budget.redis.ts shares one bucket per key among every process on a Redis, and
 * src/sync/rate-budgets.ts picks one of the two (docs/sync.md, "Rate budgets").
 *
 *   const budget = createRateBudget({ perMinute: 240, burst: 30 });
 *   await budget.take(key, signal);             // waits up to maxWaitMs, else throws RateBudgetExhausted
 *   await budget.cooldown(key, 60_000);         // the vendor refused anyway: nothing for a while
 *
 * A bucket holds at most `burst` tokens and refills at `perMinute`; a request spends one. Any
 * window of w ms therefore admits at most burst + perMinute * w / 60_000 requests: the bucket can
 * hold no more than `burst` at the window's start, and no more than that refill arrives inside it.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';

export class RateBudgetExhausted extends Error {
  /** Epoch ms (on the caller's clock) when a request may be allowed again. */
  readonly untilMs: number;
  constructor(untilMs: number, message = 'vendor request budget exhausted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RateBudgetExhausted';
    this.untilMs = untilMs;
  }
}

export interface RateBudgetOptions {
  /** Tokens added per minute (the sustained rate). */
  perMinute: number;
  /** Tokens a full bucket holds (requests allowed back to back). */
  burst: number;
  /** The longest `take` waits in all, sleeps included; a longer wait throws RateBudgetExhausted. Default 2 s. */
  maxWaitMs?: number;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RateBudget {
  /** Spends one token of `key`, waiting for it up to maxWaitMs; else throws RateBudgetExhausted. */
  take(key: string, signal?: AbortSignal): Promise<void>;
  /** No requests for `key` until now + ms (after a vendor 429/601). Resolves to that instant (epoch ms). */
  cooldown(key: string, ms: number): Promise<number>;
}

export const DEFAULT_MAX_WAIT_MS = 2_000;

/** The options with their defaults filled in; throws RangeError on figures no bucket can have. */
export function resolveRateBudgetOptions(options: RateBudgetOptions): Required<RateBudgetOptions> {
  const { perMinute, burst } = options;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  if (!(perMinute > 0 && Number.isFinite(perMinute)))
    throw new RangeError(`perMinute must be > 0: ${perMinute}`);
  if (!(burst >= 1 && Number.isFinite(burst))) throw new RangeError(`burst must be >= 1: ${burst}`);
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0: ${maxWaitMs}`);
  return {
    perMinute,
    burst,
    maxWaitMs,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal })),
  };
}

interface Bucket {
  tokens: number;
  at: number;
  blockedUntil: number;
}

/** Buckets in this process's memory: one process's requests only. */
export function createRateBudget(options: RateBudgetOptions): RateBudget {
  const { perMinute, burst, maxWaitMs, now, sleep } = resolveRateBudgetOptions(options);
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  function bucketOf(key: string, t: number): Bucket {
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: t, blockedUntil: 0 };
      buckets.set(key, b);
      if (buckets.size > 10_000) prune(t);
    }
    // A clock that steps back refills nothing until it has caught up again.
    if (t > b.at) {
      b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
      b.at = t;
    }
    return b;
  }

  // A full bucket with no cooldown is the same as none.
  function prune(t: number): void {
    for (const [key, b] of buckets) {
      if (b.blockedUntil < t && b.tokens + (t - b.at) * perMs >= burst) buckets.delete(key);
    }
  }

  return {
    async take(key, signal) {
      const started = now();
      for (;;) {
        signal?.throwIfAborted();
        const t = now();
        const b = bucketOf(key, t);
        const readyAt = Math.max(b.blockedUntil, b.tokens >= 1 ? t : b.at + (1 - b.tokens) / perMs);
        if (readyAt <= t) {
          b.tokens -= 1;
          return;
        }
        if (readyAt - started > maxWaitMs) throw new RateBudgetExhausted(Math.ceil(readyAt));
        await sleep(Math.ceil(readyAt - t), signal);
      }
    },
    async cooldown(key, ms) {
      const t = now();
      const b = bucketOf(key, t);
      b.tokens = 0;
      b.blockedUntil = Math.max(b.blockedUntil, t + ms);
      return b.blockedUntil;
    },
  };
}
