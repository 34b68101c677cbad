// Health API v4 behaviour: filters and their errors, paging, rollups vs ground truth,
// rate limit, faults, legacy 410 (docs/google-health.md §3-§9, §12).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import type { FakeClock } from '../helpers/clock.ts';
import { api, connect, listPath, startTestSandbox } from './helpers.ts';

let sandbox: Sandbox;
let clock: FakeClock;
let personId: string;
let token: string;

beforeAll(async () => {
  ({ sandbox, clock } = await startTestSandbox());
  personId = sandbox.people.createPerson({ timeZone: 'America/New_York', seed: 7 }).id;
  ({ accessToken: token } = await connect(sandbox, personId));
});
afterAll(() => sandbox.close());

function civil(date: string) {
  const [year, month, day] = date.split('-').map(Number);
  return { date: { year, month, day } };
}

describe('filters', () => {
  it.each([
    [
      'steps',
      'steps.interval.start_time <= "2026-11-01T00:00:00Z"',
      'INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARATOR',
    ],
    [
      'steps',
      'steps.sample_time.physical_time >= "2026-11-01T00:00:00Z"',
      'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER',
    ],
    [
      'steps',
      'heart_rate.sample_time.physical_time >= "2026-11-01T00:00:00Z"',
      'INVALID_DATA_POINT_FILTER_DATA_TYPE_RESTRICTION',
    ],
    [
      'sleep',
      'sleep.interval.start_time >= "2026-11-01T00:00:00Z"',
      'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER',
    ],
    [
      'daily-resting-heart-rate',
      'daily_resting_heart_rate.date >= "2026-11-01T00:00:00"',
      'INVALID_DATA_POINT_FILTER_CIVIL_DATE_TIME_FORMAT',
    ],
    [
      'steps',
      'steps.interval.civil_start_time >= "2026-11-01T00:00:00Z"',
      'INVALID_DATA_POINT_FILTER_CIVIL_DATE_TIME_FORMAT',
    ],
    ['steps', 'steps.interval.start_time >= 2026', 'INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARABLE'],
    ['steps', 'steps.interval.start_time >=', 'INVALID_DATA_POINT_FILTER_UNEXPECTED_END_OF_INPUT'],
    [
      'steps',
      'steps.interval.start_time >= "2026-11-01T00:00:00Z" OR steps.interval.start_time < "2026-11-02T00:00:00Z"',
      'INVALID_DATA_POINT_FILTER_EXPRESSION_STRUCTURE',
    ],
  ])('%s: %s -> %s', async (type, filter, reason) => {
    const response = await api(sandbox, token, listPath(type, { filter }));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { status: 'INVALID_ARGUMENT', details: [{ reason }] } });
  });

  it('sleep accepts "Member \'sleep.start_time\' is not supported" wording and OR on end_time', async () => {
    const bad = await api(
      sandbox,
      token,
      listPath('sleep', { filter: 'sleep.interval.start_time >= "2026-11-01T00:00:00Z"' }),
    );
    expect((bad.body.error as { message: string }).message).toBe(
      "Member 'sleep.start_time' is not supported for filtering.",
    );
    const filter =
      'sleep.interval.end_time < "2026-11-05T00:00:00Z" OR sleep.interval.end_time >= "2026-11-18T00:00:00Z"';
    const ok = await api(sandbox, token, listPath('sleep', { filter }));
    expect(ok.status).toBe(200);
    const ends = (ok.body.dataPoints as { sleep: { interval: { endTime: string } } }[]).map(
      (p) => p.sleep.interval.endTime,
    );
    expect(ends.length).toBeGreaterThan(0);
    for (const end of ends) expect(end < '2026-11-05T00:00:00Z' || end >= '2026-11-18T00:00:00Z').toBe(true);
  });

  it('unknown type 400, percent-encoded colon 404, known type without data empty', async () => {
    expect((await api(sandbox, token, listPath('cardio-load'))).status).toBe(400);
    expect((await api(sandbox, token, '/v4/users/me/dataTypes/steps/dataPoints%3Areconcile')).status).toBe(
      404,
    );
    const floors = await api(sandbox, token, '/v4/users/me/dataTypes/altitude/dataPoints');
    expect(floors.body).toEqual({ dataPoints: [], nextPageToken: '' });
  });
});

