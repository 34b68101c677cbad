/**
 * Test data without the sync engine: measurements -> toObservation -> the FHIR store's upsert
 * (the same path the sync engine takes).
 *
 *   steps('2026-08-29', 8421)                         a daily total at an offset
 *   heartRateHour('2026-08-29T10:00:00+05:30', 72)    one local hour of 1/min samples (a window)
 *   weight('2026-08-29T07:00:00+02:00', 71.2)         a point sample
 *   steps('2026-08-29', 7900, { vendor: 'withings' })  another source (as the sync writes it)
 *   storeMeasurements(t, userId, measurements)        -> the stored Observations
 */
import type { Observation } from '@medplum/fhirtypes';
import { groupHeartRateSamples, type Measurement, toObservation } from '../../src/fhir/index.ts';
import { localDateOf } from '../../src/fhir/time.ts';
import type { TestApp } from './app.ts';

const source = (vendor = 'fitbit') => ({ vendor, deviceName: 'Inspire 3' });

export function daily(
  type: 'steps' | 'calories' | 'distance' | 'resting_heart_rate',
  date: string,
  value: number,
  options: { offset?: string; vendor?: string } = {},
): Measurement {
  const offset = options.offset ?? '+00:00';
  const unit = { steps: '/d', calories: 'kcal', distance: 'm', resting_heart_rate: '/min' }[type];
  const start = `${date}T00:00:00${offset}`;
  const end = new Date(Date.parse(start) + 86_400_000).toISOString();
  return {
    type,
    value,
    unit,
    start,
    end,
    utcOffset: offset,
    localDate: date,
    source: source(options.vendor),
    vendorKey: `${type}|${date}`,
    daily: true,
  };
}

export const steps = (date: string, value: number, options: { offset?: string; vendor?: string } = {}) =>
  daily('steps', date, value, options);

/** `hourStart` is a local hour with its offset, e.g. '2026-08-29T10:00:00+05:30'; 1 sample per minute. */
export function heartRateHour(
  hourStart: string,
  base: number,
  options: { minutes?: number } = {},
): Measurement {
  const offset = hourStart.slice(-6);
  const t0 = Date.parse(hourStart);
  const samples = Array.from({ length: options.minutes ?? 60 }, (_, i) => ({
    time: new Date(t0 + i * 60_000).toISOString(),
    utcOffset: offset,
    value: base + (i % 7),
    source: source(),
  }));
  const [m] = groupHeartRateSamples(samples);
  if (!m) throw new Error('no heart-rate window');
  return m;
}

export function weight(at: string, kg: number, options: { vendor?: string } = {}): Measurement {
  const offset = at.slice(-6);
  return {
    type: 'body_weight',
    value: kg,
    unit: 'kg',
    start: at,
    end: at,
    utcOffset: offset,
    localDate: localDateOf(at, offset),
    source: source(options.vendor),
    vendorKey: `body_weight|${at}`,
    daily: false,
  };
}

export async function patientIdOf(t: TestApp, userId: number): Promise<string> {
  const row = await t.deps.db
    .selectFrom('users')
    .select('fhir_patient_id')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.fhir_patient_id;
}

export async function storeMeasurements(
  t: TestApp,
  userId: number,
  measurements: Measurement[],
  now: Date = new Date('2030-01-01T00:00:00Z'),
): Promise<Observation[]> {
  const patientId = await patientIdOf(t, userId);
  const ctx = { patientId, now, sourceUri: 'https://health.googleapis.com/v4/users/me/dataTypes' };
  const observations = measurements.map((m) => toObservation(m, ctx));
  for (let i = 0; i < observations.length; i += 5_000) {
    await t.deps.fhir.store.upsertResources({ userId }, observations.slice(i, i + 5_000));
  }
  return observations;
}

/** `count` consecutive local days of steps starting at `firstDate`. */
export function stepsDays(
  firstDate: string,
  count: number,
  options: { offset?: string } = {},
): Measurement[] {
  const t0 = Date.parse(`${firstDate}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) =>
    steps(new Date(t0 + i * 86_400_000).toISOString().slice(0, 10), 1000 + i, options),
  );
}
