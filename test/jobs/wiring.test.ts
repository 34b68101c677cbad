import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../helpers/jobs.ts';

// deps.jobs as the app sees it: the runner chosen by config, readiness and metrics wired.
let app: TestApp | undefined;
let prefix: string | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  if (prefix && testRedisUrl) await deleteKeys(testRedisUrl, prefix);
});

describe('jobs wiring', () => {
  it('runs in-process without REDIS_URL and reports in /readyz and /metrics', async () => {
    app = await createTestApp();
    expect(app.deps.jobs.kind).toBe('in-process');
    const ready = await app.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.jobs).toBe('ok');
    expect((await app.deps.jobs.health()).detail).toMatchObject({ kind: 'in-process', consuming: true });
    const metrics = await app.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('jobs_runs_total');
  });

  it.skipIf(!testRedisUrl)('uses BullMQ with REDIS_URL and reports queue counts', async () => {
    prefix = uniquePrefix();
    app = await createTestApp({ env: { REDIS_URL: testRedisUrl ?? '', JOBS_QUEUE_PREFIX: prefix } });
    expect(app.deps.jobs.kind).toBe('bullmq');
    const ready = await app.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ jobs: 'ok', redis: 'ok' });
    expect((await app.deps.jobs.health()).detail).toMatchObject({ kind: 'bullmq', consuming: true });
    // Scheduled jobs (the events dispatcher every 2 s) can be waiting for a moment: the worker
    // takes them, so the queue drains.
    const deadline = Date.now() + 5_000;
    let waiting = Number((await app.deps.jobs.health()).detail?.waiting);
    while (waiting !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      waiting = Number((await app.deps.jobs.health()).detail?.waiting);
    }
    expect(waiting).toBe(0);
  });
});
