/**
 * Where the API's rate limits count: in Redis when REDIS_URL is set, so that several API processes
 * share one count per IP and per account, else in this process's memory.
 *
 *   await createSharedLimits({ redisUrl, prefix, loginAttemptsPerMinute, registrationsPerHour,
 *     syncTriggersPerMinute, clock, log })
 *     -> { redis (for @fastify/rate-limit, or undefined), loginLimiter, loginBackoff, registerLimiter,
 *          syncTriggerLimiter, close() }
 *
 * Redis down: per-IP limits are skipped (@fastify/rate-limit `skipOnError`); per-account login
 * attempts, the sign-in back-off (src/http/login-backoff.ts), registrations per address and sync
 * triggers per user are counted in memory (src/http/window-limiter.ts), each with a warning in the
 * log: sign-in keeps working, and those limits still hold per process.
 */
import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { createLoginBackoff, createRedisLoginBackoff, type LoginBackoff } from './login-backoff.ts';
import { createRedisWindowLimiter, createWindowLimiter, type WindowLimiter } from './window-limiter.ts';

export interface SharedLimits {
  redis: Redis | undefined;
  /** Key prefix for @fastify/rate-limit's counters. */
  ipNameSpace: string;
  loginLimiter: WindowLimiter;
  /** Locks an account after repeated failed sign-ins, for longer each time. */
  loginBackoff: LoginBackoff;
  /** Counts registrations per client address, per hour. */
  registerLimiter: WindowLimiter;
  /** Sync requests that start a run, per user (src/sync/sync.service.ts). */
  syncTriggerLimiter: WindowLimiter;
  close(): Promise<void>;
}

export async function createSharedLimits(options: {
  redisUrl: string | undefined;
  prefix: string;
  loginAttemptsPerMinute: number;
  registrationsPerHour: number;
  syncTriggersPerMinute: number;
  clock: Clock;
  log: Log;
}): Promise<SharedLimits> {
  const {
    redisUrl,
    prefix,
    loginAttemptsPerMinute,
    registrationsPerHour,
    syncTriggersPerMinute,
    clock,
    log,
  } = options;
  const memory = createWindowLimiter(loginAttemptsPerMinute, 60_000, clock);
  const backoffMemory = createLoginBackoff(clock);
  const registerMemory = createWindowLimiter(registrationsPerHour, 3_600_000, clock);
  const syncMemory = createWindowLimiter(syncTriggersPerMinute, 60_000, clock);
  const ipNameSpace = `${prefix}:limits:ip:`;
  if (!redisUrl) {
    return {
      redis: undefined,
      ipNameSpace,
      loginLimiter: memory,
      loginBackoff: backoffMemory,
      registerLimiter: registerMemory,
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
    loginBackoff: createRedisLoginBackoff(redis, {
      prefix: `${prefix}:limits:backoff`,
      clock,
      fallback: backoffMemory,
      log,
    }),
    registerLimiter: createRedisWindowLimiter(redis, {
      prefix: `${prefix}:limits:register`,
      max: registrationsPerHour,
      windowMs: 3_600_000,
      fallback: registerMemory,
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
