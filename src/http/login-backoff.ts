/**
 * Growing back-off for an account after repeated failed sign-ins.
 *
 *   createLoginBackoff(clock)                                   -> in this process's memory
 *   createRedisLoginBackoff(redis, { prefix, clock, fallback, log }) -> shared by every process
 *   await backoff.lockedFor(key)   -> 0, or seconds until the account's lock ends
 *   await backoff.recordFailure(key)
 *   await backoff.recordSuccess(key)
 *
 * The first FREE_FAILURES failures cost nothing; each later one locks the account for
 * BASE_LOCK_MS, doubling per failure up to MAX_LOCK_MS. Failures are forgotten after QUIET_MS
 * without one (counted from the end of the last lock), and a successful sign-in forgets them.
 *
 * NOTE: a lock answers every password sign-in of the account, the owner's too: that is what makes
 * guessing slow, and it lets anyone who knows an email keep that account's password sign-in locked.
 * The back-off bounds what that costs the victim: attempts during a lock are refused unchecked and
 * neither count nor lengthen it, so a lock lasts at most MAX_LOCK_MS after the attacker's last
 * failure, and keeping it shut takes one more failure per lock (MAX_LOCK_MS apart). Sessions already
 * open (access and refresh tokens) and an external identity provider's sign-in are not affected.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';

const FREE_FAILURES = 5;
const BASE_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 15 * 60_000;
const QUIET_MS = 15 * 60_000;

export interface LoginBackoff {
  /** 0 when sign-in may be tried, else seconds until the lock ends. */
  lockedFor(key: string): Promise<number>;
  recordFailure(key: string): Promise<void>;
  recordSuccess(key: string): Promise<void>;
}

interface State {
  failures: number;
  /** Epoch ms the lock ends (0: none). */
  until: number;
  /** Epoch ms of the last counted failure. */
  last: number;
}

/** The state after one more failure at `now`: the rule, written once for both stores. */
function afterFailure(state: State | undefined, now: number): State {
  const quietSince = state ? Math.max(state.last, state.until) : 0;
  const failures = state && now - quietSince <= QUIET_MS ? state.failures + 1 : 1;
  const until =
    failures > FREE_FAILURES
      ? now + Math.min(BASE_LOCK_MS * 2 ** (failures - FREE_FAILURES - 1), MAX_LOCK_MS)
      : (state?.until ?? 0);
  return { failures, until, last: now };
}

function secondsLeft(until: number, now: number): number {
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

export function createLoginBackoff(clock: Clock, max = 50_000): LoginBackoff {
  const states = new Map<string, State>();
  return {
    async lockedFor(key) {
      const state = states.get(key);
      return state ? secondsLeft(state.until, clock.now().getTime()) : 0;
    },
    async recordFailure(key) {
      const now = clock.now().getTime();
      if (states.size >= max) {
        for (const [k, s] of states) if (now - Math.max(s.last, s.until) > QUIET_MS) states.delete(k);
        if (states.size >= max) states.delete(states.keys().next().value as string);
      }
      const next = afterFailure(states.get(key), now);
      states.delete(key);
      states.set(key, next);
    },
    async recordSuccess(key) {
      states.delete(key);
    },
  };
}

// One failure, atomically (two processes failing at once both count): afterFailure, in Lua.
const FAILURE_SCRIPT = `
local now = tonumber(ARGV[1])
local free, base, cap, quiet = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local v = redis.call('HMGET', KEYS[1], 'f', 'until', 'last')
local f, untilMs, last = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
if now - math.max(last, untilMs) > quiet then f = 0 end
f = f + 1
if f > free then untilMs = now + math.min(base * 2 ^ (f - free - 1), cap) end
redis.call('HSET', KEYS[1], 'f', f, 'until', string.format('%.0f', untilMs), 'last', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], cap + quiet)
return f`;

export function createRedisLoginBackoff(
  redis: Redis,
  options: { prefix: string; clock: Clock; fallback: LoginBackoff; log: Log },
): LoginBackoff {
  const { prefix, clock, fallback, log } = options;
  let warnedAt = Number.NEGATIVE_INFINITY;
  const keyOf = (key: string) => `${prefix}:${createHash('sha256').update(key).digest('base64url')}`;
  // Redis down or failing: this process's memory instead, with a warning at most once a minute.
  async function shared<T>(run: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      if (redis.status !== 'ready') throw new Error(`Redis connection ${redis.status}`);
      return await run();
    } catch (err) {
      if (Date.now() - warnedAt >= 60_000) {
        warnedAt = Date.now();
        log.warn({ err }, 'shared sign-in back-off unavailable; counting in this process');
      }
      return local();
    }
  }
  return {
    lockedFor: (key) =>
      shared(
        async () => secondsLeft(Number((await redis.hget(keyOf(key), 'until')) ?? 0), clock.now().getTime()),
        () => fallback.lockedFor(key),
      ),
    recordFailure: (key) =>
      shared(
        async () => {
          const args = [clock.now().getTime(), FREE_FAILURES, BASE_LOCK_MS, MAX_LOCK_MS, QUIET_MS];
          await redis.eval(FAILURE_SCRIPT, 1, keyOf(key), ...args);
        },
        () => fallback.recordFailure(key),
      ),
    async recordSuccess(key) {
      await fallback.recordSuccess(key);
      await shared(
        async () => {
          await redis.del(keyOf(key));
        },
        async () => {},
      );
    },
  };
}
