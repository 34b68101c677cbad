import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { handler } from '../../src/jobs/registry.ts';
import { isolatedDatabaseUrl, testDatabaseUrl } from '../helpers/app.ts';
import { createJobsFactory, testRedisUrl, uniquePrefix, waitFor } from '../helpers/jobs.ts';

// `npm run worker` as operators run it: consumes the shared queue, stops cleanly on SIGTERM.
let child: ChildProcess | undefined;
const factory = createJobsFactory('bullmq');
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await factory.cleanup();
});

function spawnWorker(env: Record<string, string>): { proc: ChildProcess; output: () => string } {
  let out = '';
  const proc = spawn(process.execPath, ['src/worker.ts'], {
    env: { PATH: process.env.PATH ?? '', SANDBOX: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d) => {
    out += String(d);
  });
  proc.stderr?.on('data', (d) => {
    out += String(d);
  });
  return { proc, output: () => out };
}

const exitOf = (proc: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.on('exit', (code) => resolve(code));
  });

describe('worker process', () => {
  it('refuses to start without Redis and a database server', async () => {
    const { proc, output } = spawnWorker({});
    child = proc;
    expect(await exitOf(proc)).toBe(1);
    expect(output()).toContain('REDIS_URL and DATABASE_URL required');
  });

  it.skipIf(!testRedisUrl || !testDatabaseUrl)(
    'consumes the shared queue and exits 0 on SIGTERM',
    async () => {
      const prefix = uniquePrefix();
      const database = await isolatedDatabaseUrl();
      onTestFinished(() => database?.drop());
      const { proc, output } = spawnWorker({
        REDIS_URL: testRedisUrl ?? '',
        DATABASE_URL: database?.url ?? '',
        JOBS_QUEUE_PREFIX: prefix,
        DATA_DIR: await mkdtemp(join(tmpdir(), 'phr-worker-')),
      });
      child = proc;
      await waitFor('worker started', () => output().includes('PHR job worker started'), 30_000);

      // A producer that does not consume (the API server with RUN_WORKER=0).
      const producer = factory.make(
        { 'test.unknown': handler<{ id: string }>(async () => expect.fail('the producer does not consume')) },
        { prefix },
      );
      await producer.start({ consume: false });
      await producer.enqueue('test.unknown', { id: '1' });
      // The worker has no handler for it: it records the job as failed, which proves it consumed it.
      await waitFor(
        'worker took the job',
        async () => (await producer.health()).detail?.failed === 1,
        30_000,
      );

      proc.kill('SIGTERM');
      expect(await exitOf(proc)).toBe(0);
    },
  );
});
