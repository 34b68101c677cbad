// NOTE: Withings allows 120 requests per minute per application, all its users together; over
// that, status 601 (docs/withings.md, The sandbox emulator). A rolling 60 s window per client id.
// And the token endpoint's guard: the same arguments twice within 10 s answer 601 too.

import { sameArguments } from './envelope.ts';
import type { Params } from './withings.types.ts';

const WINDOW_MS = 60_000;

export class RollingLimiter {
  limit: number;
  readonly #calls = new Map<string, number[]>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Counts a call of the application; false (and not counted) when it is over the limit. */
  allow(clientId: string, nowMs: number): boolean {
    const calls = (this.#calls.get(clientId) ?? []).filter((t) => t > nowMs - WINDOW_MS);
    this.#calls.set(clientId, calls);
    if (calls.length >= this.limit) return false;
    calls.push(nowMs);
    return true;
  }

  reset(): void {
    this.#calls.clear();
  }
}

const SAME_ARGUMENTS_MS = 10_000;

/** NOTE: an identical requesttoken within 10 s answers 601 with body.wait_seconds (docs/withings.md, The sandbox emulator). */
export class SameArgumentsGuard {
  readonly #seen = new Map<string, number>();

  /** Throws the 601 when the same form was seen less than 10 s ago; remembers it otherwise. */
  check(form: Params, nowMs: number): void {
    for (const [key, at] of this.#seen) if (nowMs - at >= SAME_ARGUMENTS_MS) this.#seen.delete(key);
    const key = JSON.stringify(Object.entries(form).sort(([a], [b]) => a.localeCompare(b)));
    const first = this.#seen.get(key);
    if (first !== undefined)
      throw sameArguments(Math.max(1, Math.ceil((first + SAME_ARGUMENTS_MS - nowMs) / 1000)));
    this.#seen.set(key, nowMs);
  }
}
