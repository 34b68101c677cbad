// The health API under load over a person with a year of data (hourly heart-rate windows of
// 1/min samples, daily steps, calories, distance, resting heart rate, weekly weights), next to
// other people's data: req/s and latency percentiles, targets beside the numbers, and each figure
// as a ratio to two floors measured in the same run (a bare node:http server, GET /auth/me), so
// that figures from machines of different speed compare (bench/api/README.md).
// Usage: DATABASE_URL=postgres://... node bench/api/health.ts [--connections 100] [--summary-connections 10]
//        [--seconds 10] [--warmup 3] [--others 3] [--only <part of a scenario name>]
//        (others: people with a year of data beside the measured one; --only never skips the floors)

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { sql } from 'kysely';
import { groupHeartRateSamples, type Measurement, toObservation } from '../../src/fhir/index.ts';
import { startBenchApp } from '../lib/bench-app.ts';
import { postgresCpuMs, processCpuMs } from '../lib/cpu.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '100' },
    'summary-connections': { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
    others: { type: 'string', default: '3' },
  },
});

const { app, deps, address, close } = await startBenchApp();

const source = { vendor: 'fitbit', deviceName: 'Pixel Watch 3' };
const DAY = 86_400_000;
const first = Date.parse('2025-01-01T00:00:00Z');

function yearOfData(): Measurement[][] {
  const chunks: Measurement[][] = [];
  for (let d = 0; d < 365; d += 1) {
    const date = new Date(first + d * DAY).toISOString().slice(0, 10);
    const samples = Array.from({ length: 24 * 60 }, (_, i) => ({
      time: new Date(first + d * DAY + i * 60_000).toISOString(),
      utcOffset: '+00:00',
      value: 55 + ((i * 7 + d) % 60),
      source,
    }));
    const daily = (type: Measurement['type'], unit: string, value: number): Measurement => ({
      type,
      value,
      unit,
      start: `${date}T00:00:00+00:00`,
      end: new Date(first + (d + 1) * DAY).toISOString(),
      utcOffset: '+00:00',
      localDate: date,
      source,
      vendorKey: `${type}|${date}`,
      daily: true,
    });
    const day = [
      ...groupHeartRateSamples(samples),
      daily('steps', '/d', 4000 + ((d * 997) % 9000)),
      daily('calories', 'kcal', 1800 + (d % 700)),
      daily('distance', 'm', 3000 + ((d * 31) % 7000)),
      daily('resting_heart_rate', '/min', 55 + (d % 9)),
    ];
    chunks.push(day);
  }
  return chunks;
}

async function seed(email: string): Promise<string> {
  const reg = await app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email, password: 'bench password' },
  });
  const body = reg.json() as { access_token: string; user: { id: number } };
  const me = (
    await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${body.access_token}` } })
  ).json() as {
    fhir_patient_id: string;
  };
  const ctx = { patientId: me.fhir_patient_id, now: new Date('2026-06-01T00:00:00Z'), sourceUri: 'bench' };
  const days = yearOfData();
  for (let i = 0; i < days.length; i += 30) {
    const batch = days
      .slice(i, i + 30)
      .flat()
      .map((m) => toObservation(m, ctx));
    await deps.fhir.store.upsertResources({ userId: body.user.id }, batch);
  }
  return body.access_token;
}

const t0 = Date.now();
const token = await seed(`bench.${Date.now()}@example.test`);
for (let i = 0; i < Number(values.others); i += 1) await seed(`other.${i}.${Date.now()}@example.test`);
// What autovacuum does after a bulk insert: statistics, and the visibility map index-only scans rely on.
await sql`vacuum analyze fhir_resources`.execute(deps.db);
const rows = await sql<{ n: number }>`select count(*)::int as n from fhir_resources`.execute(deps.db);
console.log(
  `seeded ${rows.rows[0]?.n} resources (${1 + Number(values.others)} people, a year each) in ${((Date.now() - t0) / 1000).toFixed(1)} s on ${deps.dbKind}`,
);

interface Result {
  requests: { average: number };
  latency: { p50: number; p90: number; p99: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
}

// BENCH_PROFILE=<dir>: a CPU profile and a sampled allocation profile of the server during each load
// run (open in Chrome DevTools).
async function load(url: string, connections: string, headers: string[]): Promise<Result> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return runLoad(url, connections, headers);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const result = await runLoad(url, connections, headers);
  const { profile } = await session.post('Profiler.stop');
  const { profile: heap } = await session.post('HeapProfiler.stopSampling');
  // The headers too: a gzip row asks for the same URL as its plain twin.
  const name = [new URL(url).pathname.concat(new URL(url).search), ...headers]
    .join('_')
    .replace(/\W+/g, '_')
    .slice(0, 120);
  await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  await writeFile(join(dir, `${name}.heapprofile`), JSON.stringify(heap));
  session.disconnect();
  return result;
}

async function runLoad(
  url: string,
  connections: string,
  headers: string[],
  seconds = values.seconds,
): Promise<Result> {
  // The load generator runs in its own process so it does not share the server's event loop.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      'node_modules/autocannon/autocannon.js',
      '--json',
      '-c',
      connections,
      '-d',
      String(seconds),
      '-H',
      `authorization=Bearer ${token}`,
      ...headers.flatMap((h) => ['-H', h.replace(': ', '=')]),
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as Result;
}

// The machine's ceiling first: a bare node:http server sending /auth/me's 177 bytes (no framework,
// no database), then `/auth/me` (auth + Fastify alone), to read the other numbers against
// (bench/http/me.ts has its own target).
const bareBody = Buffer.from(
  (await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${token}` } })).body,
);
const bare = createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': bareBody.length,
  });
  res.end(bareBody);
});
// Fastify's keep-alive timeout (72 s), not node:http's 5 s: the open loop leaves most of its 100
// connections idle at 2,000 req/s, and a connection the server closed meanwhile loses a request.
bare.keepAliveTimeout = 72_000;
bare.listen(0, '127.0.0.1');
await once(bare, 'listening');
const bareAddress = `http://127.0.0.1:${(bare.address() as { port: number }).port}`;

