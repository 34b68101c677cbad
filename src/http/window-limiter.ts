/**
 * Fixed-window counters: per-account login throttling (per-IP limits use @fastify/rate-limit).
 *
 *   createWindowLimiter(max, windowMs, clock)             -> in this process's memory
 *   createRedisWindowLimiter(redis, { prefix, max, windowMs, fallback, log })
 *                                                         -> shared by every process on that Redis
 *   await limiter.hit(key) -> 0 when allowed, else seconds until the window resets
 *
 * With several API processes (REDIS_URL set), a limit kept in memory is multiplied by their
 * number; in Redis it holds across them. Keys are stored hashed (an email is personal data).
 * If Redis fails, a hit is counted in the fallback (this process's memory) instead: the limit
 * still holds per process rather than not at all, and logins keep working.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';

export interface WindowLimiter {
  /** Counts one hit for `key`; resolves to 0 when allowed, else seconds until the window resets. */
  hit(key: string): Promise<number>;
}

/** Old windows are dropped as they are passed. */
export function createWindowLimiter(max: number, windowMs: number, clock: Clock): WindowLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    async hit(key) {
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

// INCR, and the window's expiry set by its first hit (or repaired if a key lost it): one round trip.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

export function createRedisWindowLimiter(
  redis: Redis,
  options: { prefix: string; max: number; windowMs: number; fallback: WindowLimiter; log: Log },
): WindowLimiter {
  const { prefix, max, windowMs, fallback, log } = options;
  let warnedAt = Number.NEGATIVE_INFINITY;
  const inMemory = (key: string, err: unknown) => {
    // Once a minute at most: an outage would otherwise log every sign-in.
    if (Date.now() - warnedAt >= 60_000) {
      warnedAt = Date.now();
      log.warn({ err }, 'shared rate limit unavailable; counting in this process');
    }
    return fallback.hit(key);
  };
  return {
    async hit(key) {
      // Not connected (Redis down, reconnecting): no wait for a command that would fail.
      if (redis.status !== 'ready') return inMemory(key, new Error(`Redis connection ${redis.status}`));
      const hashed = createHash('sha256').update(key).digest('base64url');
      try {
        const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, `${prefix}:${hashed}`, windowMs)) as [
          number,
          number,
        ];
        return count > max ? Math.max(1, Math.ceil(ttl / 1000)) : 0;
      } catch (err) {
        return inMemory(key, err);
      }
    },
  };
}
