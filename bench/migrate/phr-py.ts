/**
 * `npm run migrate:phr-py` on a generated old deployment: USERS people with DAYS days of PHR-Py
 * Fitbit history each (about 10 Observations a day: steps, calories, distance, SpO2 daily totals,
 * six heart-rate points, a weekly weight; plus a symptom a month), served by a generated
 * HAPI-like FHIR server on loopback (resources computed per page, so the server holds none).
 * Prints total time, Observations per second, peak RSS, and the floor: the same pages read with
 * nothing mapped or written (what the old server's paging allows), in the same run.
 *
 *   USERS=50 DAYS=365 node bench/migrate/phr-py.ts                # target PGlite in memory
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench USERS=50 DAYS=365 node bench/migrate/phr-py.ts
 * The old database goes into a fresh schema on PHR_PY_TEST_DATABASE_URL (default the test server).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createFhirStore } from '../../src/fhir/store/fhir.service.ts';
import { readResources } from '../../src/migrate/phr-py/fhir-reader.ts';
import { migratePhrPy } from '../../src/migrate/phr-py/migrate.ts';
import { openSourceDb } from '../../src/migrate/phr-py/source-db.ts';
import { createOldDatabase, oldFitbitObservation } from '../../test/helpers/phr-py.ts';

const USERS = Number(process.env.USERS ?? 50);
const DAYS = Number(process.env.DAYS ?? 365);
const PAGE = Number(process.env.PAGE_SIZE ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const FIRST_DAY = Date.parse('2025-11-01T00:00:00Z');
const PER_DAY = 10; // 4 daily totals + 6 heart-rate points; a weight every 7th day is an 11th

const pid = (u: number) => `pat-${u}`;
const day = (d: number) => new Date(FIRST_DAY + d * 86_400_000).toISOString().slice(0, 10);

/** Resource k of person u, computed (the same on every call). */
function resourceAt(u: number, k: number): Resource {
  const d = Math.floor(k / (PER_DAY + 1));
  const slot = k % (PER_DAY + 1);
  const date = day(d);
  const o = (type: string, code: string, value: number, unit: string, effective: string) => {
    const r = oldFitbitObservation({ patientId: pid(u), type, code, display: type, value, unit, effective });
    r.id = `${u}-${k}`;
    return r;
  };
  switch (slot) {
    case 0:
      return o('steps', '41950-7', 6000 + ((u * 31 + d * 17) % 5000), 'steps', `${date}T00:00:00`);
    case 1:
      return o('calories', '41981-2', 1900 + ((u + d) % 600), 'Cal', `${date}T00:00:00`);
    case 2:
      return o('distance', '41953-1', 4 + ((u + d) % 40) / 10, 'km', `${date}T00:00:00`);
    case 3:
      return o('spo2', '59408-5', 94 + ((u + d) % 5), '%', `${date}T00:00:00`);
    case 10:
      return d % 7 === 0
        ? o('weight', '29463-7', 150 + (u % 40), 'lbs', `${date}T07:00:00`)
        : o('heart_rate', '8867-4', 58 + ((u + d) % 30), 'bpm', `${date}T23:30:00`);
    default:
      return o(
        'heart_rate',
        '8867-4',
        60 + ((u + d + slot) % 40),
        'bpm',
        `${date}T${String(slot * 2).padStart(2, '0')}:15:00`,
      );
  }
}

function conditionAt(u: number, k: number): Resource {
  return {
    resourceType: 'Condition',
    id: `c${u}-${k}`,
    identifier: [{ system: 'urn:app:condition-request', value: `u${u}-c${k}` }],
    code: { text: 'Headache' },
    subject: { reference: `Patient/${pid(u)}` },
    onsetDateTime: `${day(k * 30)}T14:00:00-05:00`,
    recordedDate: `${day(k * 30)}T14:05:00-05:00`,
  } as Resource;
}

const total = (type: string) => (type === 'Observation' ? DAYS * (PER_DAY + 1) : Math.floor(DAYS / 30));

