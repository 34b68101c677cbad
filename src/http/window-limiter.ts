import type { Clock } from '../clock.ts';

export interface WindowLimiter {
  /** Counts one hit for `key`; returns 0 when allowed, else seconds until the window resets. */
  hit(key: string): number;
}

// Fixed-window counter kept in memory: per-account login throttling in one process.
// (Per-IP limits use @fastify/rate-limit.) Old windows are dropped as they are passed.
export function createWindowLimiter(max: number, windowMs: number, clock: Clock): WindowLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    hit(key) {
      const now = clock.now().getTime();
      if (windows.size > 10_000) {
        for (const [k, w] of windows) if (now - w.start >= windowMs) windows.delete(k);
      }
      const current = windows.get(key);
      if (!current || now - current.start >= windowMs) {
        windows.set(key, { start: now, count: 1 });
        return 0;
      }
      current.count += 1;
      return current.count > max ? Math.ceil((current.start + windowMs - now) / 1000) : 0;
    },
  };
}
