import { Counter, Histogram, type Registry } from 'prom-client';

export type JobOutcome = 'completed' | 'retry' | 'delayed' | 'failed' | 'group_busy';

export interface JobMetrics {
  record(job: string, outcome: JobOutcome, seconds?: number): void;
}

/** Job counters and durations, on the app's registry (one per app instance, as for HTTP). */
export function createJobMetrics(registry: Registry | undefined): JobMetrics {
  if (!registry) return { record() {} };
  const runs = new Counter({
    name: 'jobs_runs_total',
    help: 'Job runs by job name and outcome (completed, retry, delayed, failed, group_busy)',
    labelNames: ['job', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'jobs_run_duration_seconds',
    help: 'Job handler duration by job name and outcome',
    labelNames: ['job', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  return {
    record(job, outcome, seconds) {
      runs.inc({ job, outcome });
      if (seconds !== undefined) duration.observe({ job, outcome }, seconds);
    },
  };
}
