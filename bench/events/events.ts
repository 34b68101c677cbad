/**
 * Events bench (docs/events.md): webhook delivery from the outbox's commit to a 2xx at a local
 * receiver, and what writing the events costs a sync chunk's commit.
 *
 *   node bench/events/events.ts                       # in-process runner, embedded PGlite
 *   DATABASE_URL=postgres://... [REDIS_URL=redis://...] node bench/events/events.ts
 *   options: --seconds 12 (each rate phase)  --days 120 --passes 5 (people each way, commit phase)
 *
 * 1. Delivery. A node:http receiver on loopback verifies every POST with `standardwebhooks` and
 *    records its arrival; it is the deployment's endpoint (EVENTS_WEBHOOK_URL + _SECRET,
 *    WEBHOOKS_ALLOW_PRIVATE_URLS=1). Events are committed open loop, one transaction every 20 ms
 *    with insertEvents (as a sync chunk writes them), at 200/s and at 1,000/s, with the app as
 *    configured (the dispatcher's 2 s schedule), then at 200/s and 1,000/s with
 *    `deps.delivery.kick()` after each commit, as the app's commit paths do. Targets: >= 1,000
 *    delivered/s sustained; commit-to-2xx p99 <= 1 s at 200/s.
 *    Floor, same run: the same signed POSTs (postWebhook, standardwebhooks) to the same receiver
 *    with no database, as many at once as the job runner runs (JOBS_CONCURRENCY).
 * 2. Cost on the sync. A sync chunk's write (src/sync/commit-chunk.ts): the FHIR store's upsert of
 *    1,000 Observations in a transaction, with and without its `observations.*` events
 *    (upsertEvents + insertEvents), people alternated off/on. Target: on within 5 % of off.
 *    Floor, same run: the off runs themselves, and their spread (what a difference can mean).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { loadavg } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { insertUser } from '../../src/auth/auth.repository.ts';
import { mapInSlices } from '../../src/event-loop.ts';
import { checkEndpointUrl } from '../../src/events/endpoint-url.ts';
import { insertEvents } from '../../src/events/events.repository.ts';
import type { NewEvent } from '../../src/events/events.types.ts';
import { upsertEvents } from '../../src/events/observation-events.ts';
import { postWebhook } from '../../src/events/webhook-post.ts';
import type { Measurement, MeasurementType } from '../../src/fhir/measurement.ts';
import { toObservation } from '../../src/fhir/observation.mapper.ts';
import { createFhirStore } from '../../src/fhir/store/fhir.service.ts';
import { startBenchApp } from '../lib/bench-app.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const SECONDS = arg('seconds', 12);
const DAYS = arg('days', 120);
const TICK_MS = 20;
const DRAIN_MS = 30_000;
const TARGET_RATE = 1_000;
const TARGET_P99_MS = 1_000;
const TARGET_COST = 1.05;
const BATCH = 1_000;
const PASSES = arg('passes', 5);

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// --- the receiver ------------------------------------------------------------------------------
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const verifier = new Webhook(secret);
const arrived = new Map<string, number>();
let forged = 0;
let duplicates = 0;
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    try {
      verifier.verify(Buffer.concat(chunks).toString('utf8'), headers);
    } catch {
      forged += 1;
      res.writeHead(400).end();
      return;
    }
    const id = headers['webhook-id'] ?? '';
    if (arrived.has(id)) duplicates += 1;
    else arrived.set(id, at);
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const port = (receiver.address() as { port: number }).port;
const hookUrl = `http://127.0.0.1:${port}/hook`;

Object.assign(process.env, {
  EVENTS_WEBHOOK_URL: hookUrl,
  EVENTS_WEBHOOK_SECRET: secret,
  WEBHOOKS_ALLOW_PRIVATE_URLS: '1',
});
const bench = await startBenchApp();
const { deps } = bench;
const db = deps.db;
const concurrency = Number(process.env.JOBS_CONCURRENCY ?? 4);

async function newUser() {
  const user = await insertUser(db, {
    email: `bench-${randomUUID()}@example.test`,
    name: 'Bench',
    passwordHash: null,
    externalSubject: null,
    fhirPatientId: randomUUID(),
  });
  if (!user) throw new Error('no user');
  return user;
}

console.log(
  `events bench: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${
    process.env.REDIS_URL ? 'BullMQ' : 'in-process runner'
  } (concurrency ${concurrency}); load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

// --- 2. the cost on the sync's chunk commit (before the job runner starts: no delivery competes) --
const source = { vendor: 'fitbit', deviceId: 'bench-device', deviceName: 'Pixel Watch 3' };
const START = Date.UTC(2025, 0, 1);
function measurements(): Measurement[] {
  const out: Measurement[] = [];
  const daily: [MeasurementType, string, number][] = [
    ['steps', '/d', 8000],
    ['calories', 'kcal', 2200],
    ['distance', 'm', 6000],
    ['resting_heart_rate', '/min', 58],
    ['spo2', '%', 96],
  ];
  for (let d = 0; d < DAYS; d += 1) {
    const dayStart = START + d * 86_400_000;
    const localDate = new Date(dayStart).toISOString().slice(0, 10);
    for (let h = 0; h < 24; h += 1) {
      const at = new Date(dayStart + h * 3_600_000).toISOString();
      out.push({
        type: 'heart_rate',
        value: 60 + ((d + h) % 40),
        unit: '/min',
        start: at,
        end: at,
        utcOffset: '+00:00',
        localDate,
        source,
        vendorKey: `hr|${at}`,
        daily: false,
      });
    }
    for (const [type, unit, base] of daily) {
      out.push({
        type,
        value: base + (d % 17),
        unit,
        start: new Date(dayStart).toISOString(),
        end: new Date(dayStart + 86_400_000).toISOString(),
        utcOffset: '+00:00',
        localDate,
        source,
        vendorKey: `${type}|${localDate}`,
        daily: true,
      });
    }
  }
  return out;
}

const now = new Date(START + (DAYS + 1) * 86_400_000);
const store = createFhirStore({ db, clock: { now: () => now }, replicate: false, defaultTimeZone: 'UTC' });
const ms = measurements();

/** One person's data in chunks of BATCH; returns ms spent in the chunk transactions and in insertEvents. */
async function ingest(withEvents: boolean) {
  const who = await newUser();
  const owner = { userId: who.id, patientId: who.fhir_patient_id, zone: 'UTC' };
  const ctx = { patientId: who.fhir_patient_id, now, sourceUri: 'https://health.googleapis.com/v4/bench' };
  let commitMs = 0;
  let eventsMs = 0;
  let insertMs = 0;
  let events = 0;
  for (let i = 0; i < ms.length; i += BATCH) {
    const prepared = await store.prepareResources(
      owner,
      await mapInSlices(ms.slice(i, i + BATCH), (m) => toObservation(m, ctx)),
    );
    const t0 = performance.now();
    await db.transaction().execute(async (trx) => {
      const written = await store.upsertResources({ userId: who.id }, prepared, { db: trx });
      if (!withEvents) return;
      const e0 = performance.now();
      const list = upsertEvents(who.id, 'fitbit', written.changed, prepared.rows);
      const e1 = performance.now();
      await insertEvents(trx, who.id, list, now);
      eventsMs += performance.now() - e0;
      insertMs += performance.now() - e1;
      events += list.length;
    });
    commitMs += performance.now() - t0;
  }
  return { commitMs, eventsMs, insertMs, events };
}

