// What Withings holds for a person right now, for tests to compare with what the connector stored:
// the groups, days and nights exactly as the API serves them, plus the measures flattened to real
// values (value × 10^unit) with whether a careful client keeps them.

import type { PersonProfile } from '../people/model.ts';
import { hfItems } from './data/sleep.ts';
import type { WithingsData } from './data/store.ts';
import type { ActivityRow, MeasureGroup, SleepSeries } from './withings.types.ts';

export interface WithingsMeasureTruth {
  grpid: number;
  type: number;
  position?: number;
  /** The real value, value × 10^unit computed in decimal: kg, %, mmHg, bpm, °C, m/s, years. */
  value: number;
  unit: number;
  date: number;
  created: number;
  modified: number;
  attrib: number;
  category: number;
  deviceid: string | null;
  /** Category 1 and not ambiguous (attrib 1) or set at account creation (attrib 4). */
  keep: boolean;
}

export interface WithingsGroundTruth {
  personId: string;
  userid: number;
  timeZone: string;
  fitbit: boolean;
  devices: { scale: boolean; bpCuff: boolean; sleepAnalyzer: boolean; watch: boolean };
  /** getmeas groups visible now (every category and attrib; deleted ones gone), newest first. */
  measureGroups: MeasureGroup[];
  measures: WithingsMeasureTruth[];
  /** getactivity rows visible now with every data field, oldest first (watch and phone rows). */
  activities: ActivityRow[];
  /** getsummary series visible now with every data field, newest first. */
  sleepSummaries: SleepSeries[];
  /** getintradayactivity series for [fromSec, toSec] (no 24 h cap here). */
  intraday(fromSec: number, toSec: number): Record<string, Record<string, unknown>>;
  /** Sleep `get` items for [fromSec, toSec) with hr, rr and snoring maps. */
  sleepStates(fromSec: number, toSec: number): Record<string, unknown>[];
}

/** value × 10^unit without binary rounding noise. */
export function realValue(value: number, unit: number): number {
  return Number(`${value}e${unit}`);
}

export function buildWithingsGroundTruth(data: WithingsData, person: PersonProfile): WithingsGroundTruth {
  const groups = data.measureGroups(person);
  const { scale, bpCuff, sleepAnalyzer, watch } = person.withings;
  return {
    personId: person.id,
    userid: person.withings.userid,
    timeZone: person.timeZone,
    fitbit: person.fitbit,
    devices: { scale, bpCuff, sleepAnalyzer, watch },
    measureGroups: structuredClone(groups),
    measures: groups.flatMap((g) =>
      g.measures.map((m) => ({
        grpid: g.grpid,
        type: m.type,
        ...(m.position !== undefined ? { position: m.position } : {}),
        value: realValue(m.value, m.unit),
        unit: m.unit,
        date: g.date,
        created: g.created,
        modified: g.modified,
        attrib: g.attrib,
        category: g.category,
        deviceid: g.deviceid,
        keep: g.category === 1 && g.attrib !== 1 && g.attrib !== 4,
      })),
    ),
    activities: data.activityRows(person),
    sleepSummaries: data.sleepSummaries(person),
    intraday: (fromSec, toSec) => data.intraday(person, fromSec * 1000, toSec * 1000 + 1, undefined),
    sleepStates: (fromSec, toSec) =>
      data
        .sessionsOverlapping(person, fromSec * 1000, toSec * 1000)
        .sort((a, b) => a.inBed - b.inBed)
        .flatMap((s) => hfItems(person, s, fromSec * 1000, toSec * 1000, new Set(['hr', 'rr', 'snoring']))),
  };
}
