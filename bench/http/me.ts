// GET /auth/me with a valid token under load: req/s and latency percentiles.
// Usage: node bench/http/me.ts [--connections 10] [--seconds 10]   (DATABASE_URL picks PostgreSQL)

import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { startBenchApp } from '../lib/bench-app.ts';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '10' }, seconds: { type: 'string', default: '10' } },
});

const { app, deps, address, close } = await startBenchApp();

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

await close();
