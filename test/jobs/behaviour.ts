import { afterEach, describe, expect, it } from 'vitest';
import { DelayError, PermanentError } from '../../src/jobs/errors.ts';
import { defineJobs, handler, type JobContext } from '../../src/jobs/registry.ts';
import { createJobsFactory, gate, type RunnerKind, sleep, uniquePrefix, waitFor } from '../helpers/jobs.ts';

type Ids = { integrationId: string };
const failedCount = async (jobs: { health(): Promise<{ detail?: Record<string, unknown> }> }) =>
  (await jobs.health()).detail?.failed;

// One behavioural suite, run against both runners (in-process.test.ts and bullmq.test.ts).
export function describeJobRunner(kind: RunnerKind): void {
  describe(`job runner: ${kind}`, () => {
    const factory = createJobsFactory(kind);
    afterEach(() => factory.cleanup());

    it('retries a failing job with backoff until it succeeds', async () => {
      const attempts: number[] = [];
      let done = false;
      const jobs = factory.make(
        defineJobs({
          flaky: handler<Ids>(
            async (_data, ctx) => {
              attempts.push(ctx.attempt);
              if (ctx.attempt < 3) throw new Error('vendor 503');
              done = true;
            },
            { attempts: 5, backoff: { baseMs: 20, maxMs: 100 } },
          ),
        }),
      );
      await jobs.start();
      await jobs.enqueue('flaky', { integrationId: 'i-1' });
      await waitFor('third attempt succeeds', () => done);
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('records a PermanentError once and does not retry it', async () => {
      const runs: JobContext[] = [];
      const failures: unknown[] = [];
      const jobs = factory.make(
        defineJobs({
          revoked: handler<Ids>(
            async (_data, ctx) => {
              runs.push(ctx);
              throw new PermanentError('VENDOR_AUTH_REVOKED', 'consent revoked');
            },
            { attempts: 5, backoff: { baseMs: 10 }, onFailure: async (_d, err) => void failures.push(err) },
          ),
        }),
      );
      await jobs.start();
      await jobs.enqueue('revoked', { integrationId: 'i-2' });
      await waitFor('failure recorded', async () => (await failedCount(jobs)) === 1);
      await sleep(300); // a retry would have come after ~10 ms
      expect(runs).toHaveLength(1);
      expect(failures).toHaveLength(1);
      expect((failures[0] as PermanentError).code).toBe('VENDOR_AUTH_REVOKED');
    });

    it('fails a job after its last attempt and calls onFailure once', async () => {
      let runs = 0;
      const failures: unknown[] = [];
      const jobs = factory.make(
        defineJobs({
          broken: handler<Ids>(
            async () => {
              runs += 1;
              throw new Error('always');
            },
            { attempts: 2, backoff: { baseMs: 10 }, onFailure: async (_d, err) => void failures.push(err) },
          ),
        }),
      );
      await jobs.start();
      await jobs.enqueue('broken', { integrationId: 'i-3' });
      await waitFor('final failure', async () => (await failedCount(jobs)) === 1);
      await sleep(300);
      expect(runs).toBe(2);
      expect(failures).toHaveLength(1);
    });

    it('re-runs a job after a DelayError without spending an attempt', async () => {
      const seen: number[] = [];
      let done = false;
      const jobs = factory.make(
        defineJobs({
          limited: handler<Ids>(
            async (_data, ctx) => {
              seen.push(ctx.attempt);
              if (seen.length < 4) throw DelayError.after(30, Date.now(), 'vendor 429');
              done = true;
            },
            // One attempt only: if a delay spent it, the job would fail instead of completing.
            { attempts: 1 },
          ),
        }),
      );
      await jobs.start();
      await jobs.enqueue('limited', { integrationId: 'i-4' });
      await waitFor('completes after three delays', () => done);
      expect(seen).toEqual([1, 1, 1, 1]);
    });

    it('dedupes by jobId while a job is queued or running, not after', async () => {
      const hold = gate();
      const runs: string[] = [];
      const jobs = factory.make(
        defineJobs({
          sync: handler<Ids>(async (data) => {
            runs.push(data.integrationId);
            if (runs.length === 1) await hold.promise;
          }),
        }),
      );
      await jobs.start();
      const first = await jobs.enqueue('sync', { integrationId: 'a' }, { jobId: 'sync:a' });
      await waitFor('first job running', () => runs.length === 1);
      const second = await jobs.enqueue('sync', { integrationId: 'a' }, { jobId: 'sync:a' });
      expect(first.deduplicated).toBe(false);
      expect(second).toEqual({ id: first.id, deduplicated: true });

      const delayed = await jobs.enqueue(
        'sync',
        { integrationId: 'b' },
        { jobId: 'sync:b', delayMs: 60_000 },
      );
      const again = await jobs.enqueue('sync', { integrationId: 'b' }, { jobId: 'sync:b' });
      expect(again).toEqual({ id: delayed.id, deduplicated: true });

      hold.open();
      // Once the first job has finished, the key is free again.
      let third = second;
      await waitFor('dedupe key released', async () => {
        third = await jobs.enqueue('sync', { integrationId: 'a' }, { jobId: 'sync:a' });
        return !third.deduplicated;
      });
      expect(third.id).not.toBe(first.id);
      await waitFor('the new job runs', () => runs.length === 2);
      expect(runs).toEqual(['a', 'a']);
    });

    it('never runs two jobs of one group at once, while other groups run in parallel', async () => {
      const active = new Map<string, number>();
      let maxInGroup = 0;
      let maxOverall = 0;
      let done = 0;
      const jobs = factory.make(
        defineJobs({
          sync: handler<Ids>(
            async (data) => {
              const n = (active.get(data.integrationId) ?? 0) + 1;
              active.set(data.integrationId, n);
              maxInGroup = Math.max(maxInGroup, n);
              maxOverall = Math.max(
                maxOverall,
                [...active.values()].reduce((a, b) => a + b, 0),
              );
              await sleep(60);
              active.set(data.integrationId, n - 1);
              done += 1;
            },
            { group: (d) => `integration:${d.integrationId}` },
          ),
        }),
        { concurrency: 4 },
      );
      await jobs.start();
      for (let i = 0; i < 4; i++) {
        await jobs.enqueue('sync', { integrationId: 'same' });
        await jobs.enqueue('sync', { integrationId: `other-${i}` });
      }
      await waitFor('all eight jobs done', () => done === 8, 30_000);
      expect(maxInGroup).toBe(1);
      expect(maxOverall).toBeGreaterThan(1);
    });

    it('close waits for the running job to finish', async () => {
      const hold = gate();
      let started = false;
      let finished = false;
      const jobs = factory.make(
        defineJobs({
          slow: handler<Ids>(async () => {
            started = true;
            await hold.promise;
            finished = true;
          }),
        }),
      );
      await jobs.start();
      await jobs.enqueue('slow', { integrationId: 'i-5' });
      await waitFor('job started', () => started);
      let closed = false;
      const closing = jobs.close({ timeoutMs: 20_000 }).then(() => {
        closed = true;
      });
      await sleep(200);
      expect(closed).toBe(false);
      hold.open();
      await closing;
      expect(finished).toBe(true);
    });

    it('runs a delayed job after its delay', async () => {
      let ranAt = 0;
      const jobs = factory.make(
        defineJobs({
          later: handler<Ids>(async () => {
            ranAt = Date.now();
          }),
        }),
      );
      await jobs.start();
      const enqueuedAt = Date.now();
      await jobs.enqueue('later', { integrationId: 'i-6' }, { delayMs: 300 });
      await waitFor('delayed job ran', () => ranAt > 0);
      expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(250);
    });

    it('runs a scheduled job repeatedly', async () => {
      let ticks = 0;
      const jobs = factory.make(
        defineJobs({
          'sync.enqueueDue': handler<Record<string, never>>(async () => {
            ticks += 1;
          }),
        }),
        { prefix: uniquePrefix() },
      );
      await jobs.schedule('enqueue-due', 100, 'sync.enqueueDue', {});
      await jobs.start();
      await waitFor('three ticks', () => ticks >= 3);
    });
  });
}
