import type { Log } from '../log.ts';

// Jobs carry ids only, never tokens or health data. A runner (in-process here; BullMQ when
// REDIS_URL is set) sits behind enqueue / start / close.
export type JobHandler<T> = (data: T) => Promise<void>;

export interface JobRunner {
  enqueue(
    name: string,
    data: Record<string, unknown>,
    options?: { delayMs?: number; jobId?: string },
  ): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  health(): Promise<{ ok: boolean; detail?: Record<string, unknown> }>;
}

export function createInProcessRunner(
  handlers: Record<string, JobHandler<Record<string, unknown>>>,
  log: Log,
): JobRunner {
  const running = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let accepting = false;
  let completed = 0;
  let failed = 0;

  function run(name: string, data: Record<string, unknown>): void {
    const handler = handlers[name];
    if (!handler) {
      log.error({ job: name }, 'no handler for job');
      return;
    }
    const p = handler(data)
      .then(() => {
        completed += 1;
      })
      .catch((err: unknown) => {
        failed += 1;
        log.error({ job: name, err }, 'job failed');
      })
      .finally(() => running.delete(p));
    running.add(p);
  }

  return {
    async enqueue(name, data, options = {}) {
      if (!accepting) return;
      const delay = options.delayMs ?? 0;
      if (delay <= 0) return run(name, data);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (accepting) run(name, data);
      }, delay);
      timers.add(timer);
    },
    async start() {
      accepting = true;
    },
    async close() {
      accepting = false;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...running]);
    },
    async health() {
      return { ok: true, detail: { kind: 'in-process', running: running.size, completed, failed } };
    },
  };
}
