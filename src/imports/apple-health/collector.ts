/**
 * The records of one export, gathered and turned into measurements (pure: no I/O, no clock).
 *
 *   const c = createCollector({ zone, spill })  // the person's IANA zone: local days when a record has no HKTimeZone;
 *                                               // spill: where heart-rate and activity records wait (default: memory)
 *   c.add(raw)                                  // per <Record>, in file order
 *   c.finish()                                  -> { measurements, recordsRead, byType, skipped }
 *
 * Memory: heart-rate samples and step, distance and energy records (most of an export) are not
 * kept: they go to the spill (spill.ts; files under the import's work directory), partitioned by
 * the local month of their start, the local date the daily merge uses. The merge and the heart-rate
 * windows then run one month at a time; a month's merge also sees the records of the months before
 * and after it that overlap it (a record crossing midnight at a month's end).
 *
 * What becomes what (docs/apple-health.md "What maps to what"):
 * - point samples (weight, body fat, SpO2, HRV SDNN, ...) -> one measurement each, keyed by
 *   HKMetadataKeySyncIdentifier (highest HKMetadataKeySyncVersion wins) or by the record's natural
 *   key (type, source, start, end, creation date); value and unit are not in the key;
 * - resting heart rate, wrist temperature deviation -> one per local day, the highest-priority source;
 * - heart rate -> hourly windows per device (as the Google Health sync writes them);
 * - steps, distance, active + basal energy -> daily totals, merged across sources (dedup.ts);
 * - sleep stages -> sessions per source (stage minutes, and the stage records in order as the
 *   session's `stages`); per night the highest-priority source's sessions;
 * - blood pressure: systolic and diastolic records of the same source and time -> one reading
 *   (the copies inside a Correlation have the same key, so they pair once).
 */
import { createHash } from 'node:crypto';
import { groupHeartRateSamples, type RawHeartRateSample } from '../../fhir/heart-rate-window.ts';
import {
  CANONICAL_UNIT,
  type Measurement,
  type MeasurementSource,
  type MeasurementType,
  type SleepStage,
  type SleepStageInterval,
} from '../../fhir/measurement.ts';
import { formatOffset, toLocalIso } from '../../fhir/time.ts';
import { isValidZone, offsetAt } from '../../fhir/zones.ts';
import { parseAppleDate } from './dates.ts';
import { mergeBySource } from './dedup.ts';
import { type ActivityKind, mapRecord, type RawRecord, recordTimes, type SkipReason } from './records.ts';
import { parseDevice, sourceRank } from './sources.ts';
import { memorySpill, type Spill } from './spill.ts';

export const VENDOR = 'apple_health';

interface SourceEntry {
  index: number;
  key: string;
  rank: number;
  source: MeasurementSource;
  hasDevice: boolean;
}

interface PointEntry {
  m: Measurement;
  rank: number;
  syncVersion: number;
}

interface SleepSegment {
  startMs: number;
  endMs: number;
  stage: SleepStage | 'in_bed';
  source: number;
  zone: number;
}

export interface CollectorResult {
  measurements: Measurement[];
  recordsRead: number;
  /** Records mapped, per our measurement type. */
  byType: Record<string, number>;
  skipped: Record<string, number>;
}

const HOUR_MS = 3_600_000;
const ACTIVITY_KINDS: readonly ActivityKind[] = ['steps', 'distance', 'active_energy', 'basal_energy'];
/** Two sleep records of one source less than this apart belong to the same session. */
const SLEEP_GAP_MS = 60 * 60_000;

/** Spilled rows: heart rate [at, value, source, zone]; activity [kind, startMs, endMs, value, source, zone]. */
const HR_WIDTH = 4;
const ACT_WIDTH = 6;

