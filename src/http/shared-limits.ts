/**
 * Where the API's rate limits count: in Redis when REDIS_URL is set, so that several API processes
 * share one count per IP and per account, else in this process's memory.
 *
 *   await createSharedLimits({ redisUrl, prefix, loginAttemptsPerMinute, syncTriggersPerMinute, clock, log })
 *     -> { redis (for @fastify/rate-limit, or undefined), loginLimiter, syncTriggerLimiter, close() }
 *
 * Redis down: per-IP limits are skipped (@fastify/rate-limit `skipOnError`) and per-account login
 * attempts and sync triggers are counted in memory (src/http/window-limiter.ts), each with a
 * warning in the log: sign-in keeps working, and the per-user limits still hold per process.
 */
import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { createRedisWindowLimiter, createWindowLimiter, type WindowLimiter } from './window-limiter.ts';

export interface SharedLimits {
  redis: Redis | undefined;
  /** Key prefix for @fastify/rate-limit's counters. */
  ipNameSpace: string;
  loginLimiter: WindowLimiter;
  /** Sync requests that start a run, per user (src/sync/sync.service.ts). */
  syncTriggerLimiter: WindowLimiter;
  close(): Promise<void>;
}

export async function createSharedLimits(options: {
  redisUrl: string | undefined;
  prefix: string;
  loginAttemptsPerMinute: number;
  syncTriggersPerMinute: number;
  clock: Clock;
  log: Log;
}): Promise<SharedLimits> {
  const { redisUrl, prefix, loginAttemptsPerMinute, syncTriggersPerMinute, clock, log } = options;
  const memory = createWindowLimiter(loginAttemptsPerMinute, 60_000, clock);
  const syncMemory = createWindowLimiter(syncTriggersPerMinute, 60_000, clock);
  const ipNameSpace = `${prefix}:limits:ip:`;
  if (!redisUrl) {
    return {
      redis: undefined,
      ipNameSpace,
      loginLimiter: memory,
      syncTriggerLimiter: syncMemory,
      close: async () => {},
    };
  }
  const redis = new Redis(redisUrl, {
    connectionName: `${prefix}:limits`,
    lazyConnect: true,
    // A request waits at most this long for a count; then it is counted as Redis-down (above).
    commandTimeout: 1_000,
    maxRetriesPerRequest: 1,
  });
  redis.on('error', (err) => log.warn({ err }, 'rate-limit connection error'));
  try {
    await redis.connect();
  } catch (err) {
    log.warn({ err }, 'rate-limit Redis unreachable at start; retrying in the background');
  }
  return {
    redis,
    ipNameSpace,
    loginLimiter: createRedisWindowLimiter(redis, {
      prefix: `${prefix}:limits:login`,
      max: loginAttemptsPerMinute,
      windowMs: 60_000,
      fallback: memory,
      log,
    }),
    syncTriggerLimiter: createRedisWindowLimiter(redis, {
      prefix: `${prefix}:limits:sync`,
      max: syncTriggersPerMinute,
      windowMs: 60_000,
      fallback: syncMemory,
      log,
    }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