async function startGeneratedServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const count = Number(url.searchParams.get('_count') ?? 20);
    const pages = url.searchParams.get('_getpages');
    const [type, subject] = pages
      ? (pages.split('~') as [string, string])
      : [url.pathname.replace(/^\/fhir\//, ''), url.searchParams.get('subject') ?? ''];
    const u = Number(subject.replace('Patient/pat-', ''));
    const offset = Number(url.searchParams.get('_getpagesoffset') ?? 0);
    const n = total(type);
    const entry = [];
    for (let k = offset; k < Math.min(n, offset + count); k++) {
      entry.push({
        resource: type === 'Observation' ? resourceAt(u, k) : conditionAt(u, k),
        search: { mode: 'match' },
      });
    }
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: n, entry } as Bundle;
    if (offset + count < n) {
      bundle.link = [
        {
          relation: 'next',
          url: `http://hapi-fhir:8080/fhir?_getpages=${type}~${encodeURIComponent(subject)}&_getpagesoffset=${offset + count}&_count=${count}`,
        },
      ];
    }
    res.writeHead(200, { 'content-type': 'application/fhir+json' });
    res.end(JSON.stringify(bundle));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/fhir`, close: () => new Promise((r) => server.close(() => r())) };
}

async function main() {
  const old = await createOldDatabase();
  const hash = bcrypt.hashSync('old password', 10);
  await old.query(
    `insert into users (id, name, email, password_hash, fhir_patient_id, timezone, is_active, created_at)
     select i, 'Person ' || i, 'p' || i || '@old.example', $1, 'pat-' || i,
            (array['America/New_York','Europe/Berlin','Asia/Kolkata','UTC'])[1 + i % 4], true, '2025-01-01'
       from generate_series(1, $2::int) i`,
    [hash, USERS],
  );
  await old.query(
    `insert into vendor_integrations (user_id, vendor, is_active, vendor_user_id)
     select i, 'fitbit', true, 'L' || lpad(i::text, 5, '0') from generate_series(1, $1::int) i`,
    [USERS],
  );
  const fhir = await startGeneratedServer();
  const target = await openDatabase({
    url: process.env.DATABASE_URL,
    schema: process.env.DATABASE_URL ? `bench_${randomUUID().slice(0, 8)}` : undefined,
  });
  await migrateToLatest(target.db);
  const source = await openSourceDb(old.url);
  const clock = { now: () => new Date() };
  const store = createFhirStore({ db: target.db, clock, replicate: false, defaultTimeZone: 'UTC' });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);

  // Floor: every page read, nothing mapped or written.
  let t = performance.now();
  let floorCount = 0;
  const readAll = async (u: number) => {
    for await (const page of readResources({ baseUrl: fhir.url, pageSize: PAGE }, 'Observation', pid(u)))
      floorCount += page.length;
  };
  for (let u = 1; u <= USERS; u += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, USERS - u + 1) }, (_, i) => readAll(u + i)));
  }
  const floorS = (performance.now() - t) / 1000;

  const run = async (dryRun: boolean) => {
    const started = performance.now();
    const out = await migratePhrPy(
      {
        db: target.db,
        store,
        clock,
        defaultTimeZone: 'UTC',
        source,
        fhir: { baseUrl: fhir.url, pageSize: PAGE },
        concurrency: CONCURRENCY,
      },
      { dryRun },
    );
    return { ...out, seconds: (performance.now() - started) / 1000 };
  };
  t = performance.now();
  const dry = await run(true);
  const real = await run(false);
  const again = await run(false);
  clearInterval(sampler);
  const obs = Object.values(real.report.observations).reduce((a, b) => a + b, 0);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `target ${target.kind}, ${USERS} people x ${DAYS} days, page ${PAGE}, concurrency ${CONCURRENCY}`,
  );
  console.log(`Observations migrated: ${fmt(obs)} (+ ${real.report.conditions} conditions)`);
  console.log(`floor (pages read only): ${floorS.toFixed(1)} s, ${fmt(floorCount / floorS)} Observations/s`);
  console.log(`dry run: ${dry.seconds.toFixed(1)} s, ${fmt(obs / dry.seconds)} Observations/s`);
  console.log(
    `real run: ${real.seconds.toFixed(1)} s, ${fmt(obs / real.seconds)} Observations/s (${(floorS / real.seconds).toFixed(3)}x the floor's rate); written ${JSON.stringify(real.written)}`,
  );
  console.log(
    `re-run: ${again.seconds.toFixed(1)} s, ${fmt(obs / again.seconds)} Observations/s; written ${JSON.stringify(again.written)}`,
  );
  console.log(`reports equal: ${JSON.stringify(dry.report) === JSON.stringify(real.report)}`);
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

  await source.close();
  await fhir.close();
  if (process.env.DATABASE_URL) {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    await c.query(
      `drop schema if exists "${(await target.db.selectNoFrom((eb) => eb.fn<string>('current_schema').as('s')).executeTakeFirstOrThrow()).s}" cascade`,
    );
    await c.end();
  }
  await target.close();
  await old.drop();
}

await main();
