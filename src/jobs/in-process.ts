import { randomUUID } from 'node:crypto';
import type { Log } from '../log.ts';
import { runAttempt } from './execute.ts';
import type { JobMetrics } from './metrics.ts';
import type { JobDefinition, JobDefinitions, JobPayload, JobSystem } from './registry.ts';

/** Time source and timers, injectable so tests can drive the scheduler with a fake clock. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Entry {
  id: string;
  name: string;
  data: JobPayload;
  attemptsMade: number;
  runAt: number;
  dedupeKey: string | undefined;
}

export interface InProcessOptions {
  log: Log;
  metrics: JobMetrics;
  concurrency: number;
  timers?: Timers;
  /** Backlog older than this while nothing starts makes health() not ok. */
  stuckAfterMs?: number;
}

// Same semantics as the BullMQ runner, in memory: retries with backoff, delays, dedupe,
// per-group exclusivity, a concurrency limit. Not durable: queued jobs die with the process.
export function createInProcessJobs<P>(options: InProcessOptions): JobSystem<P> {
  const { log, metrics, concurrency } = options;
  const timers = options.timers ?? realTimers;
  const stuckAfterMs = options.stuckAfterMs ?? 15 * 60_000;
  const definitions = new Map<string, JobDefinition<JobPayload>>();
  const queue = new Map<string, Entry>();
  const dedupe = new Map<string, string>();
  const running = new Map<string, { promise: Promise<void>; controller: AbortController }>();
  const busyGroups = new Set<string>();
  const schedules = new Map<string, { everyMs: number; name: string; data: JobPayload }>();
  const scheduleTimers = new Set<unknown>();
  let timer: unknown;
  let consuming = false;
  let closed = false;
  let lastActivityAt = timers.now();
  let lastCompletedAt: number | undefined;
  const counts = { completed: 0, failed: 0 };

  const groupOf = (e: Entry) => definitions.get(e.name)?.group?.(e.data as never);

  function pump(): void {
    if (!consuming) return;
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    // All slots taken: the next job to finish pumps again (and sets the timer for delayed ones),
    // so a long backlog costs nothing per enqueue.
    if (running.size >= concurrency) return;
    const now = timers.now();
    // The earliest due job whose group is free, one slot at a time: a scan per started job
    // rather than sorting the whole backlog every time a job finishes. Ties go to the older entry.
    while (running.size < concurrency) {
      let pick: Entry | undefined;
      let pickGroup: string | undefined;
      for (const e of queue.values()) {
        if (e.runAt > now || (pick !== undefined && e.runAt >= pick.runAt)) continue;
        const group = groupOf(e);
        if (group !== undefined && busyGroups.has(group)) continue;
        pick = e;
        pickGroup = group;
      }
      if (pick === undefined) break;
      start(pick, pickGroup);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const e of queue.values()) if (e.runAt > now) next = Math.min(next, e.runAt);
    if (next !== Number.POSITIVE_INFINITY) timer = timers.setTimeout(pump, Math.max(0, next - now));
  }

  function start(entry: Entry, group: string | undefined): void {
    queue.delete(entry.id);
    if (group !== undefined) busyGroups.add(group);
    lastActivityAt = timers.now();
    const controller = new AbortController();
    const definition = definitions.get(entry.name);
    const promise = runAttempt(definition, {
      ...entry,
      jobId: entry.id,
      signal: controller.signal,
      log,
      metrics,
    })
      .then((result) => {
        if (result.kind === 'retry' || result.kind === 'delayed') {
          if (result.kind === 'retry') entry.attemptsMade += 1;
          entry.runAt = result.kind === 'retry' ? timers.now() + result.delayMs : result.untilMs;
          if (closed) return finish(entry);
          queue.set(entry.id, entry);
          return;
        }
        if (result.kind === 'completed') {
          counts.completed += 1;
          lastCompletedAt = timers.now();
        } else counts.failed += 1;
        finish(entry);
      })
      .finally(() => {
        running.delete(entry.id);
        if (group !== undefined) busyGroups.delete(group);
        lastActivityAt = timers.now();
        pump();
      });
    running.set(entry.id, { promise, controller });
  }

  function finish(entry: Entry): void {
    if (entry.dedupeKey !== undefined && dedupe.get(entry.dedupeKey) === entry.id)
      dedupe.delete(entry.dedupeKey);
  }

  async function enqueueRaw(
    name: string,
    data: JobPayload,
    opts: { delayMs?: number; jobId?: string; promote?: boolean } = {},
  ) {
    if (closed) throw new Error(`job system closed: cannot enqueue ${name}`);
    const existing = opts.jobId === undefined ? undefined : dedupe.get(opts.jobId);
    if (existing !== undefined) {
      const waiting = queue.get(existing); // undefined while it runs
      if (opts.promote && waiting && waiting.runAt > timers.now()) {
        waiting.runAt = timers.now();
        pump();
      }
      return { id: existing, deduplicated: true };
    }
    const id = randomUUID();
    queue.set(id, {
      id,
      name,
      data: structuredClone(data),
      attemptsMade: 0,
      runAt: timers.now() + Math.max(0, opts.delayMs ?? 0),
      dedupeKey: opts.jobId,
    });
    if (opts.jobId !== undefined) dedupe.set(opts.jobId, id);
    pump();
    return { id, deduplicated: false };
  }

  function tick(id: string): void {
    const s = schedules.get(id);
    if (!s || closed) return;
    enqueueRaw(s.name, s.data, { jobId: `schedule:${id}` }).catch((err: unknown) =>
      log.error({ err, schedule: id }, 'scheduled enqueue failed'),
    );
    const handle = timers.setTimeout(() => {
      scheduleTimers.delete(handle);
      tick(id);
    }, s.everyMs);
    scheduleTimers.add(handle);
  }

  return {
    kind: 'in-process',
    enqueue: (name, data, opts) => enqueueRaw(name, data as JobPayload, opts),
    register(defs: JobDefinitions<P>) {
      for (const [name, def] of Object.entries(defs)) {
        definitions.set(name, def as JobDefinition<JobPayload>);
      }
    },
    async schedule(id, everyMs, name, data) {
      const first = !schedules.has(id);
      schedules.set(id, { everyMs, name, data: data as JobPayload });
      if (first && consuming) tick(id);
    },
    async start() {
      if (closed || consuming) return;
      consuming = true;
      lastActivityAt = timers.now();
      for (const id of schedules.keys()) tick(id);
      pump();
    },
    async close({ timeoutMs = 30_000 } = {}) {
      closed = true;
      consuming = false;
      if (timer !== undefined) timers.clearTimeout(timer);
      for (const h of scheduleTimers) timers.clearTimeout(h);
      scheduleTimers.clear();
      if (queue.size > 0) log.warn({ dropped: queue.size }, 'in-process jobs dropped at shutdown');
      queue.clear();
      const all = Promise.allSettled([...running.values()].map((r) => r.promise));
      let handle: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((resolve) => {
          handle = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(handle);
      if (timedOut) {
        log.warn({ running: running.size }, 'jobs still running at close timeout: aborting');
        for (const r of running.values()) r.controller.abort(new Error('job system closing'));
      }
    },
    async health() {
      const waiting = [...queue.values()].filter((e) => e.runAt <= timers.now()).length;
      const stuck = consuming && waiting > 0 && timers.now() - lastActivityAt > stuckAfterMs;
      return {
        ok: !stuck,
        detail: {
          kind: 'in-process',
          consuming,
          waiting,
          delayed: queue.size - waiting,
          active: running.size,
          ...counts,
          lastCompletedAt: lastCompletedAt === undefined ? null : new Date(lastCompletedAt).toISOString(),
          stuck,
        },
      };
    },
  };
}
