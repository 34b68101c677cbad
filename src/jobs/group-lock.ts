import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Log } from '../log.ts';

// One run at a time per group (integration), across processes: a Redis lock per group key,
// SET NX PX with a random token, renewed while the handler runs, released by compare-and-delete.
// Why Redis and not a PostgreSQL advisory lock: see docs/jobs.md.

export interface GroupLock {
  /** Aborted if the lock could not be renewed (expired, or Redis unreachable for a full TTL). */
  readonly signal: AbortSignal;
  release(): Promise<void>;
}

export interface GroupLocks {
  /** The lock, or undefined if another job of the group holds it. */
  acquire(group: string): Promise<GroupLock | undefined>;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createRedisGroupLocks(
  redis: Redis,
  options: { prefix: string; ttlMs: number; log: Log },
): GroupLocks {
  const { prefix, ttlMs, log } = options;
  return {
    async acquire(group) {
      const key = `${prefix}:group-lock:${group}`;
      const token = randomUUID();
      const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
      if (ok !== 'OK') return undefined;

      const controller = new AbortController();
      let renewedAt = Date.now();
      const lose = (reason: string) => {
        if (controller.signal.aborted) return;
        log.error({ group }, `group lock lost: ${reason}`);
        controller.abort(new Error(`group lock lost: ${reason}`));
      };
      const renew = async () => {
        try {
          const res = await redis.eval(RENEW, 1, key, token, String(ttlMs));
          if (res === 1) renewedAt = Date.now();
          else lose('expired or taken over');
        } catch (err) {
          log.warn({ err, group }, 'group lock renewal failed');
          if (Date.now() - renewedAt >= ttlMs) lose('not renewed within its TTL');
        }
      };
      const interval = setInterval(() => void renew(), Math.max(50, Math.floor(ttlMs / 3)));
      interval.unref();

      return {
        signal: controller.signal,
        async release() {
          clearInterval(interval);
          try {
            await redis.eval(RELEASE, 1, key, token);
          } catch (err) {
            // The lock expires on its own after ttlMs.
            log.warn({ err, group }, 'group lock release failed');
          }
        },
      };
    },
  };
}
