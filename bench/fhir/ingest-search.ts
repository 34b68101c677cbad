/**
 * FHIR store bench: ingest (map + store, batches of 1,000) and search latency over one user
 * holding a year of data (hourly heart-rate windows of 1/min samples, daily totals, weekly weight).
 *
 *   node bench/fhir/ingest-search.ts                  # embedded PGlite (in memory)
 *   DATABASE_URL=postgres://... node bench/fhir/ingest-search.ts
 *
 * Targets (2 cores, PostgreSQL): ingest >= 20,000 Observations/s; search p99 <= 20 ms.
 */
import { randomUUID } from 'node:crypto';
import type { Observation } from '@medplum/fhirtypes';
import { insertUser } from '../../src/auth/auth.repository.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { LOINC } from '../../src/fhir/codes.ts';
import { groupHeartRateSamples, type RawHeartRateSample } from '../../src/fhir/heart-rate-window.ts';
import type { Measurement, MeasurementType } from '../../src/fhir/measurement.ts';
import { toObservation } from '../../src/fhir/observation.mapper.ts';
import { createFhirStore } from '../../src/fhir/store/fhir.service.ts';

const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 300);
const BATCH = 1_000;
const TARGET_INGEST = 20_000;
const TARGET_P99_MS = 20;
const START = Date.UTC(2025, 0, 1);
const source = { vendor: 'fitbit', deviceId: 'bench-device', deviceName: 'Pixel Watch 3' };

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
    const samples: RawHeartRateSample[] = [];
    for (let m = 0; m < 1_440; m += 1) {
      const time = new Date(dayStart + m * 60_000).toISOString();
      samples.push({ time, utcOffset: '+00:00', value: 60 + ((d + m) % 40), source });
    }
    out.push(...groupHeartRateSamples(samples));
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
    if (d % 7 === 0) {
      const at = new Date(dayStart + 7 * 3_600_000).toISOString();
      out.push({
        type: 'body_weight',
        value: 70 + (d % 5) / 10,
        unit: 'kg',
        start: at,
        end: at,
        utcOffset: '+00:00',
        localDate,
        source,
        vendorKey: `weight|${at}`,
        daily: false,
      });
    }
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const url = process.env.DATABASE_URL;
const handle = await openDatabase({ url, poolSize: 4 });
try {
  await migrateToLatest(handle.db);
  const user = await insertUser(handle.db, {
    email: `bench-${randomUUID()}@example.test`,
    name: 'bench',
    passwordHash: null,
    externalSubject: null,
    fhirPatientId: randomUUID(),
  });
  if (!user) throw new Error('could not create the bench user');
  const principal = { userId: user.id };
  const now = new Date(START + (DAYS + 1) * 86_400_000);
  const store = createFhirStore({
    db: handle.db,
    clock: { now: () => now },
    replicate: false,
    defaultTimeZone: 'UTC',
  });

  const ms = measurements();
  const ctx = { patientId: user.fhir_patient_id, now, sourceUri: 'https://health.googleapis.com/v4/bench' };
  const t0 = performance.now();
  let created = 0;
  for (let i = 0; i < ms.length; i += BATCH) {
    const obs: Observation[] = ms.slice(i, i + BATCH).map((m) => toObservation(m, ctx));
    created += (await store.upsertResources(principal, obs)).created;
  }
  const ingestS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  let unchanged = 0;
  for (let i = 0; i < ms.length; i += BATCH) {
    const obs = ms.slice(i, i + BATCH).map((m) => toObservation(m, ctx));
    unchanged += (await store.upsertResources(principal, obs)).unchanged;
  }
  const resyncS = (performance.now() - t1) / 1000;
  await import('kysely').then(({ sql }) => sql`analyze fhir_resources`.execute(handle.db));

  const latencies: number[] = [];
  let rows = 0;
  for (let i = 0; i < SEARCHES; i += 1) {
    const from = START + ((i * 7919) % Math.max(1, DAYS - 31)) * 86_400_000;
    const t = performance.now();
    const page = await store.searchObservations(principal, {
      codes: [[{ system: LOINC, code: '8867-4' }]],
      dates: [
        [{ prefix: 'ge', start: from, end: from + 86_400_000 }],
        [{ prefix: 'lt', start: from + 30 * 86_400_000, end: from + 31 * 86_400_000 }],
      ],
      sort: '-date',
      limit: 50,
    });
    latencies.push(performance.now() - t);
    rows += page.rows.length;
  }
  latencies.sort((a, b) => a - b);
  const rate = Math.round(created / ingestS);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const kind = handle.kind === 'postgres' ? 'PostgreSQL' : 'PGlite';
  console.log(`FHIR store bench on ${kind}: ${DAYS} days, ${ms.length} Observations for one user`);
  console.log(
    `  ingest (map + store, batches of ${BATCH}): ${rate} Observations/s   target >= ${TARGET_INGEST} (PostgreSQL, 2 cores)  ${rate >= TARGET_INGEST ? 'OK' : 'MISS'}`,
  );
  console.log(
    `  unchanged re-sync: ${Math.round(unchanged / resyncS)} Observations/s (${unchanged} unchanged)`,
  );
  console.log(
    `  search code+date, page of 50 (-date): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms   target p99 <= ${TARGET_P99_MS} ms  ${p99 <= TARGET_P99_MS ? 'OK' : 'MISS'}  (${SEARCHES} searches, ${rows / SEARCHES} rows avg)`,
  );
  await handle.db.deleteFrom('users').where('id', '=', user.id).execute();
} finally {
  await handle.close();
}
