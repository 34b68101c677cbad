// GET /auth/me with a valid token under load: req/s and latency percentiles.
// Usage: node bench/http/me.ts [--connections 10] [--seconds 10]   (DATABASE_URL picks PostgreSQL)

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs, promisify } from 'node:util';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { buildDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/log.ts';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '10' }, seconds: { type: 'string', default: '10' } },
});

const config = loadConfig({
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: randomBytes(32).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  SANDBOX: '0',
});
const schema = config.databaseUrl ? `bench_${Date.now()}` : undefined;
const database = await openDatabase({ url: config.databaseUrl, schema, poolSize: 10 });
const deps = await buildDeps(config, { log: createLogger('silent'), database, passwordCost: 10 });
const app = await buildApp(deps);
const address = await app.listen({ port: 0, host: '127.0.0.1' });

const reg = await app.inject({
  method: 'POST',
  url: '/auth/register',
  payload: { email: `bench.${Date.now()}@example.test`, password: 'bench password' },
});
const token = (reg.json() as { access_token: string }).access_token;

// The load generator runs in its own process so it does not share the server's event loop.
const { stdout } = await promisify(execFile)(
  process.execPath,
  [
    'node_modules/autocannon/autocannon.js',
    '--json',
    '-c',
    String(values.connections),
    '-d',
    String(values.seconds),
    '-H',
    `authorization=Bearer ${token}`,
    `${address}/auth/me`,
  ],
  { maxBuffer: 64 * 1024 * 1024 },
);
const result = JSON.parse(stdout) as {
  requests: { average: number };
  latency: { p50: number; p90: number; p99: number };
  non2xx: number;
  errors: number;
};

const target = { rps: 5000, p99: 10 };
console.log(`GET /auth/me on ${deps.dbKind}, ${values.connections} connections, ${values.seconds} s`);
console.log(`  requests/s  ${Math.round(result.requests.average)}  (target >= ${target.rps})`);
console.log(
  `  latency p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms  (target p99 < ${target.p99} ms)`,
);
console.log(`  non-2xx     ${result.non2xx}, errors ${result.errors}`);
console.log(`  ratio to target: ${(result.requests.average / target.rps).toFixed(2)}x req/s`);

await app.close();
if (schema) await deps.db.schema.dropSchema(schema).ifExists().cascade().execute();
await deps.close();
