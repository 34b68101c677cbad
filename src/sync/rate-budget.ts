/**
 * A per-vendor-user request budget (token bucket), spent before every Google Health API call so
 * the vendor rarely has to say 429.
 *
 *   const budget = createRateBudget({ perMinute: 240, burst: 30 });
 *   await budget.take(healthUserId, signal);   // waits up to maxWaitMs, else throws RateBudgetExhausted
 *   budget.cooldown(healthUserId, 60_000);     // the vendor said 429/503 anyway: nothing for a while
 *
 * NOTE: the limit is 300 requests per user per minute, counted in clock-minute windows (vendor
 * docs/google-health.md §9). A bucket of `burst` tokens refilled at `perMinute` lets at most burst + perMinute
 * requests into any one minute, so the defaults (30 + 240 = 270) stay under 300 with a margin.
 *
 * In-process only: each process holds its own buckets. The sync job's group lock runs one sync per
 * integration at a time across all workers, so one user's requests come from one process at a
 * time; a job that moves to another worker starts there with a fresh `burst` (docs/sync.md).
 * Time is real time (Date.now), like the job runners' delays.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';

export class RateBudgetExhausted extends Error {
  /** Epoch ms when a request will be allowed again. */
  readonly untilMs: number;
  constructor(untilMs: number) {
    super('vendor request budget exhausted');
    this.name = 'RateBudgetExhausted';
    this.untilMs = untilMs;
  }
}

export interface RateBudgetOptions {
  perMinute?: number;
  burst?: number;
  /** The longest wait `take` sleeps through; longer ones throw RateBudgetExhausted. */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RateBudget {
  take(key: string, signal?: AbortSignal): Promise<void>;
  /** No requests for `key` until now + ms (after a vendor 429/503). Returns that instant. */
  cooldown(key: string, ms: number): number;
}

interface Bucket {
  tokens: number;
  at: number;
  blockedUntil: number;
}

export function createRateBudget(options: RateBudgetOptions = {}): RateBudget {
  const perMinute = options.perMinute ?? 240;
  const burst = options.burst ?? 30;
  const maxWaitMs = options.maxWaitMs ?? 2_000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  function bucketOf(key: string, t: number): Bucket {
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: t, blockedUntil: 0 };
      buckets.set(key, b);
      if (buckets.size > 10_000) prune(t);
    }
    b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
    b.at = t;
    return b;
  }

  function prune(t: number): void {
    for (const [key, b] of buckets) {
      if (b.blockedUntil < t && b.tokens + (t - b.at) * perMs >= burst) buckets.delete(key);
    }
  }

  return {
    async take(key, signal) {
      for (;;) {
        const t = now();
        const b = bucketOf(key, t);
        const readyAt = Math.max(b.blockedUntil, b.tokens >= 1 ? t : t + (1 - b.tokens) / perMs);
        if (readyAt <= t) {
          b.tokens -= 1;
          return;
        }
        if (readyAt - t > maxWaitMs) throw new RateBudgetExhausted(Math.ceil(readyAt));
        await sleep(Math.ceil(readyAt - t), signal);
      }
    },
    cooldown(key, ms) {
      const t = now();
      const b = bucketOf(key, t);
      b.tokens = 0;
      b.blockedUntil = Math.max(b.blockedUntil, t + ms);
      return b.blockedUntil;
    },
  };
}