describe('paging', () => {
  it('pages through a day newest first without gaps or repeats', async () => {
    const truth = sandbox.groundTruth(personId);
    const date = truth.dates[10] ?? '';
    const filter = `heart_rate.sample_time.civil_time >= "${date}" AND heart_rate.sample_time.civil_time < "${date}T23:59:59"`;
    const times: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const query: Record<string, string> = { filter, pageSize: '500', ...(pageToken ? { pageToken } : {}) };
      const response = await api(sandbox, token, listPath('heart-rate', query));
      expect(response.status).toBe(200);
      for (const p of response.body.dataPoints as { heartRate: { sampleTime: { physicalTime: string } } }[]) {
        times.push(p.heartRate.sampleTime.physicalTime);
      }
      pageToken = String(response.body.nextPageToken);
      pages++;
    } while (pageToken !== '');
    expect(pages).toBeGreaterThan(1);
    expect(times.length).toBe(truth.days[date]?.['heart-rate']?.count);
    expect(new Set(times).size).toBe(times.length);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('caps pageSize (10000, sleep 25) and rejects a token from another query', async () => {
    const big = await api(sandbox, token, listPath('heart-rate', { pageSize: '20000' }));
    expect((big.body.dataPoints as unknown[]).length).toBe(10_000);
    const sleep = await api(sandbox, token, listPath('sleep', { pageSize: '100' }));
    expect((sleep.body.dataPoints as unknown[]).length).toBeLessThanOrEqual(25);
    const other = await api(sandbox, token, listPath('steps', { pageToken: String(big.body.nextPageToken) }));
    expect(other.status).toBe(400);
  });
});

describe('rollups against ground truth', () => {
  it('dailyRollUp equals the daily truth; list of all sources would double count steps', async () => {
    const truth = sandbox.groundTruth(personId);
    const start = truth.dates[0] ?? '';
    const end = truth.dates[14] ?? '';
    for (const type of ['steps', 'distance', 'active-energy-burned', 'total-calories'] as const) {
      const body = { range: { start: civil(start), end: civil(end) }, windowSizeDays: 1 };
      const response = await api(sandbox, token, `/v4/users/me/dataTypes/${type}/dataPoints:dailyRollUp`, {
        body,
      });
      expect(response.status).toBe(200);
      const windows = response.body.rollupDataPoints as Record<string, Record<string, string | number>>[];
      expect(windows).toHaveLength(14);
      windows.forEach((window, i) => {
        const expected = truth.days[truth.dates[i] ?? '']?.[type];
        const field =
          type === 'steps'
            ? 'steps'
            : type === 'distance'
              ? 'distance'
              : type === 'total-calories'
                ? 'totalCalories'
                : 'activeEnergyBurned';
        const value = window[field];
        if (expected === undefined) expect(value).toBeUndefined();
        else expect(Number(Object.values(value ?? {})[0])).toBeCloseTo(expected, 2);
      });
    }
    const day = truth.dates[2] ?? '';
    const listed = await api(
      sandbox,
      token,
      listPath('steps', {
        filter: `steps.interval.civil_start_time >= "${day}" AND steps.interval.civil_start_time < "${truth.dates[3]}"`,
        pageSize: '10000',
      }),
    );
    const listSum = (listed.body.dataPoints as { steps: { count: string } }[]).reduce(
      (s, p) => s + Number(p.steps.count),
      0,
    );
    const reconciled = await api(
      sandbox,
      token,
      `${listPath('steps').replace('dataPoints', 'dataPoints:reconcile')}?filter=${encodeURIComponent(`steps.interval.civil_start_time >= "${day}" AND steps.interval.civil_start_time < "${truth.dates[3]}"`)}&pageSize=10000`,
    );
    const reconciledSum = (reconciled.body.dataPoints as { steps: { count: string } }[]).reduce(
      (s, p) => s + Number(p.steps.count),
      0,
    );
    expect(reconciledSum).toBe(truth.days[day]?.steps);
    expect(listSum).toBeGreaterThan(reconciledSum);
  });

  it('enforces the 14/90-day caps, windowSizeDays and the nested date; empty windows carry no value', async () => {
    const path = (type: string) => `/v4/users/me/dataTypes/${type}/dataPoints:dailyRollUp`;
    const range = (a: string, b: string) => ({ start: civil(a), end: civil(b) });
    expect(
      (
        await api(sandbox, token, path('heart-rate'), {
          body: { range: range('2026-11-01', '2026-11-16'), windowSizeDays: 1 },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api(sandbox, token, path('steps'), {
          body: { range: range('2026-08-01', '2026-11-01'), windowSizeDays: 1 },
        })
      ).status,
    ).toBe(400);
    expect(
      (await api(sandbox, token, path('steps'), { body: { range: range('2026-11-01', '2026-11-02') } }))
        .status,
    ).toBe(400);
    const bare = await api(sandbox, token, path('steps'), {
      body: {
        range: { start: { year: 2026, month: 11, day: 1 }, end: civil('2026-11-02') },
        windowSizeDays: 1,
      },
    });
    expect((bare.body.error as { message: string }).message).toContain('Unknown name "year"');
    const before = await api(sandbox, token, path('steps'), {
      body: { range: range('2026-09-01', '2026-09-03'), windowSizeDays: 1 },
    });
    expect(before.body.rollupDataPoints).toEqual([
      { civilStartTime: civil('2026-09-01'), civilEndTime: civil('2026-09-02') },
      { civilStartTime: civil('2026-09-02'), civilEndTime: civil('2026-09-03') },
    ]);
  });
});

describe('limits, faults and legacy', () => {
  it('answers 429 after 300 requests per user per minute, and again next minute', async () => {
    const person = sandbox.people.createPerson({ seed: 31 });
    const { accessToken } = await connect(sandbox, person.id);
    clock.set('2026-11-20T15:10:00Z');
    const statuses: number[] = [];
    for (let i = 0; i < 301; i++)
      statuses.push((await api(sandbox, accessToken, '/v4/users/me/identity')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    expect(statuses[300]).toBe(429);
    clock.advance(60_000);
    expect((await api(sandbox, accessToken, '/v4/users/me/identity')).status).toBe(200);
    clock.set('2026-11-20T15:00:00Z');
  });

  it('injects N errors, then recovers; counts requests per endpoint', async () => {
    sandbox.admin.resetRequestLog();
    sandbox.admin.injectFaults({ status: 503, count: 2, pathContains: 'dataTypes/weight' });
    const path = listPath('weight');
    expect((await api(sandbox, token, path)).status).toBe(503);
    expect((await api(sandbox, token, path)).status).toBe(503);
    expect((await api(sandbox, token, path)).status).toBe(200);
    expect(sandbox.admin.requestLog().byUser[personId]?.[`GET ${path}`]).toBe(3);
  });

  it('a timeout fault holds the request until the client gives up', async () => {
    sandbox.admin.injectFaults({ timeout: true, pathContains: 'identity' });
    const attempt = fetch(`${sandbox.url}/v4/users/me/identity`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(200),
    });
    await expect(attempt).rejects.toThrow();
  });

  it('legacy Fitbit Web API paths answer 410 Gone', async () => {
    for (const path of ['/1/user/-/activities/date/today.json', '/1.2/user/-/sleep/date/today.json']) {
      expect((await fetch(`${sandbox.url}${path}`)).status).toBe(410);
    }
    expect((await fetch(`${sandbox.url}/oauth2/token`, { method: 'POST' })).status).toBe(410);
  });
});
