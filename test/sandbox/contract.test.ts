// Contract tests: sandbox responses hold the shape of the real and schema-derived samples
// in test/fixtures/google-health-samples (its README gives each file's provenance).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import {
  api,
  authorizeCode,
  CLIENT,
  connect,
  exchangeCode,
  listPath,
  postForm,
  SCOPES,
  startTestSandbox,
} from './helpers.ts';
import { loadSample, shapeDiff } from './shape.ts';

// Fields the sandbox sends that a given sample happens not to show (each is in another sample or DISC).
const DEVICE_EXTRAS = ['formFactor', 'manufacturer', 'application', 'nextPageToken'];
// NOTE: proto3 JSON omits zero civil time fields, so any of them may be absent (docs/google-health.md §0.2).
const CIVIL = ['time', 'hours', 'minutes', 'seconds', 'nanos'];

let sandbox: Sandbox;
let token: string;
let personId: string;

beforeAll(async () => {
  ({ sandbox } = await startTestSandbox({ refreshTokenTtlDays: 7 }));
  // A person with a scale and a phone, so every source appears.
  const person = sandbox.people.createPerson({
    timeZone: 'America/New_York',
    seed: 7,
  });
  expect(person.scale && person.phone).toBeTruthy();
  personId = person.id;
  ({ accessToken: token } = await connect(sandbox, personId));
});
afterAll(() => sandbox.close());

async function firstPoints(type: string, pageSize = '2'): Promise<Record<string, unknown>> {
  const response = await api(sandbox, token, listPath(type, { pageSize }));
  expect(response.status).toBe(200);
  return response.body;
}

describe('list responses match the samples', () => {
  it.each([
    ['steps', 'schema-derived-list-steps.json', []],
    ['weight', 'schema-derived-list-weight.json', ['nextPageToken']],
    ['oxygen-saturation', 'schema-derived-list-oxygen-saturation.json', ['nextPageToken']],
    ['daily-resting-heart-rate', 'schema-derived-list-daily-resting-heart-rate.json', ['nextPageToken']],
    ['daily-oxygen-saturation', 'schema-derived-list-daily-oxygen-saturation.json', ['nextPageToken']],
    ['sleep', 'schema-derived-list-sleep-stages.json', ['nextPageToken']],
    ['heart-rate', 'list-heart-rate-live-thirdparty.json', DEVICE_EXTRAS],
  ])('%s matches %s', async (type, sample, optional) => {
    const body = await firstPoints(type, type === 'steps' ? '2' : '1');
    expect(shapeDiff(loadSample(sample), body, { optional: [...optional, ...CIVIL] })).toEqual([]);
  });

  it('sleep matches the live CLASSIC sample apart from the STAGES-only fields', async () => {
    const body = await firstPoints('sleep', '1');
    const stagesOnly = [
      'device',
      'nap',
      'stagesStatus',
      'stagesSummary',
      'createTime',
      'updateTime',
      'nextPageToken',
    ];
    expect(shapeDiff(loadSample('list-sleep-live-thirdparty.json'), body, { optional: stagesOnly })).toEqual(
      [],
    );
  });

  it('daily resting heart rate matches the live data point', async () => {
    const body = await firstPoints('daily-resting-heart-rate', '1');
    const point = (body.dataPoints as unknown[])[0];
    const sample = loadSample('datapoint-daily-resting-heart-rate-live-thirdparty.json');
    expect(shapeDiff(sample, point, { optional: ['dailyRestingHeartRateMetadata'] })).toEqual([]);
  });

  it('reconcile matches the reconcile sample (no dataSource)', async () => {
    const response = await api(
      sandbox,
      token,
      '/v4/users/me/dataTypes/steps/dataPoints:reconcile?pageSize=1',
    );
    const sample = loadSample('schema-derived-reconcile-response-steps.json');
    expect(shapeDiff(sample, response.body, { optional: ['nextPageToken', ...CIVIL] })).toEqual([]);
  });

  it('identity matches', async () => {
    const response = await api(sandbox, token, '/v4/users/me/identity');
    expect(
      shapeDiff(loadSample('identity-response-thirdparty.json'), response.body, {
        optional: ['legacyUserId'],
      }),
    ).toEqual([]);
  });
});