await ingest(true); // warm-up, not counted
const off: number[] = [];
const on: number[] = [];
const eventsShare: number[] = [];
const insertShare: number[] = [];
let eventsPerPerson = 0;
// Alternated off-on, on-off, ... (the table grows with each person: neither side always comes later).
for (let p = 0; p < PASSES * 2; p += 1) {
  if ((p + Math.floor(p / 2)) % 2 === 0) {
    off.push((await ingest(false)).commitMs);
    continue;
  }
  const r = await ingest(true);
  on.push(r.commitMs);
  eventsShare.push(r.eventsMs / r.commitMs);
  insertShare.push(r.insertMs / r.commitMs);
  eventsPerPerson = r.events;
}
// Those events are not the delivery phases' business.
await db.deleteFrom('events').execute();

// --- 1. delivery -------------------------------------------------------------------------------
await deps.jobs.start();
const user = await newUser();

/** The floor: the same signed POSTs from this process, no database, `concurrency` at a time. */
async function deliveryFloor(seconds: number): Promise<{ rate: number; cpuPerEvent: number }> {
  const checked = await checkEndpointUrl(hookUrl, { allowPrivate: true, resolve: async () => ['127.0.0.1'] });
  if ('error' in checked) throw new Error(checked.error);
  const signer = new Webhook(secret);
  const before = arrived.size;
  const end = performance.now() + seconds * 1000;
  let sent = 0;
  const lane = async () => {
    while (performance.now() < end) {
      const id = `evt_floor${randomUUID().replaceAll('-', '')}`;
      const body = JSON.stringify({
        type: 'observations.created',
        timestamp: new Date().toISOString(),
        data: { user_id: 1, source: 'fitbit', count: 1, types: [], start: null, end: null, ids: ['x'] },
      });
      const t = new Date();
      const result = await postWebhook(checked.url, {
        body,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(t.getTime() / 1000)),
          'webhook-signature': signer.sign(id, t, body),
        },
        addresses: checked.addresses,
        timeoutMs: 15_000,
      });
      if ('status' in result && result.status < 300) sent += 1;
    }
  };
  const t0 = performance.now();
  const c0 = cpuMs();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const rate = sent / ((performance.now() - t0) / 1000);
  for (const id of [...arrived.keys()].slice(before)) arrived.delete(id);
  return { rate, cpuPerEvent: (cpuMs() - c0) / sent };
}

