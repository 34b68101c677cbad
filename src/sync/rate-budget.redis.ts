/**
 * The request budget of src/sync/rate-budget.ts with its buckets in Redis: every process on that
 * Redis spends from one bucket per key, and a cooldown set by one process holds in all of them.
 *
 *   const budget = createRedisRateBudget(redis, { prefix, perMinute: 100, burst: 10, log });
 *   await budget.take('app', signal);     // one Lua script: refill, spend or say how long to wait
 *   await budget.cooldown('app', 60_000); // a 601/429 seen here pauses every process
 *
 * Bucket `key` is the hash `${prefix}:${sha256(key)}` {tokens, at, until}. The script reads the
 * Redis server's TIME, never a process's clock, so processes with skewed clocks share one timeline;
 * instants handed back (RateBudgetExhausted.untilMs, cooldown's result) are converted to the
 * caller's clock. A key expires when its bucket would be full again and its cooldown over:
 * dropping it then changes nothing.
 *
 * Redis unreachable or failing: `take` refuses (RateBudgetUnavailable, a RateBudgetExhausted with
 * untilMs a few seconds ahead, so the sync job is delayed and spends no attempt) rather than
 * counting in this process: a per-process count would multiply an application-wide limit by the
 * number of processes. `cooldown` still answers now + ms, so the caller's own delay holds. Both
 * warn in the log, at most once a minute.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Log } from '../log.ts';
import {
  type RateBudget,
  RateBudgetExhausted,
  type RateBudgetOptions,
  resolveRateBudgetOptions,
} from './rate-budget.ts';

/** `take` could not reach the shared budget; retry at untilMs (as with an empty bucket). */
export class RateBudgetUnavailable extends RateBudgetExhausted {
  constructor(untilMs: number, cause: unknown) {
    super(untilMs, 'vendor request budget unavailable (Redis)', { cause });
    this.name = 'RateBudgetUnavailable';
  }
}

export interface RedisRateBudgetOptions extends RateBudgetOptions {
  /** Keys are `${prefix}:${sha256(key)}`. */
  prefix: string;
  log: Log;
  /** How far ahead a refusal for want of Redis points. Default 5 s. */
  unavailableDelayMs?: number;
}

// Shared by both scripts: the server's time in ms, and the bucket refilled up to it (a clock that
// stepped back refills nothing until it catches up). Numbers are stored with %.17g: exact doubles.
const PROLOGUE = `
local burst = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'until')
local tokens = tonumber(s[1]) or burst
local at = tonumber(s[2]) or now
local blocked = tonumber(s[3]) or 0
if now > at then
  tokens = math.min(burst, tokens + (now - at) * perMs)
  at = now
end
local function save()
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at),
    'until', string.format('%.17g', blocked))
  local full = at + (burst - tokens) / perMs
  redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(full, blocked) - now) + 1)
end
`;

interface Script {
  source: string;
  sha: string;
}

function luaScript(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// -> 0 when a token was spent, else the ms until one may be (the caller sleeps and asks again).
const TAKE_SCRIPT = luaScript(`${PROLOGUE}
local ready = blocked
if tokens < 1 then ready = math.max(ready, at + (1 - tokens) / perMs) end
if ready <= now then
  tokens = tokens - 1
  save()
  return 0
end
return math.max(1, math.ceil(ready - now))`);

// ARGV[3] = ms. -> the ms from now until the cooldown (this one or a longer one already set) ends.
const COOLDOWN_SCRIPT = luaScript(`${PROLOGUE}
tokens = 0
blocked = math.max(blocked, now + tonumber(ARGV[3]))
save()
return math.max(0, math.ceil(blocked - now))`);

/** Where `key`'s bucket lives (tests and operators look it up there). */
export function redisBudgetKey(prefix: string, key: string): string {
  return `${prefix}:${createHash('sha256').update(key).digest('base64url')}`;
}

export function createRedisRateBudget(redis: Redis, options: RedisRateBudgetOptions): RateBudget {
  const { perMinute, burst, maxWaitMs, now, sleep } = resolveRateBudgetOptions(options);
  const { prefix, log } = options;
  const unavailableDelayMs = options.unavailableDelayMs ?? 5_000;
  const perMs = String(perMinute / 60_000);
  let warnedAt = Number.NEGATIVE_INFINITY;

  function warn(err: unknown, what: string): void {
    // Once a minute at most: an outage would otherwise log every vendor call.
    if (now() - warnedAt < 60_000) return;
    warnedAt = now();
    log.warn({ err, budget: prefix }, what);
  }

  async function run(script: Script, key: string, ...args: Array<string | number>): Promise<number> {
    // Not connected (Redis down, reconnecting): no wait for a command that would fail.
    if (redis.status !== 'ready') throw new Error(`Redis connection ${redis.status}`);
    const reply = await evalScript(redis, script, redisBudgetKey(prefix, key), [burst, perMs, ...args]);
    if (typeof reply !== 'number') throw new Error(`unexpected rate budget reply: ${String(reply)}`);
    return reply;
  }

  return {
    async take(key, signal) {
      const started = now();
      for (;;) {
        signal?.throwIfAborted();
        let waitMs: number;
        try {
          waitMs = await run(TAKE_SCRIPT, key);
        } catch (err) {
          warn(err, 'shared request budget unavailable; vendor calls wait for Redis');
          throw new RateBudgetUnavailable(now() + unavailableDelayMs, err);
        }
        if (waitMs === 0) return;
        const t = now();
        if (t + waitMs - started > maxWaitMs) throw new RateBudgetExhausted(t + waitMs);
        await sleep(waitMs, signal);
      }
    },
    async cooldown(key, ms) {
      try {
        return now() + (await run(COOLDOWN_SCRIPT, key, Math.max(0, Math.ceil(ms))));
      } catch (err) {
        warn(err, 'shared request budget unavailable; cooldown kept by the caller only');
        return now() + ms;
      }
    },
  };
}

// EVALSHA, and EVAL once when the server does not know the script yet (first use, or a restart).
async function evalScript(
  redis: Redis,
  script: Script,
  key: string,
  args: Array<string | number>,
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, 1, key, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script.source, 1, key, ...args);
  }
}
