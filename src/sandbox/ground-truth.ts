// What the vendor holds for a person, for tests to compare with what the backend stored.

import { findDataType, type SimulatedType } from './catalog.ts';
import { toDataPoint } from './health/serialize.ts';
import { localDateOf } from './lib/time.ts';
import type { DayTruth } from './people/model.ts';
import type { PeopleStore } from './people/people.ts';

export interface GroundTruth {
  personId: string;
  timeZone: string;
  /** First local date with data. */
  firstDate: string;
  /** Complete local dates (today, still in progress, is left out), oldest first. */
  dates: string[];
  /** Per local date, per data type id: the daily value the Fitbit app would show (see DayTruth). */
  days: Record<string, DayTruth>;
  /** The raw points of one type generated for a date, as list returns them (all sources). */
  points(type: SimulatedType, date: string): Record<string, unknown>[];
}

export function buildGroundTruth(people: PeopleStore, personId: string, nowMs: number): GroundTruth {
  const person = people.get(personId);
  if (!person) throw new Error(`Unknown person ${personId}`);
  const today = localDateOf(person.timeZone, nowMs);
  const dates = people.dates(person).filter((d) => d < today);
  const days: Record<string, DayTruth> = {};
  for (const date of dates) days[date] = people.truth(person, date);
  return {
    personId,
    timeZone: person.timeZone,
    firstDate: person.firstDate,
    dates,
    days,
    points(type, date) {
      const info = findDataType(type);
      if (!info) throw new Error(`Unknown data type ${type}`);
      const points = people.day(person, date).points.get(type) ?? [];
      return [...points].reverse().map((p) => toDataPoint(person, info, p));
    },
  };
}
