import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { type AppDeps, buildDeps, type DepsOverrides } from '../../src/deps.ts';
import { createLogger } from '../../src/log.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.ts';

export interface TestApp {
  app: FastifyInstance;
  deps: AppDeps;
  /** Every log line the app wrote, as text. */
  logs: string[];
  /** The PostgreSQL schema of this app's database (undefined on PGlite). */
  schema: string | undefined;
  close(): Promise<void>;
}

/** Which database this run uses: `TEST_DATABASE_URL` set means the PostgreSQL server. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;

export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    FITBIT_CLIENT_ID: 'test-client',
    FITBIT_CLIENT_SECRET: 'test-secret',
    SANDBOX: '0',
    // Test files register many accounts from one address (app.inject's 127.0.0.1).
    AUTH_REGISTRATIONS_PER_HOUR: '10000',
    ...extra,
  };
}

/**
 * A fresh app on a fresh database: in-memory PGlite, or its own schema on the PostgreSQL
 * server, so test files never see each other's rows and can run in parallel.
 */
export async function createTestApp(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    fetch?: typeof fetch;
    overrides?: DepsOverrides;
    /** Open the schema of another TestApp (PostgreSQL only): a second "process" on the same data. */
    sharedSchema?: string;
  } = {},
): Promise<TestApp> {
  const config = loadConfig(testEnv(options.env));
  const logs: string[] = [];
  const log = createLogger(
    config.logLevel,
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const schema =
    options.sharedSchema ??
    (testDatabaseUrl ? `t_${randomUUID().replaceAll('-', '').slice(0, 16)}` : undefined);
  const database = await openDatabase({ url: testDatabaseUrl, schema, poolSize: 5 });
  const deps = await buildDeps(config, {
    log,
    database,
    passwordCost: 10,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...options.overrides,
  });
  const app = await buildApp(deps);
  await app.ready();
  await deps.jobs.start();
  return {
    app,
    deps,
    logs,
    schema,
    async close() {
      await app.close();
      await deps.close();
      if (schema && testDatabaseUrl && !options.sharedSchema) await dropSchema(testDatabaseUrl, schema);
    },
  };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${counter}.${randomUUID().slice(0, 8)}@example.test`;
}

/** Registers a user and returns its tokens. */
export async function registerUser(
  app: FastifyInstance,
  body: { email?: string; password?: string; name?: string } = {},
): Promise<{
  id: number;
  email: string;
  accessToken: string;
  refreshToken: string;
  auth: { authorization: string };
}> {
  const email = body.email ?? uniqueEmail();
  const res = await app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: {
      email,
      password: body.password ?? 'correct horse battery',
      ...(body.name ? { name: body.name } : {}),
    },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const json = res.json() as { user: { id: number }; access_token: string; refresh_token: string };
  return {
    id: json.user.id,
    email,
    accessToken: json.access_token,
    refreshToken: json.refresh_token,
    auth: { authorization: `Bearer ${json.access_token}` },
  };
}

export interface SandboxTestApp extends TestApp {
  sandbox: Sandbox;
}

/**
 * The app wired to a fresh vendor sandbox on loopback (its env: OAuth and Health API URLs,
 * client id/secret, redirect URI). App -> sandbox calls are real HTTP. Closes both.
 */
export async function withSandbox(
  options: { sandbox?: SandboxOptions; app?: Parameters<typeof createTestApp>[0] } = {},
): Promise<SandboxTestApp> {
  const sandbox = await startSandbox(options.sandbox);
  try {
    const t = await createTestApp({
      ...options.app,
      env: { ...sandbox.env, ...options.app?.env },
    });
    return {
      ...t,
      sandbox,
      async close() {
        await t.close();
        await sandbox.close();
      },
    };
  } catch (err) {
    await sandbox.close();
    throw err;
  }
}

/**
 * For child processes that read DATABASE_URL: a fresh schema on the test server and a URL whose
 * connections use it (libpq `options`), so a spawned server or worker never shares tables with
 * another test or an earlier run. Undefined when the suite runs on PGlite.
 */
export async function isolatedDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!testDatabaseUrl) return undefined;
  const schema = `p_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`create schema "${schema}"`);
  } finally {
    await client.end();
  }
  const url = new URL(testDatabaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => dropSchema(testDatabaseUrl, schema) };
}
