// A night's stage sequence: Google Health segments -> measurement stages -> the sleep Observation's
// SampledData component -> the health API's `stages`, and the PHR-App view without it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type Measurement, toAppView, toHealthObservation, toObservation } from '../../src/fhir/index.ts';
import { decodeStages, encodeStages } from '../../src/fhir/sleep-stages.ts';
import { mapSleep } from '../../src/vendors/fitbit/mappers/sleep.mapper.ts';
import { assertValid } from '../helpers/validate-fhir.ts';

const ctx = { patientId: 'p-1', now: new Date('2026-12-01T00:00:00Z'), sourceUri: 'urn:test:sleep' };
const SAMPLES = join(import.meta.dirname, '../fixtures/google-health-samples');

const night: Measurement = {
  type: 'sleep',
  value: 390,
  unit: 'min',
  components: { light: 240, deep: 60, rem: 90, awake: 30 },
  stages: [
    { stage: 'light', start: '2026-10-04T23:00:00-04:00', end: '2026-10-05T01:00:00-04:00' },
    { stage: 'deep', start: '2026-10-05T01:00:00-04:00', end: '2026-10-05T02:00:00-04:00' },
    { stage: 'awake', start: '2026-10-05T02:00:00-04:00', end: '2026-10-05T02:30:00-04:00' },
    { stage: 'rem', start: '2026-10-05T02:30:00-04:00', end: '2026-10-05T04:00:00-04:00' },
    { stage: 'light', start: '2026-10-05T04:00:00-04:00', end: '2026-10-05T06:00:00-04:00' },
  ],
  start: '2026-10-04T23:00:00-04:00',
  end: '2026-10-05T06:00:00-04:00',
  utcOffset: '-04:00',
  localDate: '2026-10-05',
  source: { vendor: 'fitbit', deviceName: 'Pixel Watch 3' },
  vendorKey: 'users/1/dataTypes/sleep/dataPoints/9',
  daily: false,
};

describe('Google Health sleep mapper', () => {
  test("stage segments become the night's stages, in order, in the session offset", () => {
    const body = JSON.parse(readFileSync(join(SAMPLES, 'schema-derived-list-sleep-stages.json'), 'utf8'));
    const p = body.dataPoints[0];
    const m = mapSleep(p.sleep, p);
    expect(m?.stages).toEqual([
      { stage: 'light', start: '2026-10-04T23:10:00-04:00', end: '2026-10-04T23:20:00-04:00' },
      { stage: 'deep', start: '2026-10-04T23:20:00-04:00', end: '2026-10-04T23:30:00-04:00' },
      { stage: 'rem', start: '2026-10-04T23:30:00-04:00', end: '2026-10-04T23:35:00-04:00' },
      { stage: 'awake', start: '2026-10-04T23:35:00-04:00', end: '2026-10-04T23:40:00-04:00' },
    ]);
  });

  test('segments out of order are sorted; a sleep without segments has no stages', () => {
    const body = JSON.parse(readFileSync(join(SAMPLES, 'schema-derived-list-sleep-stages.json'), 'utf8'));
    const point = structuredClone(body.dataPoints[0]);
    point.sleep.stages.reverse();
    expect(mapSleep(point.sleep, point).stages?.map((s) => s.stage)).toEqual([
      'light',
      'deep',
      'rem',
      'awake',
    ]);
    delete point.sleep.stages;
    expect(mapSleep(point.sleep, point).stages).toBeUndefined();
  });
});

describe('stage sequence in the sleep Observation', () => {
  test('one valid SampledData component, minute epochs numbered as documented; obs-7 kept', () => {
    const obs = toObservation(night, ctx);
    assertValid(obs);
    const sequence = obs.component?.find((c) => c.code.coding?.[0]?.code === 'sleep-stage-sequence');
    expect(sequence?.valueSampledData).toMatchObject({ origin: { value: 0 }, period: 60_000, dimensions: 1 });
    const data = sequence?.valueSampledData?.data?.split(' ') ?? [];
    expect(data).toHaveLength(7 * 60);
    // 0 awake, 1 light, 2 deep, 3 rem (docs/fhir.md)
    expect([data[0], data[120], data[180], data[210], data[419]]).toEqual(['1', '2', '0', '3', '1']);
    const codes = obs.component?.map((c) => c.code.coding?.[0]?.code) ?? [];
    expect(codes).not.toContain(obs.code.coding?.[0]?.code);
  });

  test('round trip: the health API item carries the same stages and the same stage minutes', () => {
    const item = toHealthObservation(toObservation(night, ctx));
    expect(item?.stages).toEqual(night.stages);
    expect(item?.components).toEqual(night.components);
  });

  test('a boundary off the minute grid uses 30-second epochs; gaps stay gaps', () => {
    const start = '2026-10-04T23:00:00+00:00';
    const stages = [
      { stage: 'light' as const, start, end: '2026-10-04T23:10:30+00:00' },
      { stage: 'deep' as const, start: '2026-10-04T23:20:00+00:00', end: '2026-10-04T23:30:00+00:00' },
    ];
    const encoded = encodeStages(stages, start);
    expect(encoded?.period).toBe(30_000);
    expect(decodeStages(start, '2026-10-04T23:30:00+00:00', encoded!.period, encoded!.data)).toEqual(stages);
  });

  test('boundaries off the 30-second grid of the start (Apple Health records) move by under 15 s', () => {
    const stages = [
      { stage: 'light' as const, start: '2024-02-29T23:14:30-08:00', end: '2024-02-29T23:58:00-08:00' },
      { stage: 'deep' as const, start: '2024-02-29T23:58:00-08:00', end: '2024-03-01T00:41:30-08:00' },
      { stage: 'rem' as const, start: '2024-03-01T00:41:30-08:00', end: '2024-03-01T01:02:00-08:00' },
      { stage: 'awake' as const, start: '2024-03-01T01:02:00-08:00', end: '2024-03-01T01:04:30-08:00' },
    ];
    const obs = toObservation(
      {
        ...night,
        stages,
        start: '2024-02-29T23:02:10-08:00',
        end: '2024-03-01T06:45:33-08:00',
        utcOffset: '-08:00',
        localDate: '2024-03-01',
      },
      ctx,
    );
    assertValid(obs);
    const back = toHealthObservation(obs)?.stages ?? [];
    expect(back.map((s) => s.stage)).toEqual(stages.map((s) => s.stage));
    back.forEach((s, i) => {
      expect(Math.abs(Date.parse(s.start) - Date.parse(stages[i]!.start))).toBeLessThanOrEqual(15_000);
      expect(Math.abs(Date.parse(s.end) - Date.parse(stages[i]!.end))).toBeLessThanOrEqual(15_000);
    });
  });

  test('a sleep without stages has no sequence component and no `stages` item field', () => {
    const { stages: _, ...plain } = night;
    const obs = toObservation(plain, ctx);
    expect(obs.component?.some((c) => c.code.coding?.[0]?.code === 'sleep-stage-sequence')).toBe(false);
    expect(toHealthObservation(obs)).not.toHaveProperty('stages');
  });

  test('the PHR-App view of a sleep Observation is what it was before stages existed', () => {
    const { stages: _, ...plain } = night;
    const withStages = toObservation(night, ctx);
    expect(toAppView(withStages)).toEqual(toAppView(toObservation(plain, ctx)));
    expect(withStages.component?.some((c) => c.code.coding?.[0]?.code === 'sleep-stage-sequence')).toBe(true);
  });
});
