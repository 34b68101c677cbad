// GET /auth/me with a valid token under load: req/s and latency percentiles, and both as ratios to
// a bare node:http server sending the same bytes, measured first in the same run with the same
// connections (the machine's floor; bench/README.md).
// Usage: node bench/http/me.ts [--connections 10] [--seconds 10]   (DATABASE_URL picks PostgreSQL)

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
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

interface Result {
  requests: { average: number };
  latency: { p50: number; p90: number; p99: number };
  non2xx: number;
  errors: number;
}

// The load generator runs in its own process so it does not share the server's event loop.
async function load(url: string): Promise<Result> {
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
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as Result;
}

// The floor: /auth/me's own answer from a bare node:http server (no framework, no auth, no database).
const body = Buffer.from(
  (await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${token}` } })).body,
);
const bare = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
bare.keepAliveTimeout = 72_000; // as Fastify's
bare.listen(0, '127.0.0.1');
await once(bare, 'listening');
const floor = await load(`http://127.0.0.1:${(bare.address() as { port: number }).port}/`);
bare.close();

const result = await load(`${address}/auth/me`);

const target = { rps: 5000, p99: 10 };
// The req/s target as a share of the floor: bench/README.md says how it was derived.
const ratioTarget = { rps: 0.08 };
const rpsRatio = result.requests.average / floor.requests.average;
console.log(`GET /auth/me on ${deps.dbKind}, ${values.connections} connections, ${values.seconds} s`);
console.log(
  `  floor, bare node:http (the same ${body.length} bytes): requests/s ${Math.round(floor.requests.average)}, latency p50 ${floor.latency.p50} ms, p99 ${floor.latency.p99} ms, non-2xx ${floor.non2xx}, errors ${floor.errors}`,
);
console.log(`  requests/s  ${Math.round(result.requests.average)}  (target >= ${target.rps})`);
console.log(
  `  latency p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms  (target p99 < ${target.p99} ms)`,
);
console.log(`  non-2xx     ${result.non2xx}, errors ${result.errors}`);
console.log(`  ratio to target: ${(result.requests.average / target.rps).toFixed(2)}x req/s`);
console.log(
  `  as ratios to the floor: requests/s ${rpsRatio.toFixed(3)}x (target at least ${ratioTarget.rps}x) ${rpsRatio >= ratioTarget.rps ? 'ok' : 'MISSED'}; ` +
    `p99 ${floor.latency.p99 > 0 ? `${(result.latency.p99 / floor.latency.p99).toFixed(1)}x` : 'n/a (floor p99 0 ms)'} (no ratio target)`,
);

await close();
