import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createJobs } from '../../src/jobs/jobs.ts';
import type { JobDefinitions, JobSystem } from '../../src/jobs/registry.ts';
import { createLogger } from '../../src/log.ts';

/** `TEST_REDIS_URL` set: the BullMQ variants run too (npm run test:postgres sets it). */
export const testRedisUrl = process.env.TEST_REDIS_URL || undefined;

export type RunnerKind = 'in-process' | 'bullmq';

export const testLog = createLogger(process.env.TEST_JOBS_LOG ?? 'silent');

/** Timings short enough for tests; the real defaults are in src/jobs/bullmq.ts. */
export const fastBullmq = {
  lockDurationMs: 2000,
  stalledIntervalMs: 500,
  groupLockTtlMs: 1500,
  groupBusyDelayMs: 50,
};

export function uniquePrefix(): string {
  return `test-jobs-${randomUUID().slice(0, 8)}`;
}

/** Builds job systems of one kind and closes them (and deletes their Redis keys) afterwards. */
export function createJobsFactory(kind: RunnerKind) {
  const created: JobSystem<unknown>[] = [];
  const prefixes = new Set<string>();
  return {
    kind,
    make<P>(
      definitions: JobDefinitions<P>,
      options: { prefix?: string; concurrency?: number; registry?: Registry } = {},
    ): JobSystem<P> {
      const prefix = options.prefix ?? uniquePrefix();
      prefixes.add(prefix);
      const jobs = createJobs<P>({
        config: {
          redisUrl: kind === 'bullmq' ? testRedisUrl : undefined,
          jobs: { queuePrefix: prefix, concurrency: options.concurrency ?? 4, runWorker: true },
        },
        log: testLog,
        registry: options.registry ?? new Registry(),
        bullmq: fastBullmq,
      });
      jobs.register(definitions);
      created.push(jobs as JobSystem<unknown>);
      return jobs;
    },
    async cleanup(): Promise<void> {
      await Promise.all(created.splice(0).map((j) => j.close({ timeoutMs: 2000 })));
      if (kind === 'bullmq' && testRedisUrl) {
        for (const prefix of prefixes) await deleteKeys(testRedisUrl, prefix);
      }
      prefixes.clear();
    },
  };
}

export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

/** Polls until `predicate` holds; fails with `what` after `timeoutMs` (generous: no timing luck). */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise the test resolves by hand: holds a handler "running" for as long as needed. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
