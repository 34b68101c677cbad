// Withings data: getmeas (units, attribs, several groups per weigh-in, paging with an integer
// `more`, lastupdate on `modified`, late arrivals, deletions), getactivity, intraday, sleep, user
// actions, shapes against Withings' samples, and consistency with the person's Fitbit data.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MeasureGroup, Sandbox } from '../../src/sandbox/index.ts';
import type { FakeClock } from '../helpers/clock.ts';
import { shapeDiff } from './shape.ts';
import {
  call,
  connectWithings,
  type Envelope,
  loadWithingsSample,
  startWithingsSandbox,
} from './withings-helpers.ts';

let sandbox: Sandbox;
let clock: FakeClock;
let personId: string;
let token: string;

beforeEach(async () => {
  ({ sandbox, clock } = await startWithingsSandbox());
  // Seed 8: a Fitbit with its scale, a phone, and a Withings watch.
  personId = sandbox.people.createPerson({
    seed: 8,
    timeZone: 'Europe/Berlin',
    withings: { watch: true },
  }).id;
  ({ accessToken: token } = await connectWithings(sandbox, personId));
});
afterEach(() => sandbox.close());

const getmeas = (params: Record<string, string> = {}) =>
  call(sandbox, '/measure', { action: 'getmeas', ...params }, token);
const groupsOf = (answer: Envelope) => answer.body.measuregrps as MeasureGroup[];
const nowSec = () => Math.floor(clock.now().getTime() / 1000);

