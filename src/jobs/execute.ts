import type { Log } from '../log.ts';
import { computeBackoff } from './backoff.ts';
import { DelayError, PermanentError } from './errors.ts';
import type { JobMetrics } from './metrics.ts';
import { DEFAULT_ATTEMPTS, type JobContext, type JobDefinition, type JobPayload } from './registry.ts';

/** What happened to one run of a handler; each runner turns it into queue operations. */
export type RunResult =
  | { kind: 'completed' }
  | { kind: 'retry'; delayMs: number; error: unknown }
  | { kind: 'delayed'; untilMs: number }
  | { kind: 'failed'; error: unknown; permanent: boolean };

export interface RunInput {
  name: string;
  jobId: string;
  data: JobPayload;
  /** Failed attempts so far (0 on the first run). */
  attemptsMade: number;
  signal: AbortSignal;
  log: Log;
  metrics: JobMetrics;
}

export function attemptsOf(definition: JobDefinition<never> | undefined): number {
  return Math.max(1, definition?.attempts ?? DEFAULT_ATTEMPTS);
}

/** Runs one attempt of a job and classifies the outcome; the same semantics in both runners. */
export async function runAttempt(
  definition: JobDefinition<JobPayload> | undefined,
  input: RunInput,
): Promise<RunResult> {
  const maxAttempts = attemptsOf(definition);
  const attempt = input.attemptsMade + 1;
  const log = input.log.child({ job: input.name, jobId: input.jobId, attempt });
  const ctx: JobContext = {
    jobId: input.jobId,
    name: input.name,
    attempt,
    maxAttempts,
    log,
    signal: input.signal,
  };
  if (!definition) {
    const error = new PermanentError('NO_HANDLER', `no handler registered for job ${input.name}`);
    log.error({ err: error }, 'job failed');
    input.metrics.record(input.name, 'failed');
    return { kind: 'failed', error, permanent: true };
  }

  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    await definition.run(input.data, ctx);
    input.metrics.record(input.name, 'completed', seconds());
    return { kind: 'completed' };
  } catch (error) {
    if (error instanceof DelayError) {
      log.info({ untilMs: error.untilMs, reason: error.message }, 'job delayed');
      input.metrics.record(input.name, 'delayed', seconds());
      return { kind: 'delayed', untilMs: error.untilMs };
    }
    const permanent = error instanceof PermanentError;
    if (!permanent && attempt < maxAttempts) {
      const delayMs = computeBackoff(attempt, definition.backoff);
      log.warn({ err: error, delayMs }, 'job failed, will retry');
      input.metrics.record(input.name, 'retry', seconds());
      return { kind: 'retry', delayMs, error };
    }
    log.error({ err: error, permanent }, 'job failed');
    input.metrics.record(input.name, 'failed', seconds());
    if (definition.onFailure) {
      await definition.onFailure(input.data, error, ctx).catch((err: unknown) => {
        log.error({ err }, 'job onFailure hook failed');
      });
    }
    return { kind: 'failed', error, permanent };
  }
}
