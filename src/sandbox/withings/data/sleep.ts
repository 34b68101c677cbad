// Sleep as the Sleep Analyzer (under the mattress) or the watch records it: the night the person
// wakes up from on a date (the same night the Fitbit side simulates), now and then an afternoon nap
// that shares the date, summaries that Withings re-processes later, and the high-frequency series.

import { createRng, hashSeed } from '../../lib/prng.ts';
import { daysBetween, localDateOf, localMinuteToInstant } from '../../lib/time.ts';
import type { PersonProfile } from '../../people/model.ts';
import { nightFor, type Stage, type StageType } from '../../people/plan.ts';
import { deviceOf, SLEEP_MODEL } from '../devices.ts';
import type { SleepSeries } from '../withings.types.ts';

const MINUTE = 60_000;

export interface SleepSession {
  id: number;
  device: 'sleepAnalyzer' | 'watch';
  kind: 'night' | 'nap';
  inBed: number;
  outOfBed: number;
  /** From falling asleep to the final wake-up (AWAKE stages are wake after sleep onset). */
  stages: Stage[];
  /** Epoch seconds the summary arrived. */
  created: number;
  /** Epoch seconds Withings re-processed it (the served data changes from then). */
  revisedAt?: number;
}

/** The fields getsummary returns when the call names no data_fields. */
export const DEFAULT_SUMMARY_FIELDS = [
  'wakeupduration',
  'wakeupcount',
  'durationtosleep',
  'remsleepduration',
  'durationtowakeup',
  'total_timeinbed',
  'total_sleep_time',
  'sleep_efficiency',
  'sleep_latency',
  'wakeup_latency',
  'waso',
  'nb_rem_episodes',
  'out_of_bed_count',
  'lightsleepduration',
  'deepsleepduration',
];

const STATE: Record<StageType, number> = { AWAKE: 0, LIGHT: 1, DEEP: 2, REM: 3 };
const STAGE_HR: Record<number, number> = { 0: 6, 1: -2, 2: -5, 3: 2 };

function sessionId(person: PersonProfile, date: string, index: number): number {
  return 2_000_000_000 + daysBetween('1970-01-01', date) * 50_000 + (person.withings.userid % 500) * 100 + index;
}

export function sessionsOf(person: PersonProfile, date: string): SleepSession[] {
  const rng = createRng(hashSeed(person.seed, date, 'withings-sleep'));
  const sessions: SleepSession[] = [];
  const arrive = (outOfBed: number) => {
    const created = Math.floor(outOfBed / 1000) + rng.int(5, 40) * 60;
    // NOTE: summaries change after the fact (modified later than created) (docs/withings.md, The sandbox emulator).
    const revisedAt = rng.chance(0.25) ? created + rng.int(3600, 2 * 86_400) : undefined;
    return revisedAt === undefined ? { created } : { created, revisedAt };
  };
  const night = nightFor(person, date, () => 0);
  const atHome = rng.chance(0.92);
  const nightDevice =
    person.withings.sleepAnalyzer && atHome ? 'sleepAnalyzer' : person.withings.watch && night.worn ? 'watch' : undefined;
  if (nightDevice) {
    const inBed = night.start - rng.int(5, 25) * MINUTE;
    const outOfBed = night.end + rng.int(2, 15) * MINUTE;
    sessions.push({
      id: sessionId(person, date, 0),
      device: nightDevice,
      kind: 'night',
      inBed,
      outOfBed,
      stages: night.stages,
      ...arrive(outOfBed),
    });
  }
  const napDevice = person.withings.sleepAnalyzer ? 'sleepAnalyzer' : person.withings.watch ? 'watch' : undefined;
  if (napDevice && rng.chance(0.08)) {
    const start = localMinuteToInstant(person.timeZone, date, rng.int(13 * 60 + 30, 16 * 60 + 30));
    const minutes = rng.int(20, 80);
    const deep = minutes > 40 ? rng.int(5, 12) : 0;
    const firstLight = Math.round((minutes - deep) * 0.6);
    const stages: Stage[] = [{ start, end: start + firstLight * MINUTE, type: 'LIGHT' }];
    if (deep) stages.push({ start: start + firstLight * MINUTE, end: start + (firstLight + deep) * MINUTE, type: 'DEEP' });
    stages.push({ start: start + (firstLight + deep) * MINUTE, end: start + minutes * MINUTE, type: 'LIGHT' });
    const inBed = start - rng.int(3, 10) * MINUTE;
    const outOfBed = start + minutes * MINUTE + rng.int(1, 5) * MINUTE;
    sessions.push({ id: sessionId(person, date, 1), device: napDevice, kind: 'nap', inBed, outOfBed, stages, ...arrive(outOfBed) });
  }
  return sessions;
}