export function createCollector(options: { zone: string; spill?: Spill }) {
  const spill = options.spill ?? memorySpill();
  const sources = new Map<string, SourceEntry>();
  const sourceList: SourceEntry[] = [];
  const zones: string[] = [options.zone];
  const zoneIndex = new Map<string, number>([[options.zone, 0]]);
  const offsets = new Map<number, string>();
  const points = new Map<string, PointEntry>();
  // Small per-month state, for the progress estimate: the daily totals a month gives, its heart-rate hours.
  const hrMonths = new Map<string, { hours: number }>();
  const actMonths = new Map<string, Set<string>>();
  const lastHourOf = new Map<number, number>();
  const sleep: SleepSegment[] = [];
  const pressure = new Map<
    string,
    { systolic?: number; diastolic?: number; startMs: number; endMs: number; source: number; zone: number }
  >();
  const byType: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  let recordsRead = 0;

  const skip = (reason: SkipReason, n = 1) => {
    skipped[reason] = (skipped[reason] ?? 0) + n;
  };
  const count = (type: string) => {
    byType[type] = (byType[type] ?? 0) + 1;
  };

  /**
   * A source is its `sourceName` (and whether the person typed the value in): the device string is
   * on some of its records only. Its rank and manufacturer come from the first record that has one.
   */
  function sourceOf(raw: RawRecord): SourceEntry {
    const userEntered = raw.meta.HKWasUserEntered === '1';
    const key = `${raw.sourceName}\u001f${userEntered ? 'u' : ''}`;
    let entry = sources.get(key);
    if (!entry) {
      const name = raw.sourceName || 'Apple Health';
      const source: MeasurementSource = {
        vendor: VENDOR,
        deviceId: name,
        deviceName: name,
        platform: 'APPLE_HEALTH',
        ...(userEntered ? { userEntered: true, recordingMethod: 'MANUAL' } : {}),
      };
      const rank = sourceRank({ userEntered, sourceName: raw.sourceName });
      entry = { index: sourceList.length, key, rank, source, hasDevice: false };
      sources.set(key, entry);
      sourceList.push(entry);
    }
    if (!entry.hasDevice && raw.device) {
      const device = parseDevice(raw.device);
      entry.hasDevice = true;
      entry.rank = sourceRank({ userEntered, sourceName: raw.sourceName, ...device });
      if (device.manufacturer && !userEntered) entry.source.manufacturer = device.manufacturer;
    }
    return entry;
  }

  function zoneOf(raw: RawRecord): number {
    const tz = raw.meta.HKTimeZone;
    if (!tz) return 0;
    let i = zoneIndex.get(tz);
    if (i === undefined) {
      i = isValidZone(tz) ? zones.length : 0;
      if (i > 0) zones.push(tz);
      zoneIndex.set(tz, i);
    }
    return i;
  }

  /** The UTC offset in force at `ms` in zone number `zone`, '+01:00' (cached per zone and hour). */
  function offsetOf(zone: number, ms: number): string {
    const key = zone * 1e8 + Math.floor(ms / HOUR_MS);
    let offset = offsets.get(key);
    if (offset === undefined) {
      offset = formatOffset(offsetAt(zones[zone]!, ms));
      if (offsets.size > 200_000) offsets.clear();
      offsets.set(key, offset);
    }
    return offset;
  }

  function add(raw: RawRecord): void {
    recordsRead++;
    const mapped = mapRecord(raw);
    if (mapped.kind === 'skip') {
      skip(mapped.reason);
      return;
    }
    const times = recordTimes(raw);
    if (!times) {
      skip('invalid_date');
      return;
    }
    const src = sourceOf(raw);
    const zone = zoneOf(raw);
    switch (mapped.kind) {
      case 'heart_rate': {
        count('heart_rate');
        const month = toLocalIso(times.startMs, offsetOf(zone, times.startMs)).slice(0, 7);
        let state = hrMonths.get(month);
        if (!state) {
          state = { hours: 0 };
          hrMonths.set(month, state);
        }
        // Samples come mostly in time order per source: a change of hour is about a new window.
        const hour = Math.floor(times.startMs / HOUR_MS);
        if (lastHourOf.get(src.index) !== hour) {
          lastHourOf.set(src.index, hour);
          state.hours++;
        }
        spill.append(`hr:${month}`, [times.startMs, mapped.value, src.index, zone]);
        return;
      }
      case 'activity': {
        const field = mapped.activity.endsWith('energy') ? 'calories' : mapped.activity;
        count(field);
        const date = toLocalIso(times.startMs, offsetOf(zone, times.startMs)).slice(0, 10);
        const month = date.slice(0, 7);
        let days = actMonths.get(month);
        if (!days) {
          days = new Set();
          actMonths.set(month, days);
        }
        days.add(`${field}|${date}`);
        spill.append(`act:${month}`, [
          ACTIVITY_KINDS.indexOf(mapped.activity),
          times.startMs,
          times.endMs,
          mapped.value,
          src.index,
          zone,
        ]);
        return;
      }
      case 'sleep':
        count('sleep');
        sleep.push({
          startMs: times.startMs,
          endMs: times.endMs,
          stage: mapped.stage,
          source: src.index,
          zone,
        });
        return;
      case 'blood_pressure': {
        count('blood_pressure');
        const key = `${src.index}|${times.startMs}|${times.endMs}`;
        const entry = pressure.get(key) ?? {
          startMs: times.startMs,
          endMs: times.endMs,
          source: src.index,
          zone,
        };
        entry[mapped.part] = mapped.value;
        pressure.set(key, entry);
        return;
      }
      case 'point': {
        count(mapped.type);
        const offset = offsetOf(zone, times.startMs);
        const localDate = toLocalIso(times.startMs, offset).slice(0, 10);
        const syncId = raw.meta.HKMetadataKeySyncIdentifier;
        const syncVersion = Number(raw.meta.HKMetadataKeySyncVersion ?? 0) || 0;
        const vendorKey = mapped.daily
          ? `${mapped.type}|${localDate}`
          : `${mapped.type}|${naturalKey(raw.type, src.key, syncId, times.startMs, times.endMs, parseAppleDate(raw.creationDate))}`;
        const m: Measurement = {
          type: mapped.type,
          value: mapped.value,
          unit: unitOf(mapped.type),
          start: mapped.daily ? localDayStart(localDate, offset) : toLocalIso(times.startMs, offset),
          end: mapped.daily ? localDayStart(localDate, offset) : toLocalIso(times.endMs, offset),
          utcOffset: offset,
          localDate,
          source: src.source,
          vendorKey,
          daily: mapped.daily,
        };
        const previous = points.get(vendorKey);
        // Daily values: the higher-priority source; the same sample again: the higher sync version.
        const wins =
          !previous ||
          (mapped.daily
            ? src.rank < previous.rank || (src.rank === previous.rank && m.start >= previous.m.start)
            : syncVersion >= previous.syncVersion);
        if (wins) points.set(vendorKey, { m, rank: src.rank, syncVersion });
        return;
      }
    }
  }

  function finish(): CollectorResult {
    const { batches, ...rest } = finishInBatches();
    const measurements: Measurement[] = [];
    for (const batch of batches(10_000)) measurements.push(...batch);
    return { measurements, ...rest };
  }

  /**
   * The same measurements in batches of about `size`, made as they are taken: the heart-rate
   * windows (most of an export) never all exist at once. `total` estimates how many there are
   * (for progress); skipped counts are final once the batches are done.
   */
  function finishInBatches() {
    spill.close();
    const others: Measurement[] = [...points.values()].map((p) => p.m);
    points.clear();
    others.push(...sleepSessions(), ...bloodPressure());
    let total = others.length;
    for (const days of actMonths.values()) total += days.size;
    for (const { hours } of hrMonths.values()) total += hours;
    const months = [...new Set([...actMonths.keys(), ...hrMonths.keys()])].sort();
    const actList = [...actMonths.keys()].sort();
    function* batches(size: number): Generator<Measurement[]> {
      for (let i = 0; i < others.length; i += size) yield others.slice(i, i + size);
      // The activity of the month before, this one and the one after: read once each, as the window slides.
      let prev: Float64Array | undefined;
      let cur: Float64Array | undefined;
      let next: Float64Array | undefined;
      let at = -1;
      for (const month of months) {
        if (actMonths.has(month)) {
          const i = actList.indexOf(month);
          if (i === at + 1 && next) {
            prev = cur;
            cur = next;
          } else {
            prev = i > 0 ? spill.read(`act:${actList[i - 1]}`) : undefined;
            cur = spill.read(`act:${month}`);
          }
          next = i + 1 < actList.length ? spill.read(`act:${actList[i + 1]}`) : undefined;
          at = i;
          const daily = dailyTotals(cur, [prev, next]);
          for (let k = 0; k < daily.length; k += size) yield daily.slice(k, k + size);
        }
        if (hrMonths.has(month)) yield* heartRateWindows(spill.read(`hr:${month}`), size);
      }
    }
    return { total, batches, recordsRead, byType, skipped };
  }

  /**
   * One month's daily totals, merged as the Health app merges them. `around` (the months before and
   * after) only covers: the records of theirs that overlap this month's count in their own month.
   */
  function dailyTotals(rows: Float64Array, around: (Float64Array | undefined)[]): Measurement[] {
    const totals = new Map<
      string,
      { steps: number; distance: number; calories: number; offset: string; seen: Set<string> }
    >();
    const homeRows = rows.length / ACT_WIDTH;
    let minStart = Number.POSITIVE_INFINITY;
    let maxEnd = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < homeRows; r++) {
      minStart = Math.min(minStart, rows[r * ACT_WIDTH + 1]!);
      maxEnd = Math.max(maxEnd, rows[r * ACT_WIDTH + 2]!);
    }
    for (let k = 0; k < ACTIVITY_KINDS.length; k++) {
      const kind = ACTIVITY_KINDS[k]!;
      const startMs: number[] = [];
      const endMs: number[] = [];
      const value: number[] = [];
      const source: number[] = [];
      const zone: number[] = [];
      const take = (data: Float64Array, context: boolean) => {
        for (let o = 0; o < data.length; o += ACT_WIDTH) {
          if (data[o] !== k) continue;
          const s = data[o + 1]!;
          const e = data[o + 2]!;
          if (context && (e < minStart || s > maxEnd)) continue;
          startMs.push(s);
          endMs.push(e);
          value.push(data[o + 3]!);
          source.push(data[o + 4]!);
          zone.push(data[o + 5]!);
        }
      };
      take(rows, false);
      const n = startMs.length; // this month's own records come first
      if (n === 0) continue;
      for (const data of around) if (data) take(data, true);
      const counted = mergeBySource(
        { startMs, endMs, value, source },
        startMs.length,
        (s) => sourceList[s]!.rank,
      );
      const field = kind === 'steps' ? 'steps' : kind === 'distance' ? 'distance' : 'calories';
      for (let i = 0; i < n; i++) {
        const offset = offsetOf(zone[i]!, startMs[i]!);
        const date = toLocalIso(startMs[i]!, offset).slice(0, 10);
        let day = totals.get(date);
        if (!day) {
          day = { steps: 0, distance: 0, calories: 0, offset, seen: new Set() };
          totals.set(date, day);
        }
        day[field] += counted[i]!;
        day.seen.add(field);
      }
    }
    const source = dailySource();
    const out: Measurement[] = [];
    for (const [date, day] of totals) {
      const start = localDayStart(date, day.offset);
      for (const type of ['steps', 'distance', 'calories'] as const) {
        if (!day.seen.has(type)) continue;
        const value = type === 'steps' ? Math.round(day.steps) : Math.round(day[type] * 10) / 10;
        out.push({
          type,
          value,
          unit: unitOf(type),
          start,
          end: start,
          utcOffset: day.offset,
          localDate: date,
          source,
          vendorKey: `${type}|${date}`,
          daily: true,
        });
      }
    }
    return out;
  }

  /** A day's merged total comes from several devices: it names none. */
  function dailySource(): MeasurementSource {
    return { vendor: VENDOR, recordingMethod: 'DERIVED', platform: 'APPLE_HEALTH' };
  }

  /** One month's heart-rate windows (a window is a local hour: always inside one local month). */
  function* heartRateWindows(rows: Float64Array, size: number): Generator<Measurement[]> {
    const n = rows.length / HR_WIDTH;
    if (n === 0) return;
    const at = new Float64Array(n);
    const value = new Float64Array(n);
    const source = new Float64Array(n);
    const zone = new Float64Array(n);
    const order = new Uint32Array(n);
    for (let i = 0, o = 0; i < n; i++, o += HR_WIDTH) {
      at[i] = rows[o]!;
      value[i] = rows[o + 1]!;
      source[i] = rows[o + 2]!;
      zone[i] = rows[o + 3]!;
      order[i] = i;
    }
    order.sort((a, b) => source[a]! - source[b]! || at[a]! - at[b]!);
    let batch: RawHeartRateSample[] = [];
    let hours = 0;
    let lastHour = Number.NaN;
    for (const i of order) {
      const hour = source[i]! * 1e8 + Math.floor(at[i]! / HOUR_MS);
      // Flush only between hours, so each window is whole.
      if (hour !== lastHour && hours >= size) {
        yield groupHeartRateSamples(batch);
        batch = [];
        hours = 0;
      }
      if (hour !== lastHour) hours++;
      lastHour = hour;
      batch.push({
        time: new Date(at[i]!).toISOString(),
        utcOffset: offsetOf(zone[i]!, at[i]!),
        value: value[i]!,
        source: sourceList[source[i]!]!.source,
      });
    }
    if (batch.length > 0) yield groupHeartRateSamples(batch);
  }

  function sleepSessions(): Measurement[] {
    const bySource = new Map<number, SleepSegment[]>();
    for (const s of sleep) {
      const list = bySource.get(s.source) ?? [];
      list.push(s);
      bySource.set(s.source, list);
    }
    const nights = new Map<string, { rank: number; source: number; sessions: Measurement[] }>();
    const inBedOnly = new Set<string>();
    for (const [source, segments] of bySource) {
      segments.sort((a, b) => a.startMs - b.startMs);
      let group: SleepSegment[] = [];
      let groupEnd = Number.NEGATIVE_INFINITY;
      const flush = () => {
        if (group.length === 0) return;
        const m = toSleep(group, source);
        const last = group[group.length - 1]!;
        group = [];
        if (!m) {
          inBedOnly.add(toLocalIso(last.endMs, offsetOf(last.zone, last.endMs)).slice(0, 10));
          return;
        }
        const src = sourceList[source]!;
        const night = nights.get(m.localDate);
        if (!night || src.rank < night.rank || (src.rank === night.rank && source < night.source))
          nights.set(m.localDate, { rank: src.rank, source, sessions: [m] });
        else if (night.source === source) night.sessions.push(m);
      };
      for (const s of segments) {
        if (s.startMs - groupEnd > SLEEP_GAP_MS) flush();
        group.push(s);
        groupEnd = group.length === 1 ? s.endMs : Math.max(groupEnd, s.endMs);
      }
      flush();
    }
    // Time in bed with no sleep recorded that night by any source: nothing to write.
    for (const night of inBedOnly) if (!nights.has(night)) skip('sleep_in_bed_only');
    return [...nights.values()].flatMap((n) => n.sessions);
  }

  function toSleep(group: SleepSegment[], source: number): Measurement | undefined {
    const minutes: Partial<Record<SleepStage, number>> = {};
    let startMs = Number.POSITIVE_INFINITY;
    let endMs = Number.NEGATIVE_INFINITY;
    for (const s of group) {
      startMs = Math.min(startMs, s.startMs);
      endMs = Math.max(endMs, s.endMs);
      if (s.stage === 'in_bed') continue;
      minutes[s.stage] = (minutes[s.stage] ?? 0) + (s.endMs - s.startMs) / 60_000;
    }
    const asleep = (minutes.light ?? 0) + (minutes.deep ?? 0) + (minutes.rem ?? 0) + (minutes.asleep ?? 0);
    if (asleep <= 0) return undefined;
    const components: Partial<Record<SleepStage, number>> = {};
    for (const [stage, v] of Object.entries(minutes))
      components[stage as SleepStage] = Math.round(v * 10) / 10;
    const src = sourceList[source]!;
    const offset = offsetOf(group[0]!.zone, endMs);
    const stages = stageSequence(group, offset);
    return {
      type: 'sleep',
      value: Math.round(asleep * 10) / 10,
      unit: 'min',
      components,
      ...(stages.length > 0 ? { stages } : {}),
      start: toLocalIso(startMs, offsetOf(group[0]!.zone, startMs)),
      end: toLocalIso(endMs, offset),
      utcOffset: offset,
      localDate: toLocalIso(endMs, offset).slice(0, 10),
      source: src.source,
      vendorKey: `sleep|${shortHash(src.key)}|${startMs}`,
      daily: false,
    };
  }

  /**
   * The session's stage records in time order (time in bed left out), in the record's offset; a
   * record overlapping the one before it starts where that one ended (the stages never overlap).
   */
  function stageSequence(group: SleepSegment[], offset: string): SleepStageInterval[] {
    const out: SleepStageInterval[] = [];
    let lastEnd = Number.NEGATIVE_INFINITY;
    for (const s of group) {
      if (s.stage === 'in_bed') continue;
      const from = Math.max(s.startMs, lastEnd);
      if (s.endMs <= from) continue;
      out.push({ stage: s.stage, start: toLocalIso(from, offset), end: toLocalIso(s.endMs, offset) });
      lastEnd = s.endMs;
    }
    return out;
  }

  function bloodPressure(): Measurement[] {
    const out: Measurement[] = [];
    for (const bp of pressure.values()) {
      if (bp.systolic === undefined || bp.diastolic === undefined) {
        skip('blood_pressure_unpaired');
        continue;
      }
      const src = sourceList[bp.source]!;
      const offset = offsetOf(bp.zone, bp.startMs);
      out.push({
        type: 'blood_pressure',
        value: bp.systolic,
        unit: 'mm[Hg]',
        components: { systolic: bp.systolic, diastolic: bp.diastolic },
        start: toLocalIso(bp.startMs, offset),
        end: toLocalIso(bp.endMs, offset),
        utcOffset: offset,
        localDate: toLocalIso(bp.startMs, offset).slice(0, 10),
        source: src.source,
        vendorKey: `blood_pressure|${shortHash(src.key)}|${bp.startMs}|${bp.endMs}`,
        daily: false,
      });
    }
    return out;
  }

  return { add, finish, finishInBatches };
}

export type Collector = ReturnType<typeof createCollector>;

function unitOf(type: MeasurementType): string {
  return CANONICAL_UNIT[type];
}

function localDayStart(date: string, offset: string): string {
  return `${date}T00:00:00${offset}`;
}

/**
 * The record's identity across exports (docs/apple-health.md "Importing again"): its sync identifier when the source set
 * one, else type, source, start, end and creation date as instants. Hashed: short and opaque.
 */
function naturalKey(
  type: string,
  sourceKey: string,
  syncId: string | undefined,
  startMs: number,
  endMs: number,
  createdMs: number | undefined,
): string {
  const parts = syncId
    ? [type, sourceKey, 'sync', syncId]
    : [type, sourceKey, startMs, endMs, createdMs ?? ''];
  return shortHash(parts.join('\u001f'));
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