const thin = (n: number): NewEvent[] =>
  Array.from({ length: n }, () => ({
    type: 'observations.created' as const,
    payload: {
      user_id: user.id,
      source: 'fitbit',
      count: 1,
      types: ['steps'],
      start: null,
      end: null,
      ids: [randomUUID()],
    },
  }));

interface Phase {
  label: string;
  offered: number;
  committedRate: number;
  committed: number;
  deliveredInWindow: number;
  windowS: number;
  drainS: number;
  lost: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  cpuPerEvent: number;
}

/** Open loop: every TICK_MS one transaction with the events due by then; then waits for them all. */
async function phase(label: string, rate: number, seconds: number, kick: boolean): Promise<Phase> {
  const committedAt = new Map<string, number>();
  const c0 = cpuMs();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let due = 0;
  let tick = 0;
  while (performance.now() < end) {
    tick += 1;
    const wanted = Math.floor((rate * (performance.now() - t0)) / 1000) - due;
    if (wanted > 0) {
      const ids = await db
        .transaction()
        .execute((trx) => insertEvents(trx, user.id, thin(wanted), new Date()));
      const at = performance.now();
      for (const id of ids) committedAt.set(id, at);
      due += wanted;
      if (kick) await deps.delivery.kick();
    }
    const next = t0 + tick * TICK_MS - performance.now();
    if (next > 0) await sleep(next);
  }
  const windowEnd = performance.now();
  const windowS = (windowEnd - t0) / 1000;
  const committedRate = committedAt.size / windowS;
  let deliveredInWindow = 0;
  for (const id of committedAt.keys())
    if ((arrived.get(id) ?? Number.POSITIVE_INFINITY) <= windowEnd) deliveredInWindow += 1;
  const drainDeadline = performance.now() + DRAIN_MS;
  // Only the ones still missing are checked again: the wait itself costs next to no CPU.
  let waiting = [...committedAt.keys()].filter((id) => !arrived.has(id));
  const missing = () => {
    waiting = waiting.filter((id) => !arrived.has(id));
    return waiting.length;
  };
  while (missing() > 0 && performance.now() < drainDeadline) await sleep(50);
  let last = t0;
  const lat: number[] = [];
  for (const [id, at] of committedAt) {
    const a = arrived.get(id);
    if (a === undefined) continue;
    lat.push(a - at);
    if (a > last) last = a;
  }
  lat.sort((a, b) => a - b);
  const cpuPerEvent = (cpuMs() - c0) / lat.length;
  return {
    cpuPerEvent,
    label,
    offered: rate,
    committedRate,
    committed: committedAt.size,
    deliveredInWindow,
    windowS,
    drainS: (last - windowEnd) / 1000,
    lost: missing(),
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: lat.at(-1) ?? Number.NaN,
  };
}