describe('rollups match the samples', () => {
  it('dailyRollUp of steps', async () => {
    const request = loadSample('schema-derived-daily-rollup-request-steps.json') as Record<string, unknown>;
    const truth = sandbox.groundTruth(personId);
    const date = truth.dates[3] ?? '';
    const [y, m, d] = date.split('-').map(Number);
    const next = truth.dates[5] ?? '';
    const [y2, m2, d2] = next.split('-').map(Number);
    const body = {
      ...request,
      range: {
        start: { date: { year: y, month: m, day: d } },
        end: { date: { year: y2, month: m2, day: d2 } },
      },
    };
    const response = await api(sandbox, token, '/v4/users/me/dataTypes/steps/dataPoints:dailyRollUp', {
      body,
    });
    expect(response.status).toBe(200);
    expect(shapeDiff(loadSample('schema-derived-daily-rollup-response-steps.json'), response.body)).toEqual(
      [],
    );
  });

  it('rollUp of heart rate, with the documented request body', async () => {
    const body = {
      range: { startTime: '2026-11-10T00:00:00Z', endTime: '2026-11-10T03:00:00Z' },
      windowSize: '3600s',
    };
    const response = await api(sandbox, token, '/v4/users/me/dataTypes/heart-rate/dataPoints:rollUp', {
      body,
    });
    expect(response.status).toBe(200);
    const windows = response.body.rollupDataPoints as Record<string, unknown>[];
    const withData = { rollupDataPoints: windows.filter((w) => 'heartRate' in w) };
    expect(withData.rollupDataPoints.length).toBeGreaterThan(0);
    expect(shapeDiff(loadSample('schema-derived-rollup-response-heart-rate.json'), withData)).toEqual([]);
    expect(shapeDiff(loadSample('rollup-request-endpoints-page.json'), body)).toEqual([]);
  });
});

describe('OAuth responses match the samples', () => {
  it('code exchange in testing mode and refresh', async () => {
    // prompt=consent: a second consent only yields a refresh token when forced (docs/google-health.md §2).
    const { code } = await authorizeCode(sandbox, { login_hint: personId, prompt: 'consent' });
    const exchanged = await exchangeCode(sandbox, code);
    expect(shapeDiff(loadSample('oauth-token-response-codelab.json'), exchanged.body)).toEqual([]);
    const refreshed = await postForm(`${sandbox.url}/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(exchanged.body.refresh_token),
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    const sample = loadSample('schema-derived-oauth-refresh-response.json');
    expect(shapeDiff(sample, refreshed.body, { optional: ['refresh_token_expires_in'] })).toEqual([]);
  });

  it('invalid_grant', async () => {
    const response = await exchangeCode(sandbox, 'not-a-code');
    expect(response.status).toBe(400);
    expect(shapeDiff(loadSample('oauth-token-error-invalid-grant.json'), response.body)).toEqual([]);
  });
});

describe('errors match the samples', () => {
  it('401 missing credentials', async () => {
    const response = await api(sandbox, undefined, listPath('steps'));
    expect(response.status).toBe(401);
    expect(response.body).toEqual(loadSample('error-401-unauthenticated.json'));
  });

  it('403 insufficient scope', async () => {
    const { accessToken } = await connect(sandbox, personId, [SCOPES.sleep]);
    const response = await api(sandbox, accessToken, listPath('steps'));
    expect(response.status).toBe(403);
    expect(response.body).toEqual(loadSample('error-403-access-token-scope-insufficient.json'));
  });

  it('400 list not supported', async () => {
    const response = await api(sandbox, token, listPath('total-calories'));
    expect(response.status).toBe(400);
    expect(response.body).toEqual(loadSample('schema-derived-error-400-list-not-supported.json'));
  });

  it('400 account not linked and 429 resource exhausted', async () => {
    const other = sandbox.people.createPerson({ seed: 99 });
    const { accessToken } = await connect(sandbox, other.id);
    sandbox.admin.markNotLinked(other.id);
    const notLinked = await api(sandbox, accessToken, listPath('steps'));
    expect(notLinked.status).toBe(400);
    expect(notLinked.body).toEqual(loadSample('error-400-account-not-linked.json'));
    sandbox.admin.injectFaults({ status: 429, personId: other.id });
    const limited = await api(sandbox, accessToken, listPath('steps'));
    expect(limited.status).toBe(429);
    expect(shapeDiff(loadSample('error-429-resource-exhausted.json'), limited.body)).toEqual([]);
  });
});
