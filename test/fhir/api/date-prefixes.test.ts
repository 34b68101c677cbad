import type { Bundle, Observation } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../../helpers/app.ts';
import { makeObservation, patientIdOf } from '../store/seed.ts';

// Targets as ranges by precision (R4 search.html), the search value 2024-01-02 = [01-02, 01-03) UTC:
//   D   daily 2024-01-02 (utc-offset +00:00)     [01-02T00:00, 01-03T00:00)
//   P10 2024-01-02T10:00:00Z                      [10:00:00, 10:00:01)
//   N3  2024-01-03T00:00:00Z                      [01-03T00:00:00, +1 s)
//   X   period 2024-01-01T22:00:00Z..02:00:00Z    [01-01T22:00, 01-02T02:00:01)
//   E1  2024-01-01T12:00:00Z                      [01-01T12:00, +1 s)
const TARGETS = {
  D: { effectiveDateTime: '2024-01-02', offset: '+00:00' },
  P10: { effectiveDateTime: '2024-01-02T10:00:00Z' },
  N3: { effectiveDateTime: '2024-01-03T00:00:00Z' },
  X: { effectivePeriod: { start: '2024-01-01T22:00:00Z', end: '2024-01-02T02:00:00Z' } },
  E1: { effectiveDateTime: '2024-01-01T12:00:00Z' },
} as const;

const TABLE: [string, string[]][] = [
  ['2024-01-02', ['D', 'P10']],
  ['eq2024-01-02', ['D', 'P10']],
  ['ne2024-01-02', ['E1', 'N3', 'X']],
  ['gt2024-01-02', ['N3']],
  ['lt2024-01-02', ['E1', 'X']],
  ['ge2024-01-02', ['D', 'N3', 'P10']],
  ['le2024-01-02', ['D', 'E1', 'P10', 'X']],
  ['sa2024-01-02', ['N3']],
  ['eb2024-01-02', ['E1']],
  // now = 2024-01-02T12:00Z: widened by 10% of 12 h on each side.
  ['ap2024-01-02', ['D', 'N3', 'P10', 'X']],
  ['2024-01-02T10:00:00Z', ['P10']],
  ['2024-01-02T10:00:00+05:30', []],
  ['2024-01', ['D', 'E1', 'N3', 'P10', 'X']],
  // X ends after 01:00:01, so the range above the value overlaps it.
  ['ge2024-01-02T01:00:00Z', ['D', 'N3', 'P10', 'X']],
  ['eq2024-01-02,eq2024-01-03', ['D', 'N3', 'P10']],
];

let t: TestApp;
let auth: { authorization: string };
const names = new Map<string, string>();

beforeAll(async () => {
  t = await createTestApp({ clock: { now: () => new Date('2024-01-02T12:00:00Z') } });
  const u = await registerUser(t.app);
  auth = u.auth;
  const patientId = await patientIdOf(t.app, u.auth);
  const obs = Object.entries(TARGETS).map(([key, eff]) => {
    const o = makeObservation(patientId, { key, ...eff });
    names.set(o.id!, key);
    return o;
  });
  await t.deps.fhir.store.upsertResources({ userId: u.id }, obs);
});
afterAll(async () => t?.close());

async function search(query: string): Promise<string[]> {
  const res = await t.app.inject({ url: `/fhir/R4/Observation?${query}`, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  const bundle = res.json() as Bundle<Observation>;
  return (bundle.entry ?? []).map((e) => names.get(e.resource!.id!)!).sort();
}

describe('date prefixes against effective[x] ranges', () => {
  it.each(TABLE)('date=%s', async (value, expected) => {
    expect(await search(`date=${encodeURIComponent(value)}`)).toEqual(expected);
  });

  it('ANDs repeated date parameters', async () => {
    expect(await search('date=ge2024-01-02&date=lt2024-01-03')).toEqual(['D', 'P10']);
  });

  it('filters _lastUpdated as an instant', async () => {
    expect(await search('_lastUpdated=2024-01-02')).toHaveLength(5);
    expect(await search('_lastUpdated=gt2024-01-02')).toEqual([]);
  });
});
