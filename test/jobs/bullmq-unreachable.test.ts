// BullMQ mode with no Redis answering at all (down since before the process started): enqueue
// throws JobsUnavailableError within its bound instead of waiting for Redis, and close returns.
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { JobsUnavailableError } from '../../src/jobs/errors.ts';
import { createJobs } from '../../src/jobs/jobs.ts';
import { defineJobs, handler } from '../../src/jobs/registry.ts';
import { testLog } from '../helpers/jobs.ts';

/** A port nothing listens on (taken, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('bullmq without a reachable Redis', () => {
  it('enqueue fails within its bound and close does not wait for Redis', async () => {
    const jobs = createJobs<{ ping: { id: string } }>({
      config: {
        redisUrl: `redis://127.0.0.1:${await closedPort()}`,
        jobs: { queuePrefix: 'unreachable', concurrency: 1, runWorker: true },
      },
      log: testLog,
      registry: new Registry(),
      bullmq: { enqueueTimeoutMs: 500 },
    });
    jobs.register(defineJobs({ ping: handler<{ id: string }>(async () => {}) }));
    const started = Date.now();
    await expect(jobs.enqueue('ping', { id: 'a' })).rejects.toBeInstanceOf(JobsUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
    const closing = Date.now();
    await jobs.close({ timeoutMs: 30_000 });
    expect(Date.now() - closing).toBeLessThan(5000);
  });
});
