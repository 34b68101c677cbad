// Another process spending a Redis-backed rate budget, for test/sync/rate-budget.redis.test.ts.
//   MODE=drain:    says `ready`, waits for `go` on stdin, then takes tokens as fast as it may for
//                  DURATION_MS, printing `grant <epoch ms>` after each, then `done`.
//   MODE=cooldown: sets a cooldown of COOLDOWN_MS and prints `until <epoch ms>`.
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log.ts';
import { createRateBudgets } from '../../src/sync/rate-budgets.ts';

const env = process.env;
const redisUrl = env.TEST_REDIS_URL;
const prefix = env.BUDGET_PREFIX;
if (!redisUrl || !prefix) throw new Error('TEST_REDIS_URL and BUDGET_PREFIX are required');
const key = env.BUDGET_KEY ?? 'app';

const redis = new Redis(redisUrl, { commandTimeout: 1_000, maxRetriesPerRequest: 1 });
const budget = createRateBudgets({ redis, prefix, log: createLogger('warn') }).budget('shared', {
  perMinute: Number(env.PER_MINUTE),
  burst: Number(env.BURST),
  maxWaitMs: 1_000,
});
const say = (line: string) => process.stdout.write(`${line}\n`);

await redis.ping(); // connected first: a budget refuses while its Redis is not ready
if (env.MODE === 'cooldown') {
  say(`until ${await budget.cooldown(key, Number(env.COOLDOWN_MS))}`);
} else {
  say('ready');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy();
  const started = Date.now();
  while (Date.now() - started < Number(env.DURATION_MS)) {
    await budget.take(key);
    say(`grant ${Date.now()}`);
  }
  say('done');
}
await redis.quit();
