// The shape of a person's day before any minute is generated: whether the tracker is worn,
// and the night that ends on a date. Both are pure functions of (person, date, revision),
// so a day and its neighbour agree on the night that crosses midnight between them.

import { createRng, hashSeed, numericId } from '../lib/prng.ts';
import { addDays, localMinuteToInstant } from '../lib/time.ts';
import type { PersonProfile } from './model.ts';

export type DayKind = 'normal' | 'no-wear' | 'sick';
export type StageType = 'LIGHT' | 'DEEP' | 'REM' | 'AWAKE';

export interface Stage {
  start: number;
  end: number;
  type: StageType;
}

export interface Night {
  /** The local date the person wakes up on; the sleep belongs to this date. */
  date: string;
  id: string;
  start: number;
  end: number;
  worn: boolean;
  stages: Stage[];
}

/** Revision of a date: bumped when the admin API rewrites the day (a late device sync). */
export type RevisionOf = (date: string) => number;

export function dayKindOf(person: PersonProfile, date: string, revision: number): DayKind {
  const rng = createRng(hashSeed(person.seed, date, revision, 'kind'));
  const roll = rng.next();
  if (roll < 0.06) return 'no-wear';
  if (roll < 0.08) return 'sick';
  return 'normal';
}

const MINUTE = 60_000;

export function nightFor(person: PersonProfile, date: string, revisionOf: RevisionOf): Night {
  const rng = createRng(hashSeed(person.seed, date, revisionOf(date), 'night'));
  const previous = addDays(date, -1);
  // Bedtime between 21:00 and 01:30 on the previous local date, 4.5 to 9.5 hours of sleep.
  const bedMinute = Math.round(Math.min(1530, Math.max(1260, rng.normal(23 * 60 + 15, 40))));
  const minutes = Math.round(Math.min(570, Math.max(270, rng.normal(440, 45))));
  const start = localMinuteToInstant(person.timeZone, previous, bedMinute);
  const end = start + minutes * MINUTE;
  const worn =
    dayKindOf(person, date, revisionOf(date)) !== 'no-wear' &&
    dayKindOf(person, previous, revisionOf(previous)) !== 'no-wear' &&
    rng.chance(0.94);
  return { date, id: numericId(rng), start, end, worn, stages: buildStages(rng, start, end) };
}

function buildStages(rng: ReturnType<typeof createRng>, start: number, end: number): Stage[] {
  const stages: Stage[] = [];
  let t = start;
  let cycle = 0;
  const push = (type: StageType, minutes: number) => {
    const stageEnd = Math.min(end, t + Math.max(1, Math.round(minutes)) * MINUTE);
    if (stageEnd <= t) return;
    const last = stages[stages.length - 1];
    if (last && last.type === type) last.end = stageEnd;
    else stages.push({ start: t, end: stageEnd, type });
    t = stageEnd;
  };
  while (t < end) {
    const length = rng.int(80, 110);
    const early = cycle < 2;
    push('LIGHT', length * rng.float(0.3, 0.4));
    push('DEEP', length * (early ? rng.float(0.2, 0.3) : rng.float(0.03, 0.1)));
    push('LIGHT', length * rng.float(0.15, 0.25));
    push('REM', length * (early ? rng.float(0.08, 0.14) : rng.float(0.2, 0.3)));
    if (rng.chance(0.6)) push('AWAKE', rng.int(1, 6));
    cycle++;
  }
  return stages;
}

export function stageAt(night: Night, t: number): StageType | undefined {
  if (t < night.start || t >= night.end) return undefined;
  for (const stage of night.stages) {
    if (t >= stage.start && t < stage.end) return stage.type;
  }
  return undefined;
}
