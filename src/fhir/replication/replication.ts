/**
 * Replication wiring: the poller that drives `pushOutbox`, its readiness check and its metrics.
 *
 *   createReplication({ db, fetch, clock, log, metrics, serverUrl }) -> { push, start, stop, readiness }
 *   withReplication(jobs, replication) -> a job system whose start/close also start/stop the poller
 *
 * The poller pushes until the outbox has nothing due, then sleeps `intervalMs`. `kick()` wakes it
 * early (after a write). Stop waits for the push in flight.
 */
import { Counter, Gauge } from 'prom-client';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import type { JobSystem } from '../../jobs/registry.ts';
import type { Log } from '../../log.ts';
import type { Metrics } from '../../ops/metrics.ts';
import type { ReadinessCheck } from '../../ops/ops.routes.ts';
import { outboxStats } from '../store/replication-outbox.repository.ts';
import { type PushDeps, type PushResult, pushOutbox } from './push.ts';

export interface ReplicationOptions {
  db: Db;
  fetch: typeof fetch;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  serverUrl: string;
  intervalMs?: number;
  /** Readiness fails when the oldest pending change is older than this. */
  maxLagSeconds?: number;
  push?: Partial<Pick<PushDeps, 'batchSize' | 'timeoutMs' | 'backoff' | 'random' | 'deadLetterAfter'>>;
}

export interface Replication {
  push(): Promise<PushResult>;
  /** Pushes until nothing is due (or a push fails). */
  drain(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  kick(): void;
  readiness: ReadinessCheck;
}

export function createReplication(options: ReplicationOptions): Replication {
  const { db, clock, log, metrics } = options;
  const intervalMs = options.intervalMs ?? 2_000;
  const maxLagSeconds = options.maxLagSeconds ?? 3_600;
  const registers = [metrics.registry];
  const sentTotal = new Counter({
    name: 'fhir_replication_sent_total',
    help: 'Outbox rows delivered to the FHIR server',
    registers,
  });
  const failedTotal = new Counter({
    name: 'fhir_replication_failures_total',
    help: 'Failed pushes to the FHIR server',
    registers,
  });
  const deadLetteredTotal = new Counter({
    name: 'fhir_replication_dead_letters_total',
    help: 'Outbox rows set aside as dead letters after the FHIR server refused them (4xx) on every attempt',
    registers,
  });
  let lastSuccessAt: Date | undefined;
  let lastError: string | undefined;
  new Gauge({
    name: 'fhir_outbox_pending',
    help: 'Changes waiting to be replicated',
    registers,
    async collect() {
      this.set((await outboxStats(db, clock.now())).pending);
    },
  });
  new Gauge({
    name: 'fhir_outbox_dead_letters',
    help: 'Dead letters in the outbox: changes the FHIR server refused, waiting for an operator',
    registers,
    async collect() {
      this.set((await outboxStats(db, clock.now())).dead);
    },
  });
  new Gauge({
    name: 'fhir_outbox_lag_seconds',
    help: 'Age of the oldest change waiting to be replicated',
    registers,
    async collect() {
      this.set((await outboxStats(db, clock.now())).oldestAgeSeconds);
    },
  });

  const pushDeps: PushDeps = {
    db,
    fetch: options.fetch,
    clock,
    log,
    serverUrl: options.serverUrl,
    ...options.push,
    onResult(r) {
      if (r.sent > 0) sentTotal.inc(r.sent);
      if (r.deadLettered > 0) deadLetteredTotal.inc(r.deadLettered);
      if (r.error) {
        failedTotal.inc();
        lastError = r.error;
      } else if (r.sent > 0) {
        lastSuccessAt = clock.now();
        lastError = undefined;
      }
    },
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let active = false;

  async function drain(): Promise<void> {
    for (;;) {
      const r = await pushOutbox(pushDeps);
      if (!r.more || r.failed > 0) return;
    }
  }

  function schedule(delay: number): void {
    if (!active) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
  }

  function tick(): void {
    if (running) return;
    running = drain()
      .catch((err: unknown) => log.error({ err }, 'FHIR replication loop failed'))
      .finally(() => {
        running = undefined;
        schedule(intervalMs);
      });
  }

  return {
    push: () => pushOutbox(pushDeps),
    drain,
    start() {
      active = true;
      schedule(0);
    },
    async stop() {
      active = false;
      clearTimeout(timer);
      await running;
    },
    kick() {
      if (active && !running) schedule(0);
    },
    readiness: {
      name: 'fhir_replication',
      async check() {
        const stats = await outboxStats(db, clock.now());
        // Dead letters are an operator's task (a counter in /metrics), not a reason to stop
        // routing traffic here: only the lag of changes still being delivered counts.
        return {
          ok: stats.oldestAgeSeconds <= maxLagSeconds,
          detail: {
            pending: stats.pending,
            failing: stats.failing,
            dead_letters: stats.dead,
            lag_seconds: Math.round(stats.oldestAgeSeconds),
            last_error: lastError ?? stats.lastError,
            last_success_at: lastSuccessAt?.toISOString() ?? null,
          },
        };
      },
    },
  };
}

/**
 * The app's job system, with the replication poller started and stopped alongside it. The poller
 * runs where jobs are consumed (in-process always; BullMQ only in a worker), so one process pushes.
 */
export function withReplication<P>(
  jobs: JobSystem<P>,
  replication: Replication,
  runWorker: boolean,
): JobSystem<P> {
  return {
    kind: jobs.kind,
    enqueue: jobs.enqueue,
    register: (definitions) => jobs.register(definitions),
    schedule: (id, everyMs, name, data) => jobs.schedule(id, everyMs, name, data),
    health: () => jobs.health(),
    async start(options) {
      await jobs.start(options);
      if (jobs.kind === 'in-process' || (options?.consume ?? runWorker)) replication.start();
    },
    async close(options) {
      await replication.stop();
      await jobs.close(options);
    },
  };
}
