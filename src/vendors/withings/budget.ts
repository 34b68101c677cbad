import type { RateBudget } from '../../sync/rate-budget.ts';
import type { RateBudgets } from '../../sync/rate-budgets.ts';

/**
 * NOTE: Withings allows 120 requests a minute to the whole application, every call counted, token
 * requests and notification subscriptions included (docs/withings.md "Limits"). One budget, one key,
 * spent by every Withings call of every process: 100 a minute with a burst of 10 admits at most
 * 110 in any 60 s.
 */
export const WITHINGS_BUDGET = { perMinute: 100, burst: 10 } as const;
const APP_KEY = 'app';

export interface WithingsBudget {
  readonly budget: RateBudget;
  readonly key: string;
  spend(signal?: AbortSignal): Promise<void>;
}

export function withingsBudget(budgets: RateBudgets): WithingsBudget {
  const budget = budgets.budget('withings-app', WITHINGS_BUDGET);
  return { budget, key: APP_KEY, spend: (signal) => budget.take(APP_KEY, signal) };
}
