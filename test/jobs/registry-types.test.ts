import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createJobs } from '../../src/jobs/jobs.ts';
import { defineJobs, handler, type PayloadsOf } from '../../src/jobs/registry.ts';
import { testLog } from '../helpers/jobs.ts';

type SyncJobs = {
  'sync.integration': { integrationId: string; syncRunId?: string; reason: 'scheduled' | 'manual' };
  'sync.enqueueDue': Record<string, never>;
};

// Compile-time checks (tsc runs over test/): a wrong name or payload must not compile.
describe('typed job registry', () => {
  it('types handlers from a declared payload map and checks enqueue call sites', async () => {
    const seen: string[] = [];
    const definitions = defineJobs<SyncJobs>({
      'sync.integration': handler(async (data) => {
        seen.push(`${data.integrationId}:${data.reason}`);
      }),
      'sync.enqueueDue': handler(async () => {}),
    });
    const jobs = createJobs<PayloadsOf<typeof definitions>>({
      config: { redisUrl: undefined, jobs: { queuePrefix: 't', concurrency: 1, runWorker: true } },
      log: testLog,
      registry: new Registry(),
    });
    jobs.register(definitions);
    await jobs.enqueue('sync.integration', { integrationId: 'i-1', reason: 'manual' });
    // @ts-expect-error unknown job name
    await jobs.enqueue('sync.unknown', { integrationId: 'i-1' }).catch(() => undefined);
    // @ts-expect-error wrong payload: reason is a closed union
    await jobs.enqueue('sync.integration', { integrationId: 'i-1', reason: 'whenever' });
    // @ts-expect-error missing integrationId
    await jobs.enqueue('sync.integration', { reason: 'manual' });
    // @ts-expect-error payloads are flat ids, not objects (never tokens or health data)
    handler<{ token: { accessToken: string } }>(async () => {});
    // @ts-expect-error every job of the map needs a handler
    defineJobs<SyncJobs>({ 'sync.enqueueDue': handler(async () => {}) });

    await jobs.start();
    await jobs.close();
    expect(seen[0]).toBe('i-1:manual');
  });
});