/** Every data field of the summary as served at `nowSec` (before or after Withings re-processed it). */
export function summaryOf(person: PersonProfile, session: SleepSession, nowSec: number): SleepSeries {
  const revised = session.revisedAt !== undefined && session.revisedAt <= nowSec;
  const rng = createRng(hashSeed(person.seed, session.id, 'withings-summary'));
  const seconds: Record<StageType, number> = { LIGHT: 0, DEEP: 0, REM: 0, AWAKE: 0 };
  const counts: Record<StageType, number> = { LIGHT: 0, DEEP: 0, REM: 0, AWAKE: 0 };
  for (const stage of session.stages) {
    seconds[stage.type] += Math.round((stage.end - stage.start) / 1000);
    counts[stage.type]++;
  }
  const asleepFrom = session.stages[0]?.start ?? session.inBed;
  const asleepTo = session.stages[session.stages.length - 1]?.end ?? session.outOfBed;
  const latency = Math.round((asleepFrom - session.inBed) / 1000);
  const wakeupLatency = Math.round((session.outOfBed - asleepTo) / 1000);
  const total = seconds.LIGHT + seconds.DEEP + seconds.REM;
  const inBed = Math.round((session.outOfBed - session.inBed) / 1000);
  const efficiency = Math.round((total / inBed) * 100) / 100;
  const hrAverage = person.restingHr + rng.int(-1, 3) + (revised ? 1 : 0);
  const breaths = Math.round(person.breathsPerMinute);
  const disturbances = rng.int(0, 20);
  const snoring = rng.chance(0.4) ? rng.int(60, 1800) : 0;
  const scoreBase = 40 + 50 * Math.min(1, total / 28_800) * efficiency + rng.int(-5, 5);
  const score = Math.max(10, Math.min(100, Math.round(scoreBase) + (revised ? rng.int(1, 3) : 0)));
  const data: Record<string, number | null> = {
    wakeupduration: latency + wakeupLatency + seconds.AWAKE,
    wakeupcount: counts.AWAKE,
    durationtosleep: latency,
    remsleepduration: seconds.REM,
    durationtowakeup: wakeupLatency,
    total_timeinbed: inBed,
    total_sleep_time: total,
    sleep_efficiency: efficiency,
    sleep_latency: latency,
    wakeup_latency: wakeupLatency,
    waso: seconds.AWAKE,
    nb_rem_episodes: counts.REM,
    out_of_bed_count: rng.chance(0.15) ? 1 : 0,
    lightsleepduration: seconds.LIGHT,
    deepsleepduration: seconds.DEEP,
    hr_average: hrAverage,
    hr_min: person.restingHr - rng.int(4, 8),
    hr_max: person.restingHr + rng.int(12, 30),
    sleep_score: score,
  };
  if (session.device === 'sleepAnalyzer') {
    Object.assign(data, {
      rr_average: breaths,
      rr_min: breaths - rng.int(2, 4),
      rr_max: breaths + rng.int(3, 6),
      breathing_disturbances_intensity: disturbances,
      snoring,
      snoringepisodecount: Math.round(snoring / 60),
      apnea_hypopnea_index: disturbances,
    });
  }
  const device = deviceOf(person, session.device);
  const enddate = Math.floor(session.outOfBed / 1000);
  return {
    id: session.id,
    timezone: person.timeZone,
    model: SLEEP_MODEL[session.device],
    model_id: device?.modelId ?? 0,
    hash_deviceid: device?.deviceid ?? null,
    startdate: Math.floor(session.inBed / 1000),
    enddate,
    // NOTE: `date` is the local date of enddate, the wake-up day (docs/withings.md, The sandbox emulator).
    date: localDateOf(person.timeZone, enddate * 1000),
    data,
    created: session.created,
    modified: revised ? (session.revisedAt ?? session.created) : session.created,
  };
}

/** Sleep `get` items of a session overlapping [fromMs, toMs): one per state, with per-minute maps. */
export function hfItems(
  person: PersonProfile,
  session: SleepSession,
  fromMs: number,
  toMs: number,
  fields: Set<string> | undefined,
): Record<string, unknown>[] {
  const device = deviceOf(person, session.device);
  const first = session.stages[0]?.start ?? session.inBed;
  const last = session.stages[session.stages.length - 1]?.end ?? session.outOfBed;
  const segments = [
    { start: session.inBed, end: first, state: 0 },
    ...session.stages.map((s) => ({ start: s.start, end: s.end, state: STATE[s.type] })),
    { start: last, end: session.outOfBed, state: 0 },
  ];
  const items: Record<string, unknown>[] = [];
  for (const segment of segments) {
    const start = Math.max(segment.start, fromMs);
    const end = Math.min(segment.end, toMs);
    if (end <= start) continue;
    const item: Record<string, unknown> = {
      startdate: Math.floor(start / 1000),
      state: segment.state,
      enddate: Math.floor(end / 1000),
      model: device?.model ?? '',
    };
    const maps: Record<string, Record<string, number>> = {};
    const wanted = ['hr', ...(session.device === 'sleepAnalyzer' ? ['rr', 'snoring'] : [])].filter((f) =>
      fields?.has(f),
    );
    for (const name of wanted) maps[name] = {};
    for (let t = Math.floor(start / 1000); t < end / 1000; t += 60) {
      const rng = createRng(hashSeed(person.seed, t, 'withings-hf'));
      const values: Record<string, number> = {
        hr: person.restingHr + (STAGE_HR[segment.state] ?? 0) + rng.int(-2, 2),
        rr: Math.round(person.breathsPerMinute) + rng.int(-1, 1),
        snoring: rng.chance(0.05) ? 1 : 0,
      };
      for (const name of wanted) (maps[name] as Record<string, number>)[String(t)] = values[name] ?? 0;
    }
    Object.assign(item, maps, { hash_deviceid: device?.deviceid ?? null, model_id: device?.modelId ?? 0 });
    items.push(item);
  }
  return items;
}
