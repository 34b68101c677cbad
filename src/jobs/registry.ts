import type { Log } from '../log.ts';
import type { BackoffOptions } from './backoff.ts';

// A typed registry of plain async handlers. Payloads carry ids only (never tokens or health
// data): they are flat JSON objects of scalars, because in BullMQ mode they sit in Redis.

type Scalar = string | number | boolean | null;
/** A job payload: a flat object of ids and small scalars. Declare it with `type`, not `interface`. */
export type JobPayload = { [key: string]: Scalar | readonly Scalar[] | undefined };

/** A map from job name to payload type, e.g. `{ 'sync.integration': { integrationId: string } }`. */
export type PayloadMap<P> = { [K in keyof P]: JobPayload };

export interface JobContext {
  /** The runner's id for this job (stable across retries and delays). */
  jobId: string;
  name: string;
  /** 1 on the first run; DelayError re-runs keep the same number. */
  attempt: number;
  maxAttempts: number;
  /** A child logger bound to job, jobId and attempt. */
  log: Log;
  /** Aborted when the worker is forced to stop or the group lock was lost: stop promptly. */
  signal: AbortSignal;
}

export interface JobOptions<T> {
  /** Total attempts, including the first. Default 5. */
  attempts?: number;
  backoff?: BackoffOptions;
  /**
   * Jobs with the same group key never run at the same time, in any process. Use a
   * namespaced key, e.g. `integration:${data.integrationId}`, so that different job types
   * touching the same integration exclude each other too.
   */
  group?: (data: T) => string | undefined;
  /**
   * Called once when the job finally fails (PermanentError, or the last attempt failed),
   * before it is recorded as failed: the place to mark a sync run as failed. Its own errors
   * are logged and ignored.
   */
  onFailure?: (data: T, error: unknown, ctx: JobContext) => Promise<void>;
}

export interface JobDefinition<T> extends JobOptions<T> {
  run(data: T, ctx: JobContext): Promise<void>;
}

export type JobDefinitions<P> = { [K in keyof P]: JobDefinition<P[K]> };

/** The payload map a `defineJobs({...})` result describes. */
export type PayloadsOf<D> = { [K in keyof D]: D[K] extends JobDefinition<infer T> ? T : never };

export const DEFAULT_ATTEMPTS = 5;

/** `handler<{ integrationId: string }>(async (data, ctx) => {...}, { group: (d) => ... })` */
export function handler<T extends JobPayload>(
  run: (data: T, ctx: JobContext) => Promise<void>,
  options: JobOptions<T> = {},
): JobDefinition<T> {
  return { ...options, run };
}

/** Checks a set of definitions against a payload map (given or inferred) and returns it. */
export function defineJobs<P extends PayloadMap<P>>(definitions: JobDefinitions<P>): JobDefinitions<P> {
  return definitions;
}

export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /**
   * Dedupe key: while a job with this key is queued, delayed or running, enqueueing another
   * one is a no-op (the existing job's id is returned with `deduplicated: true`).
   */
  jobId?: string;
  /**
   * With `jobId`: when the job it dedupes against is waiting out a delay (a DelayError or
   * `delayMs`), run that job now instead of at the end of its delay. A queued or running job is
   * left as it is.
   */
  promote?: boolean;
}

export interface EnqueueResult {
  id: string;
  deduplicated: boolean;
}

export type Enqueue<P> = <N extends keyof P & string>(
  name: N,
  data: P[N],
  options?: EnqueueOptions,
) => Promise<EnqueueResult>;

export interface JobsHealth {
  ok: boolean;
  detail?: Record<string, unknown>;
}

/** What both runners implement. `P` is the app's payload map. */
export interface JobSystem<P> {
  readonly kind: 'bullmq' | 'in-process';
  /** Bound: pass it to services as a plain function. */
  readonly enqueue: Enqueue<P>;
  /** Installs the handlers (once, before `start`). */
  register(definitions: JobDefinitions<P>): void;
  /**
   * Enqueues `name` with `data` every `everyMs`. In BullMQ mode one tick runs per interval
   * across all processes; schedules persist in Redis and are upserted by id.
   */
  schedule<N extends keyof P & string>(id: string, everyMs: number, name: N, data: P[N]): Promise<void>;
  /** Starts schedules and, if `consume` (default: config RUN_WORKER; always in-process), a worker. */
  start(options?: { consume?: boolean }): Promise<void>;
  /** Stops taking jobs, lets running ones finish (up to `timeoutMs`, then aborts them). */
  close(options?: { timeoutMs?: number }): Promise<void>;
  health(): Promise<JobsHealth>;
}
