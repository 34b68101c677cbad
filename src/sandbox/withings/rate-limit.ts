// NOTE: Withings allows 120 requests per minute per application, all its users together; over
// that, status 601 (docs/withings.md, The sandbox emulator). A rolling 60 s window per client id.

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
