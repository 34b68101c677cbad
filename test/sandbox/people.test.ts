// The synthetic people: deterministic, realistic shapes (DST, no-wear days, true zeros,
// nights across midnight), and cheap enough for 100 people x 30 days.

import { describe, expect, it } from 'vitest';
import { PeopleStore } from '../../src/sandbox/people/people.ts';

const now = () => new Date('2026-11-20T15:00:00Z');

function store(seed = 1) {
  return new PeopleStore({ now, seed, defaultDays: 30 });
}

describe('synthetic people', () => {
  it('the same seed gives the same person and the same data', () => {
    const a = store().create({ seed: 3, timeZone: 'Asia/Kolkata' });
    const b = store().create({ seed: 3, timeZone: 'Asia/Kolkata' });
    expect(a).toEqual(b);
    const sa = store();
    const sb = store();
    const pa = sa.create({ seed: 3 });
    const pb = sb.create({ seed: 3 });
    expect(sa.day(pa, '2026-11-10').points).toEqual(sb.day(pb, '2026-11-10').points);
    // Truth computed without points equals truth computed with them.
    expect(sa.truth(pa, '2026-11-12')).toEqual(sb.day(pb, '2026-11-12').truth);
  });

  it('a DST day in New York has 25 hours and both offsets', () => {
    const people = store();
    const person = people.create({ seed: 4, timeZone: 'America/New_York' });
    const day = people.day(person, '2026-11-01');
    expect((day.dayEnd - day.dayStart) / 3_600_000).toBe(25);
    const offsets = new Set((day.points.get('heart-rate') ?? []).map((p) => p.startOffset));
    expect([...offsets].sort((a, b) => a - b)).toEqual([-18000, -14400]);
    expect(day.truth['total-calories']).toBeCloseTo(
      (person.bmrKcal * 1500) / 1440 + (day.truth['active-energy-burned'] ?? 0),
      2,
    );
  });

  it('nights cross midnight and belong to the date the person wakes up', () => {
    const people = store();
    const person = people.create({ seed: 4, timeZone: 'Europe/Berlin' });
    const nights = people.dates(person).flatMap((d) => people.day(person, d).points.get('sleep') ?? []);
    expect(nights.length).toBeGreaterThan(20);
    const crossing = nights.filter(
      (n) =>
        new Date(n.start + n.startOffset * 1000).getUTCDate() !==
        new Date(n.end + n.endOffset * 1000).getUTCDate(),
    );
    expect(crossing.length).toBeGreaterThan(nights.length / 2);
  });

  it('has no-wear days and true zeros across a population', () => {
    const people = store(9);
    let noWear = 0;
    let zeroMinutes = 0;
    for (let i = 0; i < 10; i++) {
      const person = people.create({ timeZone: 'UTC' });
      for (const date of people.dates(person)) {
        const truth = people.truth(person, date);
        if (truth.wornMinutes === 0) noWear++;
      }
      zeroMinutes += (people.day(person, '2026-11-15').points.get('steps') ?? []).filter(
        (p) => p.value === 0,
      ).length;
    }
    expect(noWear).toBeGreaterThan(0);
    expect(zeroMinutes).toBeGreaterThan(0);
  });

  it('computes the ground truth of 100 people x 30 days', () => {
    const people = store(2);
    let days = 0;
    for (let i = 0; i < 100; i++) {
      const person = people.create({ timeZone: i % 2 ? 'America/Los_Angeles' : 'Australia/Sydney' });
      for (const date of people.dates(person)) {
        expect(people.truth(person, date)['total-calories']).toBeGreaterThan(0);
        days++;
      }
    }
    expect(days).toBe(3100);
  });
});
