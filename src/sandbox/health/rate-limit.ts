// NOTE: 300 requests per user per minute, then 429 RESOURCE_EXHAUSTED (docs/google-health.md §9).
// Google's quotas are per-minute buckets, so this counts in fixed windows of the clock minute.

export class RateLimiter {
  limit: number;
  readonly #windows = new Map<string, { minute: number; count: number }>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Counts a request; false when the person is over the limit in this minute. */
  allow(personId: string, nowMs: number): boolean {
    const minute = Math.floor(nowMs / 60_000);
    const window = this.#windows.get(personId);
    if (!window || window.minute !== minute) {
      this.#windows.set(personId, { minute, count: 1 });
      return true;
    }
    window.count++;
    return window.count <= this.limit;
  }
}
