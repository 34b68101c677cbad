import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Log } from '../log.ts';
import { computeBackoff, jitter } from './backoff.ts';
import { JobStalledError, JobsUnavailableError } from './errors.ts';
import { attemptsOf, runAttempt } from './execute.ts';
import { createRedisGroupLocks, type GroupLock } from './group-lock.ts';
import type { JobMetrics } from './metrics.ts';
import type { JobDefinition, JobDefinitions, JobPayload, JobSystem } from './registry.ts';

export interface BullmqOptions {
  redisUrl: string;
  /** Redis key prefix for the queue and the group locks (JOBS_QUEUE_PREFIX). */
  prefix: string;
  concurrency: number;
  /** Start a worker on `start()` unless told otherwise (RUN_WORKER). */
  consumeByDefault: boolean;
  log: Log;
  metrics: JobMetrics;
  queueName?: string;
  /** A job whose lock is not renewed for this long is stalled and re-queued. Default 30 s. */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs. Default 30 s. */
  stalledIntervalMs?: number;
  /** TTL of a group lock (renewed every third). Default 30 s. */
  groupLockTtlMs?: number;
  /** How long a job waits when its group is busy (jittered, no attempt spent). Default 2 s. */
  groupBusyDelayMs?: number;
  stuckAfterMs?: number;
  /** How long `enqueue` waits for Redis before it throws JobsUnavailableError. Default 2 s. */
  enqueueTimeoutMs?: number;
}

// Effectively unlimited: runAttempt decides when a job is out of attempts (per definition)
// and throws UnrecoverableError then; BullMQ only applies the backoff in between.
const BULLMQ_ATTEMPTS = 1_000_000;

/**
 * A job found stalled (its lock lapsed: the worker died or froze) goes back to the queue once; the
 * second time BullMQ fails it without running it, with this reason, and only the worker that picks
 * it up hears of it (its 'failed' event): that is where the definition's onFailure runs.
 */
const MAX_STALLED_COUNT = 1;
const STALLED_REASON = /stalled more than allowable limit/;

