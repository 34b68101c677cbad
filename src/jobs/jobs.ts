import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Log } from '../log.ts';
import { type BullmqOptions, createBullmqJobs } from './bullmq.ts';
import { createInProcessJobs, type Timers } from './in-process.ts';
import { createJobMetrics } from './metrics.ts';
import type { JobSystem } from './registry.ts';

export interface CreateJobsOptions {
  config: Pick<Config, 'redisUrl' | 'jobs'>;
  log: Log;
  /** Where job counters and durations go (deps.metrics.registry). */
  registry?: Registry;
  /** In-process runner only: fake time for tests. */
  timers?: Timers;
  /** BullMQ runner only: lock and stall timings, shortened by tests. */
  bullmq?: Pick<
    BullmqOptions,
    'lockDurationMs' | 'stalledIntervalMs' | 'groupLockTtlMs' | 'groupBusyDelayMs' | 'enqueueTimeoutMs'
  >;
}

/**
 * The job system: BullMQ on Redis when REDIS_URL is set, in-process otherwise. Handlers are
 * registered afterwards (`register`), so services can be given `enqueue` before the handlers
 * that use those services exist.
 */
export function createJobs<P>(options: CreateJobsOptions): JobSystem<P> {
  const { config, log } = options;
  const metrics = createJobMetrics(options.registry);
  if (config.redisUrl) {
    return createBullmqJobs<P>({
      redisUrl: config.redisUrl,
      prefix: config.jobs.queuePrefix,
      concurrency: config.jobs.concurrency,
      consumeByDefault: config.jobs.runWorker,
      log,
      metrics,
      ...options.bullmq,
    });
  }
  return createInProcessJobs<P>({
    log,
    metrics,
    concurrency: config.jobs.concurrency,
    ...(options.timers ? { timers: options.timers } : {}),
  });
}
