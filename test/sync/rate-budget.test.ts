// The in-process request budget on an injected clock, the factory that picks a budget, and what a
// Redis-backed budget does when Redis is not there (refuses; never lets requests through uncounted).
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Log } from '../../src/log.ts';
import { RateBudgetUnavailable } from '../../src/sync/rate-budget.redis.ts';
import { createRateBudget, RateBudgetExhausted, type RateBudgetOptions } from '../../src/sync/rate-budget.ts';
import { createRateBudgets } from '../../src/sync/rate-budgets.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');

/** A budget whose sleeps move the fake clock instead of waiting. */
function simulated(options: Omit<RateBudgetOptions, 'now' | 'sleep'>, onSleep?: () => Promise<void>) {
  const state = { now: T0, sleeps: [] as number[] };
  const budget = createRateBudget({
    ...options,
    now: () => state.now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      state.sleeps.push(ms);
      state.now += ms;
      await onSleep?.();
    },
  });
  return { budget, state };
}

/** The most grants inside any window [t, t + windowMs) that starts at a grant. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) < (sorted[start] as number) + windowMs) end++;
    best = Math.max(best, end - start);
  }
  return best;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

function recordingLog() {
  const warnings: unknown[][] = [];
  const log = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Log;
  return { log, warnings };
}

describe('in-process rate budget', () => {
  it('grants the burst at once, then one token per 60 000 / perMinute ms', async () => {
    const { budget, state } = simulated({ perMinute: 60, burst: 3 });
    for (let i = 0; i < 3; i++) await budget.take('u');
    expect(state.sleeps).toEqual([]);
    await budget.take('u');
    expect(state.sleeps).toEqual([1000]);
    expect(state.now).toBe(T0 + 1000);
  });

  it('throws RateBudgetExhausted with the instant a token is free when that is beyond maxWaitMs', async () => {
    const { budget, state } = simulated({ perMinute: 6, burst: 1, maxWaitMs: 2000 });
    await budget.take('u');
    const err = await rejection(budget.take('u'));
    expect(err).toBeInstanceOf(RateBudgetExhausted);
    expect((err as RateBudgetExhausted).untilMs).toBe(T0 + 10_000);
    expect(state.sleeps).toEqual([]);
  });

  it('maxWaitMs bounds the whole wait: a token taken by another caller meanwhile ends it', async () => {
    let steal = true;
    const { budget, state } = simulated({ perMinute: 60, burst: 1, maxWaitMs: 1500 }, async () => {
      // While the first caller sleeps, another takes the token it was waiting for.
      if (steal) {
        steal = false;
        await budget.take('u');
      }
    });
    await budget.take('u');
    const err = await rejection(budget.take('u'));
    expect(state.sleeps).toEqual([1000]);
    expect((err as RateBudgetExhausted).untilMs).toBe(T0 + 2000);
  });

  it('no window of w ms admits more than burst + perMinute * w / 60 s, whatever the arrivals', async () => {
    const perMinute = 240;
    const burst = 30;
    const { budget, state } = simulated({ perMinute, burst, maxWaitMs: 0 });
    const granted: number[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const call = async () => {
      try {
        await budget.take('u');
        granted.push(state.now);
      } catch (err) {
        if (!(err instanceof RateBudgetExhausted)) throw err;
      }
    };
    while (state.now < T0 + 20 * 60_000) {
      const phase = random();
      if (phase < 0.3) {
        // Callers faster than the refill for longer than a minute: the bucket runs dry.
        const end = state.now + 70_000;
        while (state.now < end) {
          await call();
          state.now += Math.floor(random() * 20);
        }
      } else if (phase < 0.7) {
        // A handful of callers, close together.
        const callers = Math.floor(random() * 60);
        for (let i = 0; i < callers; i++) {
          await call();
          state.now += Math.floor(random() * 50);
        }
      }
      // A pause: the bucket refills partly or fully.
      state.now += Math.floor(random() * 20_000);
    }
    expect(maxInWindow(granted, 60_000)).toBeLessThanOrEqual(burst + perMinute);
    expect(maxInWindow(granted, 10_000)).toBeLessThanOrEqual(burst + perMinute / 6);
    // ... and the bound is reached, not merely respected by refusing everything.
    expect(maxInWindow(granted, 60_000)).toBeGreaterThanOrEqual(burst + perMinute - 2);
  });

  it('a cooldown empties the bucket and blocks until its end; a shorter one does not shorten it', async () => {
    const { budget, state } = simulated({ perMinute: 60, burst: 5, maxWaitMs: 0 });
    await budget.take('u');
    expect(await budget.cooldown('u', 30_000)).toBe(T0 + 30_000);
    expect(await budget.cooldown('u', 5_000)).toBe(T0 + 30_000);
    expect(((await rejection(budget.take('u'))) as RateBudgetExhausted).untilMs).toBe(T0 + 30_000);
    state.now = T0 + 29_999;
    await expect(budget.take('u')).rejects.toBeInstanceOf(RateBudgetExhausted);
    state.now = T0 + 30_000;
    // Refilled meanwhile: 30 s at 1/s, capped at the burst.
    for (let i = 0; i < 5; i++) await budget.take('u');
    await expect(budget.take('u')).rejects.toBeInstanceOf(RateBudgetExhausted);
  });

  it('keys are independent', async () => {
    const { budget } = simulated({ perMinute: 60, burst: 1, maxWaitMs: 0 });
    await budget.take('a');
    await budget.cooldown('c', 60_000);
    await expect(budget.take('a')).rejects.toBeInstanceOf(RateBudgetExhausted);
    await budget.take('b');
  });

  it('an aborted signal ends the wait, and an aborted caller spends nothing', async () => {
    const controller = new AbortController();
    const { budget } = simulated({ perMinute: 60, burst: 1, maxWaitMs: 5000 }, async () =>
      controller.abort(),
    );
    await budget.take('u');
    await expect(budget.take('u', controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    const fresh = simulated({ perMinute: 60, burst: 1, maxWaitMs: 0 });
    await expect(fresh.budget.take('u', AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    await fresh.budget.take('u');
  });

  it('refuses figures no bucket can have', () => {
    expect(() => createRateBudget({ perMinute: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createRateBudget({ perMinute: 60, burst: 0.5 })).toThrow(RangeError);
    expect(() => createRateBudget({ perMinute: Number.NaN, burst: 1 })).toThrow(RangeError);
    expect(() => createRateBudget({ perMinute: 60, burst: 1, maxWaitMs: -1 })).toThrow(RangeError);
  });
});

describe('createRateBudgets', () => {
  const figures = { perMinute: 60, burst: 1, maxWaitMs: 0, now: () => T0 };

  it('without Redis: in-process budgets, one per name', async () => {
    const budgets = createRateBudgets({ prefix: 'unused', log: recordingLog().log });
    const perUser = budgets.budget('google-user', figures);
    expect(budgets.budget('google-user', figures)).toBe(perUser);
    await perUser.take('u1');
    await expect(budgets.budget('google-user', figures).take('u1')).rejects.toBeInstanceOf(
      RateBudgetExhausted,
    );
    // Another name is another bucket, even for the same key.
    await budgets.budget('withings-app', figures).take('u1');
  });

  it('refuses a second budget of one name with other figures, and names unfit for a key', () => {
    const budgets = createRateBudgets({ prefix: 'unused', log: recordingLog().log });
    budgets.budget('google-user', figures);
    expect(() => budgets.budget('google-user', { ...figures, perMinute: 120 })).toThrow(/already exists/);
    expect(() => budgets.budget('Google user', figures)).toThrow(RangeError);
    expect(() => budgets.budget('a:b', figures)).toThrow(RangeError);
  });

  it('with Redis that is not connected: take refuses (a delay, no attempt), cooldown still answers', async () => {
    // Never connected: the state of a Redis that is down or reconnecting.
    const redis = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      const { log, warnings } = recordingLog();
      let now = T0;
      const budget = createRateBudgets({ redis, prefix: 'test-budget-down', log }).budget('withings-app', {
        perMinute: 100,
        burst: 10,
        now: () => now,
      });
      const err = await rejection(budget.take('app'));
      expect(err).toBeInstanceOf(RateBudgetUnavailable);
      expect(err).toBeInstanceOf(RateBudgetExhausted); // what the sync's failure classification delays on
      expect((err as RateBudgetExhausted).untilMs).toBe(T0 + 5_000);
      now += 1_000;
      await expect(budget.take('app')).rejects.toBeInstanceOf(RateBudgetUnavailable);
      expect(await budget.cooldown('app', 60_000)).toBe(now + 60_000);
      // Warned once, not on every call.
      expect(warnings).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });
});
