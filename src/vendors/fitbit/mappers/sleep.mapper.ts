/**
 * One Google Health API sleep session -> a `sleep` measurement (minutes asleep + minutes per stage).
 *
 *   mapSleep(sleep, dataPoint) -> Measurement
 *
 * Stage minutes come from `summary.stagesSummary` when present, else from the stage intervals
 * (the live CLASSIC sample has no stagesSummary). The session belongs to the local date it ends on.
 * The stage intervals themselves, in time order, become the night's `stages` (its hypnogram).
 */
import {
  CANONICAL_UNIT,
  localDateFor,
  type Measurement,
  type SleepStage,
  type SleepStageInterval,
} from '../../../fhir/measurement.ts';
import { toEpochMs, toLocalIso } from '../../../fhir/time.ts';
import type { DataPoint, SleepJson } from './google-health.types.ts';
import { int64, offsetFromDuration, toSource } from './parse.ts';

// NOTE: CLASSIC sleeps use ASLEEP/RESTLESS/AWAKE, STAGES sleeps LIGHT/DEEP/REM/AWAKE (google-health-api.md §11).
const STAGE: Readonly<Record<string, SleepStage>> = {
  AWAKE: 'awake',
  LIGHT: 'light',
  DEEP: 'deep',
  REM: 'rem',
  ASLEEP: 'asleep',
  RESTLESS: 'restless',
};

export function mapSleep(sleep: SleepJson, p: DataPoint): Measurement {
  const offset = offsetFromDuration(sleep.interval.startUtcOffset);
  const start = toLocalIso(toEpochMs(sleep.interval.startTime), offset);
  const end = toLocalIso(toEpochMs(sleep.interval.endTime), offset);
  const components = stageMinutes(sleep);
  const asleepFromStages = Object.entries(components)
    .filter(([stage]) => stage !== 'awake')
    .reduce((sum, [, minutes]) => sum + (minutes ?? 0), 0);
  const source = toSource(p.dataSource);
  const stages = stageSequence(sleep, offset);
  return {
    type: 'sleep',
    value: int64(sleep.summary?.minutesAsleep) ?? asleepFromStages,
    unit: CANONICAL_UNIT.sleep,
    components,
    ...(stages.length > 0 ? { stages } : {}),
    start,
    end,
    utcOffset: offset,
    localDate: localDateFor('sleep', start, end, offset),
    source,
    vendorKey: p.name ?? p.dataPointName ?? `sleep|${sleep.interval.endTime}|${source.deviceName ?? '-'}`,
    daily: false,
  };
}

function stageMinutes(sleep: SleepJson): Partial<Record<SleepStage, number>> {
  const out: Partial<Record<SleepStage, number>> = {};
  const summary = sleep.summary?.stagesSummary;
  if (summary && summary.length > 0) {
    for (const s of summary) {
      const stage = STAGE[s.type];
      const minutes = int64(s.minutes);
      if (stage && minutes !== undefined) out[stage] = (out[stage] ?? 0) + minutes;
    }
    return out;
  }
  for (const s of sleep.stages ?? []) {
    const stage = STAGE[s.type];
    if (!stage) continue;
    const minutes = (toEpochMs(s.endTime) - toEpochMs(s.startTime)) / 60_000;
    out[stage] = (out[stage] ?? 0) + minutes;
  }
  return out;
}

/** The stage intervals in time order, in the session's offset; unknown stage types are left out. */
function stageSequence(sleep: SleepJson, offset: string): SleepStageInterval[] {
  const out: { stage: SleepStage; from: number; to: number }[] = [];
  for (const s of sleep.stages ?? []) {
    const stage = STAGE[s.type];
    if (!stage) continue;
    const from = toEpochMs(s.startTime);
    const to = toEpochMs(s.endTime);
    if (to > from) out.push({ stage, from, to });
  }
  out.sort((a, b) => a.from - b.from);
  return out.map((s) => ({
    stage: s.stage,
    start: toLocalIso(s.from, offset),
    end: toLocalIso(s.to, offset),
  }));
}
