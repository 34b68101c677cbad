import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { JobStalledError } from '../../src/jobs/errors.ts';
import { defineJobs, handler } from '../../src/jobs/registry.ts';
import { createJobsFactory, sleep, testRedisUrl, uniquePrefix, waitFor } from '../helpers/jobs.ts';

type Ids = { integrationId: string };

// What only a shared Redis can show: several worker processes, crashes, dropped connections.
describe.skipIf(!testRedisUrl)('bullmq across processes', () => {
  const factory = createJobsFactory('bullmq');
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    await factory.cleanup();
  });

  it('two workers on one queue never run two jobs of one group at once', async () => {
    const prefix = uniquePrefix();
    let active = 0;
    let maxActive = 0;
    const ranOn: string[] = [];
    const definitions = (worker: string) =>
      defineJobs({
        sync: handler<Ids>(
          async () => {
            active += 1;
            maxActive = Math.max(maxActive, active);
            ranOn.push(worker);
            await sleep(40);
            active -= 1;
          },
          { group: (d) => `integration:${d.integrationId}` },
        ),
      });
    const a = factory.make(definitions('a'), { prefix, concurrency: 3 });
    const b = factory.make(definitions('b'), { prefix, concurrency: 3 });
    await Promise.all([a.start(), b.start()]);
    for (let i = 0; i < 8; i++) await (i % 2 ? a : b).enqueue('sync', { integrationId: 'one' });
    await waitFor('all eight done', () => ranOn.length === 8, 30_000);
    expect(maxActive).toBe(1);
  });

  it('recovers a job from a worker killed mid-job and completes it elsewhere', async () => {
    const prefix = uniquePrefix();
    const completed: string[] = [];
    const jobs = factory.make(
      defineJobs({
        hang: handler<Ids>(
          async (_data, ctx) => {
            completed.push(ctx.jobId);
          },
          { group: (d) => `integration:${d.integrationId}` },
        ),
      }),
      { prefix },
    );
    const child = spawnWorker(prefix);
    children.push(child);
    const lines = collectLines(child);
    await waitFor('child worker ready', () => lines.includes('ready'));
    const { id } = await jobs.enqueue('hang', { integrationId: 'crashy' });
    await waitFor('child took the job', () => lines.includes(`started ${id}`));
    child.kill('SIGKILL');
    await waitFor('child gone', () => child.exitCode !== null || child.signalCode !== null);

    // This worker starts only now: the job (and its group lock) must be recovered.
    await jobs.start();
    await waitFor('job recovered and completed', () => completed.includes(id), 30_000);
    expect(completed).toEqual([id]);
  });

  it('a job whose worker dies twice is failed without running again, and its onFailure runs', async () => {
    const prefix = uniquePrefix();
    const ran: string[] = [];
    const failures: unknown[] = [];
    const jobs = factory.make(
      defineJobs({
        hang: handler<Ids>(
          async (_data, ctx) => {
            ran.push(ctx.jobId);
          },
          {
            onFailure: async (data, error, ctx) => {
              failures.push({ data, error, jobId: ctx.jobId });
            },
          },
        ),
      }),
      { prefix },
    );
    const { id } = await jobs.enqueue('hang', { integrationId: 'twice' });
    for (const n of [1, 2]) {
      const child = spawnWorker(prefix);
      children.push(child);
      const lines = collectLines(child);
      await waitFor(`worker ${n} took the job`, () => lines.includes(`started ${id}`), 30_000);
      child.kill('SIGKILL');
      await waitFor(`worker ${n} gone`, () => child.exitCode !== null || child.signalCode !== null);
    }

    await jobs.start();
    await waitFor('onFailure called', () => failures.length > 0, 30_000);
    expect(ran).toEqual([]);
    expect(failures).toHaveLength(1);
    const failure = failures[0] as { data: Ids; error: JobStalledError; jobId: string };
    expect(failure).toMatchObject({ data: { integrationId: 'twice' }, jobId: id });
    expect(failure.error).toBeInstanceOf(JobStalledError);
    expect(failure.error.code).toBe('JOB_STALLED');
    expect((await jobs.health()).detail).toMatchObject({ failed: 1 });
  });

  it('keeps working after its Redis connections are dropped', async () => {
    const prefix = uniquePrefix();
    const done: string[] = [];
    const jobs = factory.make(
      defineJobs({ ping: handler<Ids>(async (d) => void done.push(d.integrationId)) }),
      { prefix },
    );
    await jobs.start();
    await jobs.enqueue('ping', { integrationId: 'before' });
    await waitFor('first job', () => done.includes('before'));

    const killed = await killClientsNamed(prefix);
    expect(killed).toBeGreaterThan(0);
    await jobs.enqueue('ping', { integrationId: 'after' });
    await waitFor('job after reconnect', () => done.includes('after'), 30_000);
    expect((await jobs.health()).ok).toBe(true);
  });
});

function spawnWorker(prefix: string): ChildProcess {
  const script = fileURLToPath(new URL('./fixtures/hanging-worker.ts', import.meta.url));
  return spawn(process.execPath, [script], {
    env: { ...process.env, TEST_REDIS_URL: testRedisUrl, JOBS_QUEUE_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  return lines;
}

/** Drops this test's connections server-side (CLIENT KILL), as a Redis restart or network blip would. */
async function killClientsNamed(prefix: string): Promise<number> {
  const admin = new Redis(testRedisUrl ?? '');
  try {
    const list = String(await admin.client('LIST'));
    const ids = list
      .split('\n')
      .filter((line) => / name=(\S+)/.exec(line)?.[1]?.startsWith(prefix))
      .map((line) => / ?id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    await admin.quit();
  }
}
