/**
 * A night's stage sequence (hypnogram) <-> the SampledData of the sleep Observation's
 * `sleep-stage-sequence` component (docs/fhir.md "Sleep stages over the night").
 *
 *   encodeStages(stages, start)         -> { period, data } | undefined (origin time = effective start)
 *   decodeStages(start, end, period, data) -> SleepStageInterval[]   (the inverse, runs merged)
 *   stageSequenceComponentOf(obs)       -> the Observation's stage-sequence component, if any
 *
 * Each epoch of `period` ms from the effective start holds one stage number: its index in
 * SLEEP_STAGES (0 awake, 1 light, 2 deep, 3 rem, 4 asleep, 5 restless); 'E' where no stage is
 * known. The period is 60 s when every stage boundary falls on a whole minute from the start (what
 * the vendors send), else 30 s (the scoring epoch of sleep studies); a boundary off that grid is
 * read at the epoch's middle, so it moves by less than half an epoch.
 */
import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import { SLEEP_STAGE_SEQUENCE_CODE } from './codes.ts';
import { SLEEP_STAGES, type SleepStage, type SleepStageInterval } from './measurement.ts';
import { toEpochMs, toLocalIso } from './time.ts';

/** Two days of 30-second epochs: far beyond any night; a longer sequence is not stored. */
export const MAX_STAGE_EPOCHS = 5_760;

const STAGE_NUMBER: ReadonlyMap<SleepStage, number> = new Map(SLEEP_STAGES.map((s, i) => [s, i]));

export function encodeStages(
  stages: readonly SleepStageInterval[],
  start: string,
): { period: number; data: string } | undefined {
  const t0 = toEpochMs(start);
  const spans: { from: number; to: number; n: number }[] = [];
  let last = t0;
  for (const s of stages) {
    const from = Math.max(toEpochMs(s.start), t0);
    const to = toEpochMs(s.end);
    const n = STAGE_NUMBER.get(s.stage);
    if (n === undefined || !(to > from)) continue;
    spans.push({ from, to, n });
    if (to > last) last = to;
  }
  if (spans.length === 0) return undefined;
  const period = spans.every((s) => (s.from - t0) % 60_000 === 0 && (s.to - t0) % 60_000 === 0)
    ? 60_000
    : 30_000;
  const count = Math.ceil((last - t0) / period);
  if (count > MAX_STAGE_EPOCHS) return undefined;
  const epochs: (number | undefined)[] = new Array(count);
  for (const s of spans) {
    // Epochs whose middle lies in [from, to).
    const first = Math.max(0, Math.ceil((s.from - t0) / period - 0.5));
    const end = Math.min(count, Math.ceil((s.to - t0) / period - 0.5));
    for (let i = first; i < end; i++) epochs[i] = s.n;
  }
  let data = '';
  for (let i = 0; i < count; i++) data += `${i === 0 ? '' : ' '}${epochs[i] ?? 'E'}`;
  return { period, data };
}

/** Inverse of encodeStages: consecutive equal epochs merged; times in `start`'s offset, none past `end`. */
export function decodeStages(start: string, end: string, period: number, data: string): SleepStageInterval[] {
  if (!(period > 0)) return [];
  const t0 = toEpochMs(start);
  const endMs = toEpochMs(end);
  const offset = offsetOf(start);
  const out: SleepStageInterval[] = [];
  const tokens = data.split(' ');
  let run: { stage: SleepStage; from: number; to: number } | undefined;
  const flush = () => {
    if (run)
      out.push({ stage: run.stage, start: toLocalIso(run.from, offset), end: toLocalIso(run.to, offset) });
    run = undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const from = t0 + i * period;
    if (from >= endMs) break;
    const to = Math.min(from + period, endMs);
    const token = tokens[i]!;
    const stage = /^\d+$/.test(token) ? SLEEP_STAGES[Number(token)] : undefined;
    if (!stage) {
      flush();
      continue;
    }
    if (run && run.stage === stage) run.to = to;
    else {
      flush();
      run = { stage, from, to };
    }
  }
  flush();
  return out;
}

/** The component holding a night's stage sequence. */
export function stageSequenceComponentOf(obs: Observation): ObservationComponent | undefined {
  return obs.component?.find((c) => isStageSequence(c));
}

export function isStageSequence(c: ObservationComponent): boolean {
  const coding = c.code.coding?.[0];
  return (
    coding?.system === SLEEP_STAGE_SEQUENCE_CODE.system && coding.code === SLEEP_STAGE_SEQUENCE_CODE.code
  );
}

/** The offset written at the end of a local RFC 3339 time ('Z' reads as '+00:00'). */
function offsetOf(localTime: string): string {
  const tail = localTime.slice(-6);
  return /^[+-]\d{2}:\d{2}$/.test(tail) ? tail : '+00:00';
}
