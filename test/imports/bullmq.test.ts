/**
 * The import job is one handler for both runners: here through BullMQ on Redis (skipped without
 * TEST_REDIS_URL); test/imports/imports.test.ts runs it in-process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedTotals } from '../fixtures/apple-health/generate.ts';
import { registerUser } from '../helpers/app.ts';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../helpers/jobs.ts';
import { importRaw, importTestApp } from './helpers.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/apple-health/export-3-days.zip');
const prefix = uniquePrefix();
let t: Awaited<ReturnType<typeof importTestApp>> | undefined;

beforeAll(async () => {
  if (testRedisUrl) t = await importTestApp({ REDIS_URL: testRedisUrl, JOBS_QUEUE_PREFIX: prefix });
});
afterAll(async () => {
  await t?.close();
  if (testRedisUrl) await deleteKeys(testRedisUrl, prefix);
});

describe.skipIf(!testRedisUrl)('Apple Health import on BullMQ', () => {
  it('imports the export through the queue, and the re-import writes nothing', async () => {
    const app = t!;
    expect(app.deps.jobs.kind).toBe('bullmq');
    const u = await registerUser(app.app);
    const zip = await readFile(FIXTURE);
    const first = await importRaw(app, u.auth, zip);
    expect(first).toMatchObject({ status: 'succeeded', error: null });
    const res = await app.app.inject({
      url: '/health/summary?type=steps&start=2026-10-30&end=2026-11-05',
      headers: u.auth,
    });
    const sums = (res.json() as { buckets: { date: string; sum: number }[] }).buckets.map((b) => [
      b.date,
      b.sum,
    ]);
    const expected = expectedTotals({
      start: '2026-11-01',
      days: 3,
      malformed: true,
      heartRateEveryMinutes: 10,
    });
    expect(sums).toEqual([...expected].map(([d, v]) => [d, v.steps]));
    const again = await importRaw(app, u.auth, zip);
    expect(again).toMatchObject({ status: 'succeeded', created: 0, updated: 0, unchanged: first.created });
  });
});
