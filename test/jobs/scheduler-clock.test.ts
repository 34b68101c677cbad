import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/jobs/in-process.ts';
import { createJobs } from '../../src/jobs/jobs.ts';
import { handler } from '../../src/jobs/registry.ts';
import { testLog } from '../helpers/jobs.ts';

/** A clock the test moves by hand: timers fire only when `advance` passes their time. */
function manualTimers(): Timers & { advance(ms: number): Promise<void> } {
  let now = 1_700_000_000_000;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      seq += 1;
      pending.set(seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        pending.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        await new Promise((r) => setImmediate(r)); // let the handler run
      }
      now = end;
    },
  };
}

describe('in-process scheduler on a fake clock', () => {
  it('ticks once per interval, at start and then every minute', async () => {
    const timers = manualTimers();
    const ticks: number[] = [];
    const jobs = createJobs<{ 'sync.enqueueDue': Record<string, never> }>({
      config: { redisUrl: undefined, jobs: { queuePrefix: 't', concurrency: 2, runWorker: true } },
      log: testLog,
      registry: new Registry(),
      timers,
    });
    jobs.register({ 'sync.enqueueDue': handler(async () => void ticks.push(timers.now())) });
    await jobs.schedule('enqueue-due', 60_000, 'sync.enqueueDue', {});
    await jobs.start();
    const t0 = timers.now();
    await timers.advance(0);
    await timers.advance(3 * 60_000 + 30_000);
    expect(ticks.map((t) => t - t0)).toEqual([0, 60_000, 120_000, 180_000]);
    await jobs.close();
  });
});