// What browsers and Dart's HttpClient (the Flutter app's) send with every request.
const GZIP = ['accept-encoding: gzip'];

/**
 * A floor's closed-loop req/s and its p99 at 2,000 req/s due, from this run's calibration rows
 * (undefined when it did not answer every request at that rate: then it is no floor to read by).
 */
interface Floor {
  rps: number;
  p99: number | undefined;
}
interface Floors {
  bare?: Floor;
  me?: Floor;
}
const floors: Floors = {};
const FLOOR_NAMES = { bare: 'bare node:http', me: 'GET /auth/me' } as const;

// The targets as ratios to the floors: each absolute target divided by the floors of the runs that
// met it (bench/api/README.md, "Targets as ratios"). Observations: req/s (closed loop) at least
// this share of a floor's, p99 at 2,000 req/s due at most this multiple of a floor's p99 at that
// rate; summaries: closed-loop p99 at most this multiple of a floor's p99 at 2,000 req/s due.
const RATIO_TARGETS = {
  observations: { rps: { bare: 0.022, me: 0.19 }, p99: { bare: 18, me: 8 } },
  summary: { p99: { bare: 36, me: 16 } },
} as const;

/** `value` over each floor's figure, against the ratio target beside it. */
function ratios(
  label: string,
  value: number,
  pick: (f: Floor) => number | undefined,
  target: { bare: number; me: number },
  kind: 'at least' | 'at most',
  kept = true,
): string {
  const parts = (['bare', 'me'] as const).map((k) => {
    const base = floors[k] ? pick(floors[k]) : undefined;
    if (base === undefined || base <= 0)
      return `${FLOOR_NAMES[k]}: no floor (it did not answer every request at that rate)`;
    const r = value / base;
    const ok = kept && (kind === 'at least' ? r >= target[k] : r <= target[k]);
    return `${r < 1 ? r.toFixed(3) : r.toFixed(1)}x ${FLOOR_NAMES[k]}'s (target ${kind} ${target[k]}x) ${ok ? 'ok' : 'MISSED'}`;
  });
  return `    ${label} as ratios: ${parts.join('; ')}`;
}

