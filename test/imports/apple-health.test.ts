/**
 * The Apple Health reader and mapping, without the database: the hand-written samples in test/imports/samples (including
 * the malformed ones), unit conversions, and daily totals counted as the Health app counts them,
 * with the expected values worked out by hand below.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCollector } from '../../src/imports/apple-health/collector.ts';
import { parseAppleDate } from '../../src/imports/apple-health/dates.ts';
import { mergeBySource } from '../../src/imports/apple-health/dedup.ts';
import { readExport } from '../../src/imports/apple-health/reader.ts';
import type { RawRecord } from '../../src/imports/apple-health/records.ts';
import { parseDevice, sourceRank } from '../../src/imports/apple-health/sources.ts';
import { fileSpill, memorySpill, type Spill } from '../../src/imports/apple-health/spill.ts';

const SAMPLES = join(import.meta.dirname, 'samples');
const WATCH_DEVICE =
  '<<HKDevice: 0x2823a1f40>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.3>';
const PHONE_DEVICE =
  '<<HKDevice: 0x280f9e300>, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,5, software:17.3>';

function record(partial: Partial<RawRecord> & { type: string; start: string; end?: string }): RawRecord {
  return {
    sourceName: 'Ana’s Apple Watch',
    device: undefined,
    unit: undefined,
    value: undefined,
    creationDate: undefined,
    meta: {},
    ...partial,
    startDate: `2026-03-02 ${partial.start} +0000`,
    endDate: `2026-03-02 ${partial.end ?? partial.start} +0000`,
  };
}

const steps = (source: 'watch' | 'phone' | 'app', start: string, end: string, value: number): RawRecord =>
  record({
    type: 'HKQuantityTypeIdentifierStepCount',
    sourceName:
      source === 'watch' ? 'Ana’s Apple Watch' : source === 'phone' ? 'Ana’s iPhone' : 'Pedometer++',
    device: source === 'watch' ? WATCH_DEVICE : source === 'phone' ? PHONE_DEVICE : undefined,
    unit: 'count',
    value: String(value),
    start,
    end,
  });

function collect(records: RawRecord[], zone = 'UTC') {
  const c = createCollector({ zone });
  for (const r of records) c.add(r);
  return c.finish();
}

const total = (result: ReturnType<typeof collect>, type: string, date = '2026-03-02') =>
  result.measurements.find((m) => m.type === type && m.daily && m.localDate === date)?.value;

async function readFile(path: string) {
  const c = createCollector({ zone: 'America/Los_Angeles' });
  await readExport(path, { onRecord: c.add });
  return c.finish();
}

describe('daily totals as the Health app counts them', () => {
  it('counts a phone record only for the minutes the watch did not cover, pro-rated', () => {
    // Watch: 08:00-08:10 500 steps, 08:20-08:30 400 steps (it was off 08:10-08:20).
    // Phone: 08:00-08:30 900 steps; 10 of its 30 minutes are uncovered: 900 * 10/30 = 300.
    // Phone: 09:00-09:20 240 steps, no watch then: all 240. App (lowest priority): 08:05-08:25
    // 100 steps, covered by watch or phone throughout: 0.
    // Hand total: 500 + 400 + 300 + 240 + 0 = 1,440 (a plain sum would say 2,140).
    const result = collect([
      steps('phone', '08:00:00', '08:30:00', 900),
      steps('watch', '08:00:00', '08:10:00', 500),
      steps('app', '08:05:00', '08:25:00', 100),
      steps('watch', '08:20:00', '08:30:00', 400),
      steps('phone', '09:00:00', '09:20:00', 240),
    ]);
    expect(total(result, 'steps')).toBe(1440);
  });

  it('lets the watch cover half a phone walk: half the phone steps count', () => {
    // Watch on 10:00-10:15 only (600 steps); phone 10:00-10:30 1,000 steps: 1,000 * 15/30 = 500.
    const result = collect([
      steps('watch', '10:00:00', '10:15:00', 600),
      steps('phone', '10:00:00', '10:30:00', 1000),
    ]);
    expect(total(result, 'steps')).toBe(1100);
  });

  it('puts what the person typed in before every device', () => {
    // Typed in: 07:00-08:00 3,000 steps. The watch's 07:30-07:40 250 steps are covered: 0.
    const typed = {
      ...steps('app', '07:00:00', '08:00:00', 3000),
      sourceName: 'Health',
      meta: { HKWasUserEntered: '1' },
    };
    const result = collect([steps('watch', '07:30:00', '07:40:00', 250), typed]);
    expect(total(result, 'steps')).toBe(3000);
  });

  it('counts the sample’s overlapping walk once: 857 steps, not 1,669', async () => {
    const result = await readFile(join(SAMPLES, 'export.xml'));
    expect(total(result, 'steps', '2024-03-01')).toBe(857);
  });

  it('adds active and basal energy into calories, in kcal whatever the unit', () => {
    const energy = (type: string, unit: string, value: number, start: string, end: string) =>
      record({
        type: `HKQuantityTypeIdentifier${type}`,
        device: WATCH_DEVICE,
        unit,
        value: String(value),
        start,
        end,
      });
    const result = collect([
      energy('ActiveEnergyBurned', 'kJ', 418.4, '08:00:00', '08:30:00'), // 100 kcal
      energy('BasalEnergyBurned', 'Cal', 70, '08:00:00', '09:00:00'), // Cal is a kilocalorie
    ]);
    expect(total(result, 'calories')).toBe(170);
  });

  it('merges with columns: a zero-length record counts unless its instant is covered', () => {
    const counted = mergeBySource(
      { startMs: [0, 5, 20], endMs: [10, 5, 20], value: [10, 3, 4], source: [0, 1, 1] },
      3,
      (s) => s,
    );
    expect([...counted]).toEqual([10, 0, 4]);
  });
});

describe('month by month, in bounded memory', () => {
  const at = (r: RawRecord, start: string, end: string): RawRecord => ({
    ...r,
    startDate: `${start} +0000`,
    endDate: `${end} +0000`,
  });
  const heartRate = (bpm: number): RawRecord =>
    record({
      type: 'HKQuantityTypeIdentifierHeartRate',
      device: WATCH_DEVICE,
      unit: 'count/min',
      value: String(bpm),
      start: '00:00',
    });

  function collectSpilled(records: RawRecord[], spill: Spill) {
    const c = createCollector({ zone: 'UTC', spill });
    for (const r of records) c.add(r);
    return c.finish();
  }

  // Two nights that cross a month's end (UTC), each with records on both sides of midnight:
  // - Watch 2026-03-31 23:50 - 2026-04-01 00:10, 200 steps (March); phone 2026-04-01 00:00-00:20,
  //   600 steps (April): the watch covers 10 of the phone's 20 minutes, so 300 count on April 1st.
  // - Phone 2026-04-30 23:50 - 2026-05-01 00:10, 600 steps (April); watch 2026-05-01 00:00-00:20,
  //   200 steps (May): the watch covers 10 of the phone's 20 minutes, so 300 count on April 30th.
  // Merging each month alone would count both phone records in full (600).
  const records = [
    at(steps('phone', '00:00', '00:00', 600), '2026-04-01 00:00:00', '2026-04-01 00:20:00'),
    at(steps('watch', '00:00', '00:00', 200), '2026-03-31 23:50:00', '2026-04-01 00:10:00'),
    at(steps('phone', '00:00', '00:00', 600), '2026-04-30 23:50:00', '2026-05-01 00:10:00'),
    at(steps('watch', '00:00', '00:00', 200), '2026-05-01 00:00:00', '2026-05-01 00:20:00'),
    at(heartRate(61), '2026-03-31 23:59:00', '2026-03-31 23:59:00'),
    at(heartRate(65), '2026-04-01 00:01:00', '2026-04-01 00:01:00'),
  ];
  const expectTotals = (result: ReturnType<typeof collect>) => {
    expect(total(result, 'steps', '2026-03-31')).toBe(200);
    expect(total(result, 'steps', '2026-04-01')).toBe(300);
    expect(total(result, 'steps', '2026-04-30')).toBe(300);
    expect(total(result, 'steps', '2026-05-01')).toBe(200);
    const hr = result.measurements.filter((m) => m.type === 'heart_rate').map((m) => [m.localDate, m.value]);
    expect(hr.sort()).toEqual([
      ['2026-03-31', 61],
      ['2026-04-01', 65],
    ]);
  };

  it('lets a record of the month before or after cover this month’s records', () => {
    expectTotals(collectSpilled(records, memorySpill()));
  });

  it('gives the same from files on disk as from memory, and writes only under its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apple-spill-'));
    try {
      const spill = fileSpill(join(dir, 'work'));
      expectTotals(collectSpilled(records, spill));
      // Three activity months and two heart-rate months, one file each.
      expect((await readdir(join(dir, 'work'))).length).toBe(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('reading an export', () => {
  it('reads the notes’ sample: every mapped type, the blood-pressure pair once, sleep from the Watch', async () => {
    const result = await readFile(join(SAMPLES, 'export.xml'));
    const types = new Set(result.measurements.map((m) => m.type));
    for (const type of [
      'heart_rate',
      'resting_heart_rate',
      'hrv_sdnn',
      'spo2',
      'respiratory_rate',
      'body_weight',
      'body_fat',
      'height',
      'body_temperature',
      'skin_temperature',
      'blood_pressure',
      'blood_glucose',
      'vo2_max',
      'steps',
      'distance',
      'calories',
      'sleep',
    ])
      expect(types.has(type as never), type).toBe(true);
    const bp = result.measurements.filter((m) => m.type === 'blood_pressure');
    expect(bp).toHaveLength(1);
    expect(bp[0]?.components).toEqual({ systolic: 121, diastolic: 79 });
    const sleep = result.measurements.filter((m) => m.type === 'sleep');
    expect(sleep).toHaveLength(1);
    expect(sleep[0]?.source.deviceName).toBe('Ana’s Apple Watch');
    expect(sleep[0]?.components).toEqual({ light: 43.5, deep: 43.5, rem: 20.5, awake: 2.5 });
    // The stage records in order, for the night's hypnogram (time in bed is not a stage).
    expect(sleep[0]?.stages).toEqual([
      { stage: 'light', start: '2024-02-29T23:14:30-08:00', end: '2024-02-29T23:58:00-08:00' },
      { stage: 'deep', start: '2024-02-29T23:58:00-08:00', end: '2024-03-01T00:41:30-08:00' },
      { stage: 'rem', start: '2024-03-01T00:41:30-08:00', end: '2024-03-01T01:02:00-08:00' },
      { stage: 'awake', start: '2024-03-01T01:02:00-08:00', end: '2024-03-01T01:04:30-08:00' },
    ]);
    expect(result.skipped).toEqual({});
  });

  it('converts units once: lb, fractions, mmol/L, degF, mi', async () => {
    const result = await readFile(join(SAMPLES, 'export.xml'));
    const one = (type: string) => result.measurements.find((m) => m.type === type)!;
    expect(one('body_weight').value).toBeCloseTo(141.2 * 0.45359237, 5);
    expect(one('spo2').value).toBe(96);
    expect(one('body_fat').unit).toBe('%');
    expect(one('body_fat').value).toBeGreaterThan(1);
    expect(one('skin_temperature').value).toBeCloseTo(((95.9124 - 32) * 5) / 9, 5);
    const metric = await readFile(join(SAMPLES, 'export-metric-locale.xml'));
    const glucose = metric.measurements.find((m) => m.type === 'blood_glucose')!;
    expect(glucose.unit).toBe('mg/dL');
  });

  it('tolerates the iOS 16 DTD, an extra > in the DTD and a vertical tab; fails a truncated file', async () => {
    for (const name of ['ios16-dtd-missing-gt.xml', 'dtd-extra-gt.xml']) {
      const result = await readFile(join(SAMPLES, 'malformed', name));
      expect(result.recordsRead, name).toBeGreaterThan(0);
    }
    const vt = await readFile(join(SAMPLES, 'malformed', 'vertical-tab-in-attribute.xml'));
    expect(vt.recordsRead).toBe(1);
    await expect(readFile(join(SAMPLES, 'malformed', 'truncated.xml'))).rejects.toThrow(/unclosed|truncated/);
  });

  it('refuses a document whose root is not HealthData', async () => {
    const path = join(tmpdir(), `not-export-${process.pid}.xml`);
    await writeFile(path, '<?xml version="1.0"?><ClinicalDocument><Record type="x"/></ClinicalDocument>');
    await expect(readFile(path)).rejects.toThrow('not an Apple Health export: root <ClinicalDocument>');
  });
});

describe('keys, dates and sources', () => {
  it('parses dates with their offset as instants, and refuses the iOS 8 form', () => {
    expect(parseAppleDate('2024-03-01 08:15:00 +0100')).toBe(Date.UTC(2024, 2, 1, 7, 15));
    expect(parseAppleDate('2024-03-01 08:15:00 -0800')).toBe(Date.UTC(2024, 2, 1, 16, 15));
    expect(parseAppleDate('20150616071916-0700')).toBeUndefined();
    expect(parseAppleDate('2024-13-01 08:15:00 +0000')).toBeUndefined();
  });

  it('reads the device string without its memory address, and ranks Watch before iPhone before apps', () => {
    expect(parseDevice(WATCH_DEVICE)).toEqual({
      name: 'Apple Watch',
      manufacturer: 'Apple Inc.',
      model: 'Watch',
      hardware: 'Watch6,2',
    });
    const rank = (device: string | undefined, sourceName: string, userEntered = false) =>
      sourceRank({ userEntered, sourceName, ...parseDevice(device) });
    expect([
      rank(undefined, 'Health', true),
      rank(WATCH_DEVICE, 'x'),
      rank(PHONE_DEVICE, 'x'),
      rank(undefined, 'AutoSleep'),
    ]).toEqual([0, 1, 2, 3]);
  });

  it('keys a record by what identifies it, not by its value or unit: an lb -> kg switch is the same sample', () => {
    const weight = (unit: string, value: string) =>
      record({
        type: 'HKQuantityTypeIdentifierBodyMass',
        sourceName: 'Health',
        unit,
        value,
        start: '07:00:00',
        creationDate: '2026-03-02 07:00:05 +0000',
      });
    const a = collect([weight('lb', '141.2')]).measurements[0]!;
    const b = collect([weight('kg', '64.05')]).measurements[0]!;
    expect(a.vendorKey).toBe(b.vendorKey);
    // The same sample re-exported with another offset is the same instant, so the same key.
    const shifted = {
      ...weight('kg', '64.05'),
      startDate: '2026-03-02 08:00:00 +0100',
      endDate: '2026-03-02 08:00:00 +0100',
      creationDate: '2026-03-02 08:00:05 +0100',
    };
    expect(collect([shifted]).measurements[0]!.vendorKey).toBe(a.vendorKey);
  });

  it('keeps the highest sync version of one sync identifier', () => {
    const sample = (version: string, value: string) =>
      record({
        type: 'HKQuantityTypeIdentifierOxygenSaturation',
        unit: '%',
        value,
        start: '03:00:00',
        meta: { HKMetadataKeySyncIdentifier: 'abc', HKMetadataKeySyncVersion: version },
      });
    const result = collect([sample('2', '0.97'), sample('1', '0.93')]);
    expect(result.measurements.map((m) => m.value)).toEqual([97]);
  });

  it('puts a record on its local date: HKTimeZone first, else the person’s zone', () => {
    const late = (meta: Record<string, string>) =>
      collect([{ ...steps('watch', '23:30:00', '23:40:00', 100), meta }], 'Europe/Berlin').measurements[0]!;
    expect(late({}).localDate).toBe('2026-03-03'); // 00:30 in Berlin
    expect(late({ HKTimeZone: 'America/New_York' }).localDate).toBe('2026-03-02');
  });
});
