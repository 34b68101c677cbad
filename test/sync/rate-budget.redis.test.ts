// The Redis-backed request budget: one bucket for several processes, the server's clock, shared
// cooldowns, expiring keys, and refusal (never free passage) when Redis fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Log } from '../../src/log.ts';
import {
  createRedisRateBudget,
  RateBudgetUnavailable,
  redisBudgetKey,
} from '../../src/sync/rate-budget.redis.ts';
import { RateBudgetExhausted, type RateBudgetOptions } from '../../src/sync/rate-budget.ts';
import { createRateBudgets } from '../../src/sync/rate-budgets.ts';
import { deleteKeys, testRedisUrl, waitFor } from '../helpers/jobs.ts';
import { hasRedisServer, type OwnRedis, startRedisServer } from '../helpers/redis-server.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const CHILD = fileURLToPath(new URL('../helpers/rate-budget-child.ts', import.meta.url));

function recordingLog() {
  const warnings: unknown[][] = [];
  const log = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Log;
  return { log, warnings };
}

/** What the promise rejected with (undefined if it resolved). */
function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** A client set up as src/http/shared-limits.ts sets up its own. */
function client(url: string): Redis {
  return new Redis(url, { commandTimeout: 1_000, maxRetriesPerRequest: 1 });
}

/** The most grants inside any window [t, t + windowMs) that starts at a grant. */
function maxInWindow(sorted: number[], windowMs: number): number {
  let best = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) < (sorted[start] as number) + windowMs) end++;
    best = Math.max(best, end - start);
  }
  return best;
}

