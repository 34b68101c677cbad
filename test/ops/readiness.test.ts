// /readyz is public: it names each component and its state, and keeps the reasons for the log.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { singleValue } from '../helpers/app-bodies.ts';

const SECRET_TEXT = 'db-internal.corp.example:5432 relation "fhir_obs" does not exist';

describe('/readyz', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('answers 200 with each component ok', async () => {
    const res = await t.app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok', jobs: 'ok' } });
  });

  it('answers 503 naming the failing component; its error goes to the log once, not to the client', async () => {
    let broken = true;
    t.deps.readiness.push({
      name: 'fhir_replication',
      check: async () => {
        if (broken) throw new Error(`connect ECONNREFUSED ${SECRET_TEXT}`);
        return { ok: true };
      },
    });
    try {
      const logged = () => t.logs.filter((l) => l.includes('readiness check failing')).length;
      const res = await t.app.inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        status: 'not_ready',
        checks: { database: 'ok', jobs: 'ok', fhir_replication: 'fail' },
      });
      expect(res.body).not.toContain('db-internal');
      expect(logged()).toBe(1);
      expect(t.logs.join('\n')).toContain('db-internal.corp.example');
      await t.app.inject('/readyz');
      expect(logged()).toBe(1);

      broken = false;
      expect((await t.app.inject('/readyz')).statusCode).toBe(200);
      expect(t.logs.some((l) => l.includes('readiness check recovered'))).toBe(true);
    } finally {
      t.deps.readiness.pop();
    }
  });

  it('logs a failing check’s counts but not its free text, which may echo health data', async () => {
    t.deps.readiness.push({
      name: 'outbox',
      check: async () => ({
        ok: false,
        detail: {
          pending: 7,
          kind: 'in-process',
          last_error: 'FHIR server answered 400: weight 81.5 kg of jane',
        },
      }),
    });
    try {
      expect((await t.app.inject('/readyz')).json().checks.outbox).toBe('fail');
      const line = t.logs.find((l) => l.includes('readiness check failing') && l.includes('"outbox"'));
      expect(line).toContain('"pending":7');
      expect(line).toContain('"kind":"in-process"');
      expect(line).not.toContain('81.5');
    } finally {
      t.deps.readiness.pop();
    }
  });

  it('counts a check that does not answer as failing, and still answers', async () => {
    t.deps.readiness.push({ name: 'stalled', check: () => new Promise(() => {}) });
    try {
      const res = await t.app.inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json().checks).toMatchObject({ database: 'ok', stalled: 'fail' });
    } finally {
      t.deps.readiness.pop();
    }
  });
});

describe('/readyz with an external FHIR server that answers errors', () => {
  let fhir: Server;
  let t: TestApp;
  beforeAll(async () => {
    fhir = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`upstream failure at ${SECRET_TEXT}`);
    });
    await new Promise<void>((resolve) => fhir.listen(0, '127.0.0.1', resolve));
    const { port } = fhir.address() as AddressInfo;
    t = await createTestApp({ env: { FHIR_SERVER_URL: `http://127.0.0.1:${port}/fhir` } });
    await t.deps.fhir.replication?.stop();
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => fhir?.close(resolve));
  });

  it('keeps the server’s answer and address out of the body', async () => {
    const u = await registerUser(t.app);
    const me = (await t.app.inject({ url: '/auth/me', headers: u.auth })).json();
    const written = await t.app.inject({
      method: 'POST',
      url: '/fhir/Observation',
      headers: u.auth,
      payload: singleValue('heart_rate', 70, me.fhir_patient_id, '2026-05-01T08:00:00Z'),
    });
    expect(written.statusCode).toBe(201);
    const pushed = await t.deps.fhir.replication?.push();
    expect(pushed?.failed).toBeGreaterThan(0);

    const res = await t.app.inject('/readyz');
    expect(res.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', jobs: 'ok', fhir_replication: 'ok' },
    });
    expect(res.body).not.toContain('db-internal');
    expect(res.body).not.toContain('127.0.0.1');
  });
});

/** A Redis of this test's own, so it can be stopped without touching the machine's. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve();
    });
  });
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const hasRedisServer = await new Promise<boolean>((resolve) => {
  const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  probe.once('error', () => resolve(false));
  probe.once('exit', (code) => resolve(code === 0));
});

describe.skipIf(!hasRedisServer)('/readyz with Redis', () => {
  let redis: ChildProcess | undefined;
  let port: number;
  let t: TestApp;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await createTestApp({
      env: {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        JOBS_QUEUE_PREFIX: `ready-${randomBytes(4).toString('hex')}`,
      },
    });
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    if (redis) await stopRedis(redis);
  }, 30_000);

  it('reports redis and jobs failing while Redis is down, without its address, and ok once it is back', async () => {
    expect((await t.app.inject('/readyz')).json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', jobs: 'ok', redis: 'ok' },
    });
    if (redis) await stopRedis(redis);
    redis = undefined;
    const down = await t.app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({
      status: 'not_ready',
      checks: { database: 'ok', jobs: 'fail', redis: 'fail' },
    });
    expect(down.body).not.toContain(String(port));

    redis = await startRedis(port);
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i += 1) {
      ready = (await t.app.inject('/readyz')).statusCode;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(200);
  }, 30_000);
});
