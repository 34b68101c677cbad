// Property tests: any valid measurement gives a valid R4 resource (base + claimed profiles), and
// the health API item read back from it keeps type, value, unit, date and every sample.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CANONICAL_UNIT,
  groupHeartRateSamples,
  localDateFor,
  MEASUREMENT_TYPES,
  type Measurement,
  type MeasurementType,
  SLEEP_STAGES,
  toHealthObservation,
  toObservation,
} from '../../src/fhir/index.ts';
import { DAY_MS, formatOffset, localDateOf, localDayStartMs, toLocalIso } from '../../src/fhir/time.ts';
import { assertValid } from '../helpers/validate-fhir.ts';

const FROM = Date.UTC(2020, 0, 1);
const TO = Date.UTC(2030, 0, 1);
const offsetArb = fc.integer({ min: -48, max: 56 }).map((q) => formatOffset(q * 15));
const instantArb = fc.integer({ min: FROM, max: TO });
const valueArb = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.integer({ min: 0, max: 10_000_000 }).map((n) => n / 1000),
);
const sourceArb = fc.record(
  {
    vendor: fc.constantFrom('fitbit', 'withings'),
    deviceName: fc.constantFrom('Inspire 3', 'Pixel Watch 3', 'Aria Air'),
    deviceId: fc.stringMatching(/^[a-z0-9]{1,12}$/),
    userEntered: fc.constant(true),
  },
  { requiredKeys: ['vendor'] },
);

const basicArb = fc
  .record({
    type: fc.constantFrom(...MEASUREMENT_TYPES.filter((t) => t !== 'heart_rate')),
    value: valueArb,
    offset: offsetArb,
    at: instantArb,
    durationMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 * 3_600_000 })),
    daily: fc.boolean(),
    source: sourceArb,
    stages: fc.dictionary(fc.constantFrom(...SLEEP_STAGES), fc.integer({ min: 0, max: 600 })),
    diastolic: valueArb,
  })
  .map(({ type, value, offset, at, durationMs, daily, source, stages, diastolic }): Measurement => {
    // A blood-pressure reading always has both pressures; its value is the systolic one.
    const parts = type === 'blood_pressure' ? { components: { systolic: value, diastolic } } : {};
    if (daily) {
      const localDate = localDateOf(at, offset);
      const start = localDayStartMs(localDate, offset);
      return {
        ...common(type, value, source),
        ...parts,
        start: toLocalIso(start, offset),
        end: toLocalIso(start + DAY_MS, offset),
        utcOffset: offset,
        localDate,
        vendorKey: `${type}|${localDate}`,
        daily,
      };
    }
    const start = new Date(at).toISOString();
    const end = new Date(at + durationMs).toISOString();
    return {
      ...common(type, value, source),
      ...(type === 'sleep' ? { components: stages } : parts),
      start,
      end,
      utcOffset: offset,
      localDate: localDateFor(type, start, end, offset),
      vendorKey: `${type}|${start}`,
      daily,
    };
  });

const heartRateArb = fc
  .record({
    hourStart: instantArb.map((ms) => ms - (ms % 3_600_000)),
    offset: offsetArb,
    seconds: fc.uniqueArray(fc.integer({ min: 0, max: 3_599 }), { minLength: 1, maxLength: 120 }),
    bpm: fc.integer({ min: 30, max: 220 }),
    source: sourceArb,
  })
  .map(({ hourStart, offset, seconds, bpm, source }) =>
    groupHeartRateSamples(
      seconds.map((s, i) => ({
        time: new Date(hourStart + s * 1000).toISOString(),
        utcOffset: offset,
        value: bpm + (i % 7),
        source,
      })),
    ),
  );

function common(type: MeasurementType, value: number, source: Measurement['source']) {
  return { type, value, unit: CANONICAL_UNIT[type], source };
}

function checkRoundTrip(m: Measurement, now: Date): void {
  const obs = toObservation(m, { patientId: 'p-prop', now, sourceUri: 'urn:test' });
  assertValid(obs);
  const h = toHealthObservation(obs);
  expect(h).toBeDefined();
  expect(h).toMatchObject({ id: obs.id, type: m.type, value: m.value, unit: m.unit, date: m.localDate });
  const settled = Math.max(localDayStartMs(m.localDate, m.utcOffset) + DAY_MS, Date.parse(m.end));
  expect(h?.status).toBe(now.getTime() >= settled ? 'final' : 'preliminary');
  if (m.samples) {
    const local = m.samples.map((s) => ({ time: toLocalIso(s.at, m.utcOffset), value: s.value }));
    expect(h?.samples).toEqual(local);
  }
  if (m.components && Object.keys(m.components).length > 0) expect(h?.components).toEqual(m.components);
  if (!m.daily)
    expect(h?.effective_start).toBe(toLocalIso(m.samples?.[0]?.at ?? Date.parse(m.start), m.utcOffset));
}

describe('properties', () => {
  test('random measurements map to valid Observations that read back losslessly', () => {
    fc.assert(
      fc.property(basicArb, instantArb, (m, now) => checkRoundTrip(m, new Date(now))),
      { numRuns: 300 },
    );
  });

  test('random heart-rate hours keep every sample time and value', () => {
    fc.assert(
      fc.property(heartRateArb, instantArb, (windows, now) => {
        for (const m of windows) checkRoundTrip(m, new Date(now));
      }),
      { numRuns: 150 },
    );
  });
});