const scenarios: {
  name: string;
  path: string;
  base?: string;
  /** Sent besides the bearer token. */
  headers?: string[];
  rps: number | undefined;
  p99: number;
  /** Calibration: also run the open loop at this rate, as a floor (no target). */
  floorRate?: number;
  /** Which floor this calibration row measures. */
  floor?: keyof Floors;
}[] = [
  {
    name: 'calibration: bare node:http, the same 177 bytes (no framework, no database)',
    path: '/',
    base: bareAddress,
    rps: undefined,
    p99: Number.POSITIVE_INFINITY,
    floorRate: 2000,
    floor: 'bare',
  },
  {
    name: 'calibration: GET /auth/me (auth + framework only)',
    path: '/auth/me',
    rps: undefined,
    p99: Number.POSITIVE_INFINITY,
    // Every authenticated route that reads the database once costs at least this: where its p99 at
    // 2,000 req/s due is above 25 ms, no observations page can meet the target on that machine.
    floorRate: 2000,
    floor: 'me',
  },
  {
    name: 'observations, steps, 50/page, 3-month range',
    path: '/health/observations?type=steps,calories,distance&start=2025-04-01&end=2025-07-01&limit=50',
    rps: 2000,
    p99: 25,
  },
  {
    name: 'observations, steps, 50/page, 3-month range, gzip',
    path: '/health/observations?type=steps,calories,distance&start=2025-04-01&end=2025-07-01&limit=50',
    headers: GZIP,
    rps: 2000,
    p99: 25,
  },
  {
    name: 'observations, steps, 50/page, a year (three types merged: one ordered scan per type)',
    path: '/health/observations?type=steps,calories,distance&start=2025-01-01&end=2026-01-01&limit=50',
    rps: 2000,
    p99: 25,
  },
  {
    name: 'observations, heart_rate windows (60 samples each), 50/page, one week',
    path: '/health/observations?type=heart_rate&start=2025-06-01&end=2025-06-08&limit=50',
    rps: 2000,
    p99: 25,
  },
  {
    name: 'observations, heart_rate windows (60 samples each), 50/page, one week, gzip',
    path: '/health/observations?type=heart_rate&start=2025-06-01&end=2025-06-08&limit=50',
    headers: GZIP,
    rps: 2000,
    p99: 25,
  },
  {
    name: 'observations, heart_rate windows, 10/page, one day',
    path: '/health/observations?type=heart_rate&start=2025-06-01&end=2025-06-02&limit=10',
    rps: 2000,
    p99: 25,
  },
  {
    name: 'summary, steps, a year of daily buckets',
    path: '/health/summary?type=steps&start=2025-01-01&end=2026-01-01',
    rps: undefined,
    p99: 50,
  },
  {
    name: 'summary, heart_rate (8,760 windows), a year of daily buckets',
    path: '/health/summary?type=heart_rate&start=2025-01-01&end=2026-01-01',
    rps: undefined,
    p99: 50,
  },
];

const load1 = (await import('node:os')).loadavg()[0]?.toFixed(1);
console.log(
  `${values.seconds} s each; load average ${load1} on ${(await import('node:os')).availableParallelism()} cores`,
);
for (const s of scenarios.filter((x) => x.floor !== undefined || x.name.includes(values.only))) {
  const headers = s.headers ?? [];
  const probe = s.base
    ? { statusCode: 200, body: bareBody.toString(), rawPayload: bareBody }
    : await app.inject({
        url: s.path,
        headers: {
          authorization: `Bearer ${token}`,
          ...Object.fromEntries(headers.map((h) => h.split(': '))),
        },
      });
  if (probe.statusCode !== 200) throw new Error(`${s.path}: ${probe.statusCode} ${probe.body}`);
  const connections = s.path.startsWith('/health/summary')
    ? values['summary-connections']
    : values.connections;
  // Warm-up, not counted: the first seconds of a run (new connections, pool and JIT warm-up) put
  // stalls of up to ~2 s into p99 of a 10-second run.
  if (Number(values.warmup) > 0)
    await runLoad(`${s.base ?? address}${s.path}`, connections, headers, values.warmup);
  const cpu0 = { server: processCpuMs(), pg: postgresCpuMs() };
  const r = await load(`${s.base ?? address}${s.path}`, connections, headers);
  const requests = r.requests.average * Number(values.seconds);
  const perRequest = (ms: number) => (ms / requests).toFixed(3);
  const rpsOk = s.rps === undefined || r.requests.average >= s.rps;
  const p99Ok = r.latency.p99 <= s.p99;
  console.log(
    `\n${s.name}, ${connections} connections\n  GET ${s.path}${headers.map((h) => `  [${h}]`).join('')}  (${probe.rawPayload.length.toLocaleString('en')} bytes/response)`,
  );
  console.log(
    `  requests/s  ${Math.round(r.requests.average)}${s.rps ? `  (target >= ${s.rps})` : ''}  ${rpsOk ? 'ok' : 'BELOW TARGET'}`,
  );
  // A row with a rate target reads its p99 target at that rate (the open loop below): this loop's
  // latency is N busy connections / throughput by construction, so it gets no verdict.
  const verdict =
    s.rps === undefined
      ? `(target p99 <= ${s.p99} ms)  ${p99Ok ? 'ok' : 'ABOVE TARGET'}`
      : `(closed loop: mean = ${connections} connections / throughput; the p99 target is read at ${s.rps} req/s due, below)`;
  console.log(
    `  latency p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, p99 ${r.latency.p99} ms  ${verdict}`,
  );
  console.log(
    `  CPU per request: this process (server) ${perRequest(processCpuMs() - cpu0.server)} ms, PostgreSQL (all its processes on this host) ${perRequest(Math.max(0, postgresCpuMs() - cpu0.pg))} ms`,
  );
  console.log(`  non-2xx ${r.non2xx}, errors ${r.errors}`);
  const base = s.base ?? address;
  if (s.floor !== undefined) {
    const open =
      s.floorRate === undefined
        ? undefined
        : await atTargetRate(base, s.path, s.floorRate, undefined, connections, headers);
    floors[s.floor] = { rps: r.requests.average, p99: open?.kept ? open.p99 : undefined };
  } else if (s.rps !== undefined) {
    console.log(
      ratios('requests/s', r.requests.average, (f) => f.rps, RATIO_TARGETS.observations.rps, 'at least'),
    );
    const open = await atTargetRate(base, s.path, s.rps, s.p99, connections, headers);
    console.log(
      ratios(
        `p99 at ${s.rps} req/s due`,
        open.p99,
        (f) => f.p99,
        RATIO_TARGETS.observations.p99,
        'at most',
        open.kept,
      ),
    );
  } else {
    console.log(
      ratios('p99 (closed loop)', r.latency.p99, (f) => f.p99, RATIO_TARGETS.summary.p99, 'at most'),
    );
  }
}

