/**
 * The vendor request budgets, one per name: in Redis when one is given (every process spends
 * from the same buckets), else in this process's memory (docs/sync.md, "Rate budgets").
 *
 *   const budgets = createRateBudgets({ redis: limits.redis, prefix: `${queuePrefix}:budget`, log });
 *   const perUser = budgets.budget('google-user', { perMinute: 240, burst: 30 });  // key: vendor user id
 *   const perApp = budgets.budget('withings-app', { perMinute: 100, burst: 10 });  // one key for the app
 *
 * Figures: a bucket of `burst` b refilled at r per minute admits at most b + r * w / 60 s requests
 * in ANY window of w ms, wherever it starts. Proof: at the window's start the bucket holds at most
 * b tokens; inside it at most r * w / 60 s tokens are added; every request spends one token and the
 * count never goes below zero (a cooldown only takes tokens away). So for w = 60 s: b + r.
 * - Google Health, 300 per user per clock minute: r = 240, b = 30 -> at most 270 in any minute.
 * - Withings, 120 per minute for the whole application (over -> status 601): r = 100, b = 10 ->
 *   at most 110 in any rolling 60 s. The margin absorbs network jitter: the vendor counts requests
 *   when they arrive, not when the bucket let them go.
 * Both assume one budget per vendor limit: with Redis, one bucket per key for all processes;
 * without it, one process (the in-process job runner).
 */
import type { Redis } from 'ioredis';
import type { Log } from '../log.ts';
import { createRedisRateBudget } from './rate-budget.redis.ts';
import { createRateBudget, type RateBudget, type RateBudgetOptions } from './rate-budget.ts';

export interface RateBudgets {
  /**
   * The budget called `name` (lowercase letters, digits, '-'): the same one for the same name;
   * asking again with other figures throws.
   */
  budget(name: string, options: RateBudgetOptions): RateBudget;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function createRateBudgets(deps: {
  redis?: Redis | undefined;
  prefix: string;
  log: Log;
}): RateBudgets {
  const made = new Map<string, { budget: RateBudget; figures: string }>();
  return {
    budget(name, options) {
      if (!NAME.test(name)) throw new RangeError(`rate budget name must match ${NAME}: ${name}`);
      const figures = `${options.perMinute}/${options.burst}/${options.maxWaitMs ?? ''}`;
      const known = made.get(name);
      if (known) {
        if (known.figures !== figures)
          throw new RangeError(`rate budget ${name} already exists with ${known.figures}`);
        return known.budget;
      }
      const budget = deps.redis
        ? createRedisRateBudget(deps.redis, { ...options, prefix: `${deps.prefix}:${name}`, log: deps.log })
        : createRateBudget(options);
      made.set(name, { budget, figures });
      return budget;
    },
  };
}