describe.skipIf(!testRedisUrl)('Redis rate budget (TEST_REDIS_URL)', () => {
  const url = testRedisUrl as string;
  const prefix = `test-budget-${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];
  let redis: Redis;
  beforeAll(async () => {
    redis = client(url);
    await redis.ping();
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis.quit();
    await deleteKeys(url, prefix);
  });

  function child(env: Record<string, string>): {
    proc: ChildProcess;
    lines: string[];
    exited: Promise<number>;
  } {
    const proc = spawn(NODE, [CHILD], {
      env: { ...process.env, TEST_REDIS_URL: url, BUDGET_PREFIX: prefix, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(proc);
    const lines: string[] = [];
    let buffer = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      lines.push(...parts);
    });
    const exited = new Promise<number>((resolve) => proc.once('exit', (code) => resolve(code ?? -1)));
    return { proc, lines, exited };
  }

  const budget = (name: string, options: RateBudgetOptions, log = recordingLog().log) =>
    createRedisRateBudget(redis, { ...options, prefix: `${prefix}:${name}`, log });

  it('two processes spending one bucket: no window admits more than burst + rate x window', async () => {
    // Scaled down from a minute: 20 a second (1200/min), burst 5, two processes for 3 s.
    const perMinute = 1200;
    const burst = 5;
    const env = {
      MODE: 'drain',
      BUDGET_KEY: 'drain',
      PER_MINUTE: `${perMinute}`,
      BURST: `${burst}`,
      DURATION_MS: '3000',
    };
    const a = child(env);
    const b = child(env);
    await waitFor('both children ready', () => a.lines.includes('ready') && b.lines.includes('ready'));
    a.proc.stdin?.end('go\n');
    b.proc.stdin?.end('go\n');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    const grants = (lines: string[]) =>
      lines.filter((l) => l.startsWith('grant ')).map((l) => Number(l.slice(6)));
    const fromA = grants(a.lines);
    const fromB = grants(b.lines);
    const all = [...fromA, ...fromB].sort((x, y) => x - y);

    // A grant is printed a little after Redis admitted it (reply, event loop): a window of printed
    // times shortened by SLACK covers admissions within at most the full window.
    const SLACK = 100;
    const windowMs = 1000;
    const bound = burst + (perMinute / 60_000) * windowMs;
    expect(maxInWindow(all, windowMs - SLACK)).toBeLessThanOrEqual(bound);
    const span = (all.at(-1) as number) - (all[0] as number);
    expect(all.length).toBeLessThanOrEqual(burst + (perMinute / 60_000) * (span + SLACK));
    // Each process alone would have had about burst + 20/s * 3 s = 65; together they share that.
    expect(all.length).toBeGreaterThanOrEqual(50);
    expect(fromA.length).toBeGreaterThanOrEqual(all.length * 0.2);
    expect(fromB.length).toBeGreaterThanOrEqual(all.length * 0.2);
  }, 15_000);

  it('a cooldown set by one process holds in another', async () => {
    const key = 'cool';
    const setter = child({
      MODE: 'cooldown',
      BUDGET_KEY: key,
      PER_MINUTE: '6000',
      BURST: '5',
      COOLDOWN_MS: '800',
    });
    expect(await setter.exited).toBe(0);
    const until = Number(setter.lines.find((l) => l.startsWith('until '))?.slice(6));
    expect(until).toBeGreaterThan(Date.now());

    const budgets = createRateBudgets({ redis, prefix, log: recordingLog().log });
    const impatient = budgets.budget('shared', { perMinute: 6000, burst: 5, maxWaitMs: 0 });
    const err = await failure(impatient.take(key));
    expect(err).toBeInstanceOf(RateBudgetExhausted);
    expect(Math.abs((err as RateBudgetExhausted).untilMs - until)).toBeLessThan(100);

    const patient = createRateBudgets({ redis, prefix, log: recordingLog().log }).budget('shared', {
      perMinute: 6000,
      burst: 5,
      maxWaitMs: 2000,
    });
    await patient.take(key);
    expect(Date.now()).toBeGreaterThanOrEqual(until - 5);
  });

  it('a bucket lives in one hash that expires once it would be full again; a cooldown keeps it longer', async () => {
    // 10 a second, burst 2: two takes empty it, 200 ms refill it.
    const b = budget('expiry', { perMinute: 600, burst: 2, maxWaitMs: 0 });
    const key = redisBudgetKey(`${prefix}:expiry`, 'k');
    await b.take('k');
    await b.take('k');
    expect(Object.keys(await redis.hgetall(key)).sort()).toEqual(['at', 'tokens', 'until']);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(150);
    expect(ttl).toBeLessThanOrEqual(202);
    await waitFor('key expired', async () => (await redis.exists(key)) === 0, 2000);
    // Gone = full: the burst again, then empty.
    await b.take('k');
    await b.take('k');
    await expect(b.take('k')).rejects.toBeInstanceOf(RateBudgetExhausted);

    await b.cooldown('k', 5_000);
    expect(await redis.pttl(key)).toBeGreaterThan(4_900);
  });

  it("counts on the Redis server's clock: processes an hour apart still share one bucket", async () => {
    const HOUR = 3_600_000;
    const ahead = budget('skew', { perMinute: 60, burst: 2, maxWaitMs: 0, now: () => Date.now() + HOUR });
    const behind = budget('skew', { perMinute: 60, burst: 2, maxWaitMs: 0, now: () => Date.now() - HOUR });
    await ahead.take('k');
    await behind.take('k');
    const err = await failure(ahead.take('k'));
    await expect(behind.take('k')).rejects.toBeInstanceOf(RateBudgetExhausted);
    // The instant handed back is on the caller's own clock: about a second ahead of it.
    const untilMs = (err as RateBudgetExhausted).untilMs;
    expect(untilMs - (Date.now() + HOUR)).toBeGreaterThan(500);
    expect(untilMs - (Date.now() + HOUR)).toBeLessThanOrEqual(1001);
    const until = await behind.cooldown('k', 10_000);
    expect(Math.abs(until - (Date.now() - HOUR + 10_000))).toBeLessThan(100);
  });

  it('a failing script refuses the request (RateBudgetUnavailable) and warns', async () => {
    const { log, warnings } = recordingLog();
    const b = budget('broken', { perMinute: 60, burst: 5 }, log);
    await redis.set(redisBudgetKey(`${prefix}:broken`, 'k'), 'not a hash', 'PX', 60_000);
    const err = await failure(b.take('k'));
    expect(err).toBeInstanceOf(RateBudgetUnavailable);
    expect(String((err as Error).cause)).toMatch(/WRONGTYPE/);
    expect(warnings).toHaveLength(1);
  });
});

describe.skipIf(!hasRedisServer)('Redis rate budget, Redis stopped and started again', () => {
  let server: OwnRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = client(server.url);
    redis.on('error', () => {});
    await redis.ping();
  });
  afterAll(async () => {
    redis.disconnect();
    await server?.close();
  });

  it('refuses while Redis is down, and counts again once it is back (scripts loaded afresh)', async () => {
    const { log, warnings } = recordingLog();
    const b = createRedisRateBudget(redis, { prefix: 'down', perMinute: 60, burst: 1, maxWaitMs: 0, log });
    await b.take('k');
    const empty = await failure(b.take('k'));
    expect(empty).toBeInstanceOf(RateBudgetExhausted);
    expect(empty).not.toBeInstanceOf(RateBudgetUnavailable);

    await server.stop();
    await waitFor('client sees Redis gone', () => redis.status !== 'ready');
    const started = Date.now();
    await expect(b.take('k')).rejects.toBeInstanceOf(RateBudgetUnavailable);
    expect(Date.now() - started).toBeLessThan(100);
    expect(warnings).toHaveLength(1);

    // Back empty (no persistence), its script cache too: EVALSHA says NOSCRIPT and EVAL loads it.
    await server.start();
    await waitFor('client reconnected', () => redis.status === 'ready', 15_000);
    await b.take('k');
    const emptyAgain = await failure(b.take('k'));
    expect(emptyAgain).toBeInstanceOf(RateBudgetExhausted);
    expect(emptyAgain).not.toBeInstanceOf(RateBudgetUnavailable);
  }, 30_000);
});