/**
 * The target as clients produce it: `rate` requests per second due on schedule over the same
 * connections (open loop, bench/lib/open-loop.ts), latency counted from when each was due. The
 * closed loop above gives the ceiling; its p99 is N connections / throughput by construction.
 */
async function atTargetRate(
  base: string,
  path: string,
  rate: number,
  /** undefined: a calibration row, printed as a floor. */
  p99Target: number | undefined,
  connections: string,
  headers: string[],
): Promise<{ p99: number; kept: boolean }> {
  const run = (seconds: string, warmup: string) =>
    promisify(execFile)(
      process.execPath,
      [
        'bench/lib/open-loop.ts',
        '--url',
        `${base}${path}`,
        '--rate',
        String(rate),
        '--connections',
        connections,
        '--seconds',
        seconds,
        '--warmup',
        warmup,
        '--header',
        `authorization: Bearer ${token}`,
        ...headers.flatMap((h) => ['--header', h]),
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  const cpu0 = { server: processCpuMs(), pg: postgresCpuMs() };
  // The server's event-loop delay: how much of the tail is the server's own pauses (GC, long tasks).
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const { stdout } = await run(values.seconds, values.warmup);
  loop.disable();
  const cpu = { server: processCpuMs() - cpu0.server, pg: Math.max(0, postgresCpuMs() - cpu0.pg) };
  const o = JSON.parse(stdout) as {
    due: number;
    completed: number;
    rate: number;
    errors: number;
    non2xx: number;
    unfinished: number;
    latency: { p50: number; p90: number; p99: number; max: number };
    cpuMs: number;
  };
  // CPU includes the uncounted warm-up: per request over everything sent in the run.
  const sent = o.due * (1 + Number(values.warmup) / Number(values.seconds));
  const kept = o.completed === o.due && o.rate >= rate * 0.99;
  const latency =
    `${Math.round(o.rate)} req/s answered, latency from due time p50 ${o.latency.p50} ms, ` +
    `p90 ${o.latency.p90} ms, p99 ${o.latency.p99} ms, max ${o.latency.max} ms`;
  if (p99Target === undefined) {
    console.log(
      `  at ${rate} req/s due (open loop, ${connections} connections): ${latency}  ` +
        `(a floor at the target rate, no target: ${kept ? 'all answered' : 'NOT ALL ANSWERED'})`,
    );
  } else {
    const ok = kept && o.errors === 0 && o.non2xx === 0 && o.latency.p99 <= p99Target;
    console.log(
      `  at ${rate} req/s due (open loop, ${connections} connections): ${latency}  ` +
        `(target >= ${rate} req/s with p99 <= ${p99Target} ms)  ${ok ? 'ok' : 'MISSED'}`,
    );
  }
  console.log(
    `    CPU per request: server ${(cpu.server / sent).toFixed(3)} ms, PostgreSQL ${(cpu.pg / sent).toFixed(3)} ms, ` +
      `load generator ${(o.cpuMs / sent).toFixed(3)} ms; ` +
      `server event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms; ` +
      `non-2xx ${o.non2xx}, errors ${o.errors}, unfinished ${o.unfinished}`,
  );
  return { p99: o.latency.p99, kept: kept && o.errors === 0 && o.non2xx === 0 };
}

bare.close();
await close();