const floor = await deliveryFloor(3);
const floorRate = floor.rate;
await sleep(2_500); // the first scheduled dispatch has run
const phases: Phase[] = [];
phases.push(await phase('200/s, as configured (2 s dispatch tick)', 200, SECONDS, false));
phases.push(await phase('1,000/s, as configured', TARGET_RATE, SECONDS, false));
phases.push(await phase('200/s, kick() after each commit', 200, SECONDS, true));
phases.push(await phase('1,000/s, kick() after each commit', TARGET_RATE, SECONDS, true));

await bench.close();
await new Promise((r) => receiver.close(r));

// --- report ------------------------------------------------------------------------------------
console.log(
  `\ndelivery floor: signed POSTs to the same receiver, no database, ${concurrency} at a time: ${fmt(floorRate)}/s, ${floor.cpuPerEvent.toFixed(2)} ms CPU of this process an event`,
);
for (const p of phases) {
  const deliveredRate = p.deliveredInWindow / p.windowS;
  const sustained = p.committed / (p.windowS + Math.max(0, p.drainS));
  console.log(
    `${p.label}: committed ${fmt(p.committed)} (${fmt(p.committedRate)}/s); delivered within the window ${fmt(deliveredRate)}/s, all of them at ${fmt(sustained)}/s (${(sustained / floorRate).toFixed(3)}x the floor), last ${p.drainS.toFixed(1)} s after the window${p.lost ? `, ${p.lost} NOT DELIVERED` : ''}`,
  );
  console.log(
    `  ${p.cpuPerEvent.toFixed(2)} ms CPU of this process an event (commit, dispatch, delivery and receiver; ${(p.cpuPerEvent / floor.cpuPerEvent).toFixed(1)}x the floor's)`,
  );
  console.log(
    `  commit to 2xx: p50 ${fmt(p.p50)} ms, p90 ${fmt(p.p90)} ms, p99 ${fmt(p.p99)} ms, max ${fmt(p.max)} ms${
      p.offered === 200
        ? `   target p99 <= ${TARGET_P99_MS} ms  ${p.p99 <= TARGET_P99_MS ? 'OK' : 'MISS'}`
        : ''
    }${p.offered === TARGET_RATE ? `   target >= ${fmt(TARGET_RATE)}/s sustained  ${sustained >= 0.98 * TARGET_RATE ? 'OK' : 'MISS'}` : ''}`,
  );
}
console.log(`receiver: ${forged} signatures refused, ${duplicates} duplicate deliveries`);

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const offMed = median(off);
const onMed = median(on);
const ratio = onMed / offMed;
const rows = ms.length;
console.log(
  `\nchunk commits, ${fmt(rows)} Observations a person in chunks of ${fmt(BATCH)}, ${PASSES} people each way, alternated:`,
);
console.log(
  `  events off: ${off.map((t) => fmt(t)).join(', ')} ms (${fmt((rows * 1000) / offMed)} Observations/s at the median); spread between off runs ${(Math.max(...off) / Math.min(...off)).toFixed(3)}x`,
);
console.log(
  `  events on:  ${on.map((t) => fmt(t)).join(', ')} ms (${fmt((rows * 1000) / onMed)} Observations/s; ${eventsPerPerson} events a person); upsertEvents + insertEvents ${eventsShare.map((s) => `${(s * 100).toFixed(1)} %`).join(', ')} of the commit time, of which the INSERT ${insertShare.map((s) => `${(s * 100).toFixed(1)} %`).join(', ')}`,
);
// Within the on runs themselves: the commit over the commit without the events' share.
const inRun = eventsShare.map((s) => 1 / (1 - s)).sort((a, b) => a - b);
console.log(
  `  on / off (medians of the runs): ${ratio.toFixed(3)}x; within the on runs, commit / (commit - events): ${(inRun[0] ?? 0).toFixed(3)}x-${(inRun.at(-1) ?? 0).toFixed(3)}x   target <= ${TARGET_COST.toFixed(2)}x  ${median(inRun) <= TARGET_COST ? 'OK' : 'MISS'} (by the in-run figure; the runs' ratio is ${ratio <= TARGET_COST ? 'within' : 'outside'} it, read it against the off runs' spread)`,
);
process.exit(0);