describe('getmeas', () => {
  it('has the shape of Withings answers, with a top-level timezone and the server time', async () => {
    const answer = await getmeas({ category: '1', meastypes: '9,10,11,1' });
    expect(answer.status).toBe(0);
    const sample = loadWithingsSample('getmeas-paginated.schema.json');
    const nullable = ['deviceid', 'hash_deviceid', 'modelid', 'model'];
    expect(shapeDiff(sample, answer, { optional: ['more', 'offset', 'algo', 'fm'], nullable })).toEqual([]);
    expect(answer.body.timezone).toBe('Europe/Berlin');
    expect(answer.body.updatetime).toBe(nowSec());
    // Unpaged answers carry no more/offset, as Withings' own sample.
    expect(answer.body).not.toHaveProperty('more');
  });

  it('a Body Cardio weigh-in is three groups at one date: composition (0), pulse (0), PWV + vascular age (8)', async () => {
    const groups = groupsOf(await getmeas({ category: '1' })).filter(
      (g) => g.model === 'Body Cardio' && g.attrib !== 1,
    );
    const byDate = new Map<number, MeasureGroup[]>();
    for (const group of groups) byDate.set(group.date, [...(byDate.get(group.date) ?? []), group]);
    expect(byDate.size).toBeGreaterThan(10);
    for (const weighIn of byDate.values()) {
      const shapes = weighIn
        .map(
          (g) =>
            `${g.attrib}:${g.measures
              .map((m) => m.type)
              .sort((a, b) => a - b)
              .join(',')}`,
        )
        .sort();
      expect(shapes).toEqual(['0:1,5,6,8,76,77,88', '0:11', '8:91,155']);
      expect(new Set(weighIn.map((g) => g.grpid)).size).toBe(3);
    }
  });

  it('units vary per record and value × 10^unit stays consistent', async () => {
    const groups = groupsOf(await getmeas({ category: '1' }));
    const weightUnits = new Set(
      groups.flatMap((g) => g.measures.filter((m) => m.type === 1).map((m) => m.unit)),
    );
    expect([...weightUnits].sort()).toEqual(expect.arrayContaining([-3, -2]));
    const bpUnits = new Set(
      groups.flatMap((g) => g.measures.filter((m) => m.type === 10).map((m) => m.unit)),
    );
    expect([...bpUnits].sort()).toEqual([-2, 0]);
    const real = (g: MeasureGroup, type: number) => {
      const m = g.measures.find((x) => x.type === type);
      return m ? m.value * 10 ** m.unit : Number.NaN;
    };
    for (const group of groups.filter((g) => g.measures.length === 7)) {
      expect(real(group, 5) + real(group, 8)).toBeCloseTo(real(group, 1), 1);
      expect((real(group, 8) / real(group, 1)) * 100).toBeCloseTo(real(group, 6), 0);
    }
    for (const group of groups.filter((g) => g.measures.some((m) => m.type === 10))) {
      expect(real(group, 10)).toBeGreaterThan(real(group, 9));
      expect(real(group, 10)).toBeGreaterThan(80);
      expect(real(group, 10)).toBeLessThan(200);
    }
  });

  it('the Withings weight is close to, never equal to, the Fitbit weight of the same morning', async () => {
    const truth = sandbox.groundTruth(personId);
    const withings = sandbox.withings.groundTruth(personId);
    let compared = 0;
    for (const m of withings.measures.filter((x) => x.type === 1 && x.attrib === 0)) {
      const date = new Date((m.date + 3600) * 1000).toISOString().slice(0, 10);
      const fitbitGrams = truth.days[date]?.weight;
      if (fitbitGrams === undefined) continue;
      compared++;
      expect(Math.abs(m.value - fitbitGrams / 1000)).toBeLessThan(1);
      expect(m.value).not.toBe(fitbitGrams / 1000);
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('manual entries have attrib 2 and no device; ambiguous (1), cuff auto (5), temperature and SpO2 show up', async () => {
    const seen = new Set<string>();
    for (let seed = 100; seed < 106; seed++) {
      const other = sandbox.people.createPerson({ seed, withings: { watch: true } });
      for (const g of sandbox.withings.groundTruth(other.id).measureGroups) {
        seen.add(`attrib:${g.attrib}`);
        for (const m of g.measures) seen.add(`type:${m.type}`);
        if (g.attrib === 2) {
          expect(g.deviceid).toBeNull();
          expect(g.model).toBeNull();
        } else expect(g.deviceid).toMatch(/^[0-9a-f]{40}$/);
      }
    }
    for (const key of [
      'attrib:0',
      'attrib:1',
      'attrib:2',
      'attrib:5',
      'attrib:8',
      'type:4',
      'type:54',
      'type:71',
    ])
      expect(seen).toContain(key);
  });

  it('filters by meastype(s), category and date; bad parameters answer 503 Invalid Params', async () => {
    const all = groupsOf(await getmeas());
    expect(all.some((g) => g.category === 2)).toBe(true);
    const weights = groupsOf(await getmeas({ meastype: '1', category: '1' }));
    expect(weights.every((g) => g.category === 1 && g.measures.every((m) => m.type === 1))).toBe(true);
    const bp = groupsOf(await getmeas({ meastypes: '9,10' }));
    expect(bp.length).toBeGreaterThan(0);
    expect(bp.every((g) => g.measures.length === 2)).toBe(true);
    const start = nowSec() - 7 * 86_400;
    const recent = groupsOf(await getmeas({ startdate: String(start), enddate: String(nowSec()) }));
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((g) => g.date >= start)).toBe(true);
    const bads: Record<string, string>[] = [
      { meastypes: 'abc' },
      { category: '3' },
      { startdate: 'yesterday' },
      { offset: '-1' },
    ];
    for (const bad of bads) {
      expect(await getmeas(bad)).toEqual({
        status: 503,
        body: {},
        error: expect.stringMatching(/^Invalid Params/),
      });
    }
  });

  it('pages with an integer `more` and the next offset', async () => {
    await sandbox.close();
    ({ sandbox, clock } = await startWithingsSandbox({ withings: { pageSize: 7 } }));
    personId = sandbox.people.createPerson({ seed: 8 }).id;
    ({ accessToken: token } = await connectWithings(sandbox, personId));
    const seen: number[] = [];
    let offset = 0;
    for (let pages = 0; pages < 100; pages++) {
      const answer = await getmeas({ category: '1', offset: String(offset) });
      seen.push(...groupsOf(answer).map((g) => g.grpid));
      expect(answer.body.more === 0 || answer.body.more === 1).toBe(true);
      if (answer.body.more === 0) break;
      offset = Number(answer.body.offset);
    }
    const expected = sandbox.withings
      .groundTruth(personId)
      .measureGroups.filter((g) => g.category === 1)
      .map((g) => g.grpid);
    expect(seen).toEqual(expected);
    expect(seen.length).toBeGreaterThan(14);
  });

  it('lastupdate returns what changed since (on `modified`), and late arrivals appear as time passes', async () => {
    const first = await getmeas({ lastupdate: '0' });
    const cursor = Number(first.body.updatetime);
    expect(groupsOf(await getmeas({ lastupdate: String(cursor + 1) }))).toEqual([]);
    const people = [
      personId,
      ...[300, 301, 302, 303, 304, 305].map((seed) => sandbox.people.createPerson({ seed }).id),
    ];
    const before = new Map(
      people.map((id) => [id, new Set(sandbox.withings.groundTruth(id).measureGroups.map((g) => g.grpid))]),
    );
    // Three weeks later, groups dated before the cursor have arrived (a scale offline, a late manual entry).
    clock.advance(21 * 86_400_000);
    let lateSeen = 0;
    for (const id of people) {
      const late = sandbox.withings
        .groundTruth(id)
        .measureGroups.filter((g) => g.date < cursor - 86_400 && !before.get(id)?.has(g.grpid));
      if (late.length === 0) continue;
      expect(late.every((g) => g.created - g.date > 86_400 && g.modified >= cursor)).toBe(true);
      const { accessToken } = await connectWithings(sandbox, id);
      const answer = await call(
        sandbox,
        '/measure',
        { action: 'getmeas', lastupdate: String(cursor) },
        accessToken,
      );
      const changed = groupsOf(answer);
      expect(changed.every((g) => g.modified >= cursor)).toBe(true);
      expect(changed.map((g) => g.grpid)).toEqual(expect.arrayContaining(late.map((g) => g.grpid)));
      lateSeen += late.length;
    }
    expect(lateSeen).toBeGreaterThan(0);
  });

  it('an edit bumps modified; a deletion removes the group from every query', async () => {
    const groups = groupsOf(await getmeas({ category: '1', meastype: '1' }));
    const target = groups[3] as MeasureGroup;
    clock.advance(60_000);
    const edited = await sandbox.withings.admin.editMeasureGroup(personId, target.grpid, {
      measures: [{ value: 7000, type: 1, unit: -2 }],
    });
    expect(edited.modified).toBe(nowSec());
    const changed = groupsOf(await getmeas({ lastupdate: String(nowSec()) }));
    expect(changed.map((g) => g.grpid)).toEqual([target.grpid]);
    await sandbox.withings.admin.deleteMeasureGroup(personId, target.grpid);
    const queries: Record<string, string>[] = [
      {},
      { lastupdate: '0' },
      { startdate: String(target.date), enddate: String(target.date) },
    ];
    for (const params of queries) {
      expect(groupsOf(await getmeas(params)).some((g) => g.grpid === target.grpid)).toBe(false);
    }
    expect(sandbox.withings.groundTruth(personId).measureGroups.some((g) => g.grpid === target.grpid)).toBe(
      false,
    );
    const added = await sandbox.withings.admin.addMeasureGroup(personId, {
      date: nowSec() - 60,
      measures: [
        { value: 12100, type: 10, unit: -2 },
        { value: 79, type: 9, unit: 0 },
      ],
    });
    expect(added).toMatchObject({ attrib: 0, model: 'BPM Connect', modelid: 45 });
    expect(groupsOf(await getmeas({ meastypes: '10' }))[0]?.grpid).toBe(added.grpid);
  });
});

describe('getactivity and intraday', () => {
  it('watch rows: local dates, timezone, boolean more, data_fields filtering, shapes', async () => {
    const answer = await call(
      sandbox,
      '/v2/measure',
      { action: 'getactivity', startdateymd: '2026-11-10', enddateymd: '2026-11-19' },
      token,
    );
    expect(answer.status).toBe(0);
    const rows = answer.body.activities as Record<string, unknown>[];
    expect(rows.map((r) => r.date)).toEqual(expect.arrayContaining(['2026-11-10', '2026-11-19']));
    expect(rows.every((r) => r.timezone === 'Europe/Berlin')).toBe(true);
    expect(answer.body.more).toBe(false);
    const watchRow = rows.find((r) => r.is_tracker === true);
    expect(watchRow).toMatchObject({ brand: 1, model: 'ScanWatch', modelid: 93 });
    const sample = loadWithingsSample('getactivity-googlefit.aiowithings.json');
    const hr = ['hr_average', 'hr_min', 'hr_max', 'hr_zone_0', 'hr_zone_1', 'hr_zone_2', 'hr_zone_3'];
    expect(shapeDiff(sample, answer, { optional: hr, nullable: ['deviceid', 'hash_deviceid'] })).toEqual([]);
    const filtered = await call(
      sandbox,
      '/v2/measure',
      {
        action: 'getactivity',
        startdateymd: '2026-11-12',
        enddateymd: '2026-11-12',
        data_fields: 'steps,hr_average',
      },
      token,
    );
    const row = (filtered.body.activities as Record<string, unknown>[])[0] ?? {};
    expect(Object.keys(row).sort()).toEqual(
      [
        'brand',
        'date',
        'deviceid',
        'hash_deviceid',
        'hr_average',
        'is_tracker',
        'model',
        'modelid',
        'modified',
        'steps',
        'timezone',
      ].sort(),
    );
  });

  it('refuses startdateymd with lastupdate, and a missing window', async () => {
    const windows: Record<string, string>[] = [
      { startdateymd: '2026-11-01', enddateymd: '2026-11-02', lastupdate: '1' },
      {},
      { startdateymd: '2026-13-01', enddateymd: '2026-11-02' },
    ];
    for (const params of windows) {
      const answer = await call(sandbox, '/v2/measure', { action: 'getactivity', ...params }, token);
      expect(answer.status).toBe(503);
      expect(answer.error).toMatch(/^Invalid Params/);
    }
  });

  it('phone-only people get brand 18 rows without a device, hr or intraday', async () => {
    const phone = sandbox.people.createPerson({ seed: 1, withings: { watch: false } });
    const { accessToken } = await connectWithings(sandbox, phone.id);
    const answer = await call(
      sandbox,
      '/v2/measure',
      { action: 'getactivity', lastupdate: '0' },
      accessToken,
    );
    const rows = answer.body.activities as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      expect(row).toMatchObject({ brand: 18, is_tracker: false, deviceid: null, modelid: 1055 });
      expect(row).not.toHaveProperty('hr_average');
    }
    const intraday = await call(sandbox, '/v2/measure', { action: 'getintradayactivity' }, accessToken);
    expect(intraday).toEqual({ status: 0, body: { series: [] } });
  });

  it('intraday minutes add up to the day; series keyed by epoch strings; 24 h at most', async () => {
    const day = sandbox.withings
      .groundTruth(personId)
      .activities.find((r) => r.date === '2026-11-15' && r.is_tracker);
    const start = Date.parse('2026-11-14T23:00:00Z') / 1000;
    const answer = await call(
      sandbox,
      '/v2/measure',
      { action: 'getintradayactivity', startdate: String(start), enddate: String(start + 3 * 86_400) },
      token,
    );
    const series = answer.body.series as Record<string, { steps?: number; model_id: number }>;
    const keys = Object.keys(series);
    expect(keys.every((k) => /^\d+$/.test(k))).toBe(true);
    expect(Math.max(...keys.map(Number))).toBeLessThan(start + 86_400);
    const steps = Object.values(series).reduce((sum, entry) => sum + (entry.steps ?? 0), 0);
    expect(steps).toBe(day?.steps);
    expect(
      shapeDiff(loadWithingsSample('getintradayactivity.schema.json'), answer, {
        maps: ['series'],
        optional: ['steps', 'elevation', 'calories', 'distance', 'duration', 'heart_rate', 'spo2_auto'],
      }),
    ).toEqual([]);
  });

  it('the Withings watch counts close to the Fitbit steps of the same day', () => {
    const fitbit = sandbox.groundTruth(personId).days;
    const gaps: number[] = [];
    for (const row of sandbox.withings.groundTruth(personId).activities.filter((r) => r.is_tracker)) {
      const steps = fitbit[row.date]?.steps;
      if (steps) gaps.push(Math.abs(row.steps - steps) / steps);
    }
    expect(gaps.length).toBeGreaterThan(20);
    // Its own calibration (a few %), plus the walks the phone counted while the wrist was bare.
    expect(gaps.filter((g) => g < 0.06).length / gaps.length).toBeGreaterThan(0.8);
    expect(gaps.filter((g) => g === 0)).toEqual([]);
  });
});

describe('sleep', () => {
  it('getsummary: date is the local date of enddate, default fields without data_fields, shapes', async () => {
    const plain = await call(sandbox, '/v2/sleep', { action: 'getsummary', lastupdate: '0' }, token);
    const defaults = loadWithingsSample('getsummary-no-data-fields-excerpt.aiowithings.json');
    expect(shapeDiff(defaults, plain)).toEqual([]);
    const series = plain.body.series as { enddate: number; date: string; timezone: string }[];
    for (const s of series) {
      const local = new Intl.DateTimeFormat('en-CA', { timeZone: s.timezone }).format(
        new Date(s.enddate * 1000),
      );
      expect(s.date).toBe(local);
    }
    const fields =
      'wakeupduration,wakeupcount,durationtosleep,remsleepduration,durationtowakeup,total_sleep_time,sleep_efficiency,sleep_latency,wakeup_latency,waso,nb_rem_episodes,out_of_bed_count,lightsleepduration,deepsleepduration,hr_average,hr_min,hr_max,rr_average,rr_min,rr_max,breathing_disturbances_intensity,snoring,snoringepisodecount,sleep_score,apnea_hypopnea_index';
    const full = await call(
      sandbox,
      '/v2/sleep',
      { action: 'getsummary', startdateymd: '2026-11-01', enddateymd: '2026-11-20', data_fields: fields },
      token,
    );
    const analyzer = (full.body.series as { model: number }[]).filter((s) => s.model === 32);
    expect(
      shapeDiff(loadWithingsSample('getsummary-excerpt.aiowithings.json'), {
        ...full,
        body: { ...full.body, series: analyzer },
      }),
    ).toEqual([]);
  });

  it('durations add up, efficiency is a 0-1 ratio, naps share a date, summaries are re-processed later', () => {
    const nights: { date: string; data: Record<string, number | null>; modified: number; created: number }[] =
      [];
    for (let seed = 200; seed < 206; seed++)
      nights.push(...sandbox.withings.groundTruth(sandbox.people.createPerson({ seed }).id).sleepSummaries);
    for (const { data } of nights) {
      const d = data as Record<string, number>;
      expect(d.total_sleep_time).toBe(
        (d.lightsleepduration ?? 0) + (d.deepsleepduration ?? 0) + (d.remsleepduration ?? 0),
      );
      expect(d.total_timeinbed).toBe((d.total_sleep_time ?? 0) + (d.wakeupduration ?? 0));
      expect(d.sleep_efficiency).toBeGreaterThan(0);
      expect(d.sleep_efficiency).toBeLessThanOrEqual(1);
    }
    const dates = nights.map((n) => n.date);
    expect(new Set(dates).size).toBeLessThan(dates.length);
    expect(nights.some((n) => n.modified > n.created)).toBe(true);
  });

  it('sleep get: a series array with states and hr/rr maps keyed by epoch strings', async () => {
    const night = sandbox.withings.groundTruth(personId).sleepSummaries.find((s) => s.model === 32);
    const params = { action: 'get', startdate: String(night?.startdate), enddate: String(night?.enddate) };
    const states = await call(sandbox, '/v2/sleep', params, token);
    const items = states.body.series as Record<string, unknown>[];
    expect(items.length).toBeGreaterThan(3);
    expect(items.every((i) => !('hr' in i) && [0, 1, 2, 3].includes(Number(i.state)))).toBe(true);
    const withMaps = await call(sandbox, '/v2/sleep', { ...params, data_fields: 'hr,rr,snoring' }, token);
    const maps = ['hr', 'rr', 'snoring'];
    expect(shapeDiff(loadWithingsSample('sleep-get-excerpt.aiowithings.json'), withMaps, { maps })).toEqual(
      [],
    );
    expect((await call(sandbox, '/v2/sleep', { action: 'get' }, token)).status).toBe(503);
  });
});

describe('user', () => {
  it('getdevice lists the devices with their time zone; getgoals answers goals or []', async () => {
    const devices = await call(sandbox, '/v2/user', { action: 'getdevice' }, token);
    const nullable = ['first_session_date', 'last_session_date'];
    expect(shapeDiff(loadWithingsSample('getdevice.aiowithings.json'), devices, { nullable })).toEqual([]);
    const list = devices.body.devices as { model: string; timezone: string }[];
    expect(list.map((d) => d.model)).toEqual(['Body Cardio', 'BPM Connect', 'Aura Sensor V2', 'ScanWatch']);
    expect(list.every((d) => d.timezone === 'Europe/Berlin')).toBe(true);
    const goals = await call(sandbox, '/v2/user', { action: 'getgoals' }, token);
    expect(shapeDiff(loadWithingsSample('getgoals.aiowithings.json'), goals)).toEqual([]);
    const without = sandbox.people.createPerson({ seed: 2, withings: { goals: false } });
    const { accessToken } = await connectWithings(sandbox, without.id);
    expect(await call(sandbox, '/v2/user', { action: 'getgoals' }, accessToken)).toEqual(
      loadWithingsSample('getgoals-empty.aiowithings.json'),
    );
  });
});