export function createBullmqJobs<P>(options: BullmqOptions): JobSystem<P> {
  const { log, metrics, prefix } = options;
  const queueName = options.queueName ?? 'jobs';
  // Named so operators (and tests) can find this app's connections in CLIENT LIST.
  const connection = { url: options.redisUrl, connectionName: `${prefix}:bullmq` };
  const definitions = new Map<string, JobDefinition<JobPayload>>();
  const schedules = new Map<string, { everyMs: number; name: string; data: JobPayload }>();
  // The queue's own connection sends nothing while Redis is away (no offline queue): an enqueue
  // answers a request, so it waits for a reconnect only as long as its bound, and fails then.
  // The worker keeps connections of its own, which wait and reconnect.
  const queueRedis = new Redis(options.redisUrl, {
    connectionName: connection.connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  // Its errors reach the log through the queue's 'error' event; this one covers the close.
  queueRedis.on('error', () => {});
  const queue = new Queue<JobPayload>(queueName, {
    connection: queueRedis,
    prefix,
    defaultJobOptions: {
      attempts: BULLMQ_ATTEMPTS,
      backoff: { type: 'jittered' },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
    },
  });
  queue.on('error', (err) => log.warn({ err }, 'job queue connection error'));
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2, connectionName: `${prefix}:locks` });
  redis.on('error', (err) => log.warn({ err }, 'job lock connection error'));
  const locks = createRedisGroupLocks(redis, {
    prefix: `${prefix}:${queueName}`,
    ttlMs: options.groupLockTtlMs ?? 30_000,
    log,
  });
  const closing = new AbortController();
  let worker: Worker<JobPayload> | undefined;
  let started = false;
  let running = 0;
  let lastActivityAt = Date.now();
  let lastCompletedAt: number | undefined;

  async function processJob(job: Job<JobPayload>, token?: string, signal?: AbortSignal): Promise<void> {
    running += 1;
    try {
      await processJobOnce(job, token, signal);
    } finally {
      running -= 1;
    }
  }

  async function processJobOnce(job: Job<JobPayload>, token?: string, signal?: AbortSignal): Promise<void> {
    const definition = definitions.get(job.name);
    const group = definition?.group?.(job.data as never);
    let lock: GroupLock | undefined;
    if (group !== undefined) {
      lock = await locks.acquire(group);
      if (!lock) {
        metrics.record(job.name, 'group_busy');
        await job.moveToDelayed(Date.now() + jitter(options.groupBusyDelayMs ?? 2000), token);
        throw new DelayedError();
      }
    }
    const signals = [closing.signal, ...(signal ? [signal] : []), ...(lock ? [lock.signal] : [])];
    const result = await runAttempt(definition, {
      name: job.name,
      jobId: job.id ?? 'unknown',
      data: job.data,
      attemptsMade: job.attemptsMade,
      signal: AbortSignal.any(signals),
      log,
      metrics,
    }).finally(() => lock?.release());

    switch (result.kind) {
      case 'completed':
        return;
      case 'delayed':
        await job.moveToDelayed(result.untilMs, token);
        throw new DelayedError();
      case 'retry':
        // Interrupted by our own shutdown: run again soon, without spending an attempt.
        if (closing.signal.aborted) {
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        throw toError(result.error);
      case 'failed':
        throw new UnrecoverableError(toError(result.error).message);
    }
  }

  /** A job BullMQ failed for stalling: record it and run onFailure, as for a last failed attempt. */
  async function failStalled(job: Job<JobPayload>, reason: string): Promise<void> {
    const definition = definitions.get(job.name);
    const jobId = job.id ?? 'unknown';
    const error = new JobStalledError(
      `the worker running it stopped ${MAX_STALLED_COUNT + 1} times (${reason})`,
    );
    const jobLog = log.child({ job: job.name, jobId });
    jobLog.error({ err: error }, 'job failed: stalled too many times');
    metrics.record(job.name, 'failed');
    if (!definition?.onFailure) return;
    await definition
      .onFailure(job.data, error, {
        jobId,
        name: job.name,
        attempt: job.attemptsMade + 1,
        maxAttempts: attemptsOf(definition),
        log: jobLog,
        signal: closing.signal,
      })
      .catch((err: unknown) => jobLog.error({ err }, 'job onFailure hook failed'));
  }

  async function upsertSchedule(id: string, s: { everyMs: number; name: string; data: JobPayload }) {
    await queue.upsertJobScheduler(id, { every: s.everyMs }, { name: s.name, data: s.data });
  }

  return {
    kind: 'bullmq',
    async enqueue(name, data, opts = {}) {
      const id = randomUUID();
      const timeoutMs = options.enqueueTimeoutMs ?? 2000;
      const giveUp = new AbortController();
      const adding = (async () => {
        await whenReady(queueRedis, giveUp.signal); // a blip passes; an outage ends at the bound
        return queue.add(name, data as JobPayload, {
          jobId: id,
          ...(opts.delayMs ? { delay: Math.max(0, opts.delayMs) } : {}),
          ...(opts.jobId !== undefined ? { deduplication: { id: opts.jobId } } : {}),
        });
      })();
      try {
        const job = await withTimeout(adding, timeoutMs, `Redis did not take the job within ${timeoutMs} ms`);
        const actual = job.id ?? id;
        if (opts.promote && actual !== id) {
          const existing = await queue.getJob(actual);
          if (existing && (await existing.isDelayed())) await existing.promote();
        }
        return { id: actual, deduplicated: actual !== id };
      } catch (err) {
        giveUp.abort();
        adding.catch(() => {});
        throw new JobsUnavailableError(`cannot enqueue ${name}: ${toError(err).message}`, { cause: err });
      }
    },
    register(defs: JobDefinitions<P>) {
      for (const [name, def] of Object.entries(defs)) {
        definitions.set(name, def as JobDefinition<JobPayload>);
      }
    },
    async schedule(id, everyMs, name, data) {
      const s = { everyMs, name, data: data as JobPayload };
      schedules.set(id, s);
      if (started) await upsertSchedule(id, s);
    },
    async start({ consume = options.consumeByDefault } = {}) {
      if (started) return;
      started = true;
      for (const [id, s] of schedules) await upsertSchedule(id, s);
      if (!consume) return;
      worker = new Worker<JobPayload>(queueName, processJob, {
        connection,
        prefix,
        concurrency: options.concurrency,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: MAX_STALLED_COUNT,
        settings: {
          backoffStrategy: (attemptsMade, _type, _err, job) =>
            computeBackoff(attemptsMade, job ? definitions.get(job.name)?.backoff : undefined),
        },
      });
      worker.on('error', (err) => log.warn({ err }, 'job worker error'));
      worker.on('active', () => {
        lastActivityAt = Date.now();
      });
      worker.on('completed', () => {
        lastActivityAt = lastCompletedAt = Date.now();
      });
      worker.on('stalled', (jobId) => log.warn({ jobId }, 'stalled job re-queued'));
      // Failures of our own (runAttempt) already ran onFailure; only the stalled ones did not run at all.
      worker.on('failed', (job, err) => {
        if (job && STALLED_REASON.test(err.message)) void failStalled(job, err.message);
      });
      lastActivityAt = Date.now();
      await worker.waitUntilReady();
    },
    async close({ timeoutMs = 30_000 } = {}) {
      // Redis unreachable: a graceful close waits for it (the blocked fetch, the jobs' last
      // moves), so running jobs are aborted and the worker is closed at once; they stall and
      // run again elsewhere once Redis is back.
      const redisDown = () => redis.status !== 'ready';
      if (worker) {
        const down = redisDown();
        if (down) closing.abort(new Error('job system closing: Redis unreachable'));
        // NOTE: with no job running there is nothing to wait for; a graceful close can then still
        // hang on the blocking fetch after Redis came back from a restart (bullmq 6.7).
        const closed = worker.close(down || running === 0);
        if (!(await settlesWithin(closed, timeoutMs, redisDown))) {
          log.warn('jobs still running at close timeout (or Redis lost): aborting them');
          closing.abort(new Error('job system closing'));
          if (!(await settlesWithin(closed, 5000))) log.error('jobs ignored abort: leaving them to stall');
        }
      }
      await settlesWithin(
        queue.close().catch((err: unknown) => log.warn({ err }, 'job queue close failed')),
        2000,
      );
      await queueRedis.quit().catch(() => queueRedis.disconnect());
      await redis.quit().catch(() => redis.disconnect());
    },
    async health() {
      const [counts] = await withTimeout(
        Promise.all([
          queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
          redis.ping(),
        ]),
        2000,
        'redis did not answer within 2 s',
      );
      const consuming = worker !== undefined && !worker.closing;
      const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
      const stuck =
        consuming && waiting > 0 && Date.now() - lastActivityAt > (options.stuckAfterMs ?? 15 * 60_000);
      return {
        ok: !stuck,
        detail: {
          kind: 'bullmq',
          consuming,
          ...counts,
          lastCompletedAt: lastCompletedAt === undefined ? null : new Date(lastCompletedAt).toISOString(),
          stuck,
        },
      };
    },
  };
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Resolves once `redis` is connected; rejects when `signal` aborts first. */
function whenReady(redis: Redis, signal: AbortSignal): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      redis.off('ready', onReady);
      reject(new Error('Redis not connected'));
    };
    redis.once('ready', onReady);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Whether `promise` settles within `ms`; gives up early once `giveUp()` holds (polled). */
async function settlesWithin(
  promise: Promise<unknown>,
  ms: number,
  giveUp?: () => boolean,
): Promise<boolean> {
  let handle: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  const done = promise.then(
    () => true,
    () => true,
  );
  const timeout = new Promise<boolean>((resolve) => {
    handle = setTimeout(() => resolve(false), ms);
    if (giveUp) poll = setInterval(() => giveUp() && resolve(false), 250);
  });
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(handle);
    clearInterval(poll);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let handle: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    handle = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(handle);
  }
}
