import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedDatabaseUrl } from '../helpers/app.ts';

// The real process, as a newcomer runs it: no configuration but a free port and a data dir.
let child: ChildProcess | undefined;
let database: Awaited<ReturnType<typeof isolatedDatabaseUrl>>;
afterAll(async () => {
  child?.kill('SIGKILL');
  await database?.drop();
});

async function waitForListening(proc: ChildProcess, timeoutMs: number): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening after ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    proc.stdout?.on('data', (d) => {
      out += String(d);
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    proc.stderr?.on('data', (d) => {
      out += String(d);
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
}

describe('server process', () => {
  it('starts with zero configuration, serves the account flow over HTTP, and stops on SIGTERM', {
    timeout: 90_000,
  }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'phr-server-'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      SANDBOX: '0',
      LOG_LEVEL: 'warn',
    };
    database = await isolatedDatabaseUrl();
    if (database) env.DATABASE_URL = database.url;
    const started = Date.now();
    child = spawn(process.execPath, ['src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const base = (await waitForListening(child, 45_000)).replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // NOTE: on a quiet machine a fresh start answers in 2-5 s; here other test files load both
    // cores at once, so the bound is loose. `bench/startup.sh` measures it on its own.
    expect(Date.now() - started).toBeLessThan(45_000);

    const email = `proc.${Date.now()}@example.test`;
    const json = { 'content-type': 'application/json' };
    const reg = await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password: 'correct horse battery' }),
    });
    expect(reg.status).toBe(201);
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password: 'correct horse battery' }),
    });
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    const me = await fetch(`${base}/auth/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(((await me.json()) as { email: string }).email).toBe(email);
    const refreshed = await fetch(`${base}/auth/refresh`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    const pair = (await refreshed.json()) as { access_token: string; refresh_token: string };
    const out = await fetch(`${base}/auth/logout`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${pair.access_token}` },
      body: JSON.stringify({ refresh_token: pair.refresh_token }),
    });
    expect(out.status).toBe(204);

    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });
});

describe('demo mode', () => {
  it('runs the vendor sandbox beside the app and subscribes the app to its webhooks', {
    timeout: 90_000,
  }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'phr-demo-'));
    const proc = spawn(process.execPath, ['src/server.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += String(d);
    });
    const base = await waitForListening(proc, 45_000);
    const deadline = Date.now() + 30_000;
    while (!/simulated Google Health and Withings APIs run at (\S+) /.test(out) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const sandboxUrl = /simulated Google Health and Withings APIs run at (\S+) /.exec(out)?.[1];
    expect(sandboxUrl).toBeDefined();
    let endpoints: string[] = [];
    while (endpoints.length === 0 && Date.now() < deadline) {
      const list = (await (await fetch(`${sandboxUrl}/v4/projects/123456789/subscribers`)).json()) as {
        subscribers?: { endpointUri: string }[];
      };
      endpoints = (list.subscribers ?? []).map((s) => s.endpointUri);
      if (endpoints.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    const port = new URL(base).port;
    expect(endpoints).toContain(`http://127.0.0.1:${port}/integrations/fitbit/webhook`);
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });
});
