// What Withings holds for each person: the natural data (derived from the synthetic person, cached
// per date) with the admin's edits laid over it, as visible at the sandbox clock. Every query and
// the ground truth read through here, so a deleted group is gone everywhere at once.

import { addDays, localDateOf, startOfLocalDay } from '../../lib/time.ts';
import type { PersonProfile } from '../../people/model.ts';
import type { PeopleStore } from '../../people/people.ts';
import { type DeviceKind, deviceOf } from '../devices.ts';
import type { ActivityFields, ActivityRow, ActivitySource, MeasureGroup, SleepSeries } from '../withings.types.ts';
import { intradayEntries, lastWatchSync, type MinuteData, minuteDataOf, naturalActivityRows } from './activity.ts';
import {
  addedGroup,
  editedActivityRow,
  editedGroup,
  editedSleepSeries,
  type MeasureGroupChanges,
  type MeasureGroupInput,
  newSleepSeries,
  type SleepSummaryInput,
} from './edits.ts';
import { naturalGroups } from './measures.ts';
import { type SleepSession, sessionsOf, summaryOf } from './sleep.ts';

interface Overlay {
  groups: Map<number, MeasureGroup>;
  deletedGroups: Set<number>;
  activity: Map<string, { fields: Partial<ActivityFields>; modified: number }>;
  sleep: Map<number, SleepSeries>;
  deletedSleep: Set<number>;
}

const MINUTE_CACHE = 1000;

export class WithingsData {
  readonly #people: PeopleStore;
  readonly #now: () => Date;
  readonly #groups = new Map<string, MeasureGroup[]>();
  readonly #sessions = new Map<string, SleepSession[]>();
  readonly #minutes = new Map<string, MinuteData>();
  readonly #overlays = new Map<string, Overlay>();
  #nextGroupId = 9_000_000_000;
  #nextSleepId = 9_500_000_000;

  constructor(people: PeopleStore, now: () => Date) {
    this.#people = people;
    this.#now = now;
  }

  #nowSec(): number {
    return Math.floor(this.#now().getTime() / 1000);
  }

  #overlay(personId: string): Overlay {
    let overlay = this.#overlays.get(personId);
    if (!overlay) {
      overlay = {
        groups: new Map(),
        deletedGroups: new Set(),
        activity: new Map(),
        sleep: new Map(),
        deletedSleep: new Set(),
      };
      this.#overlays.set(personId, overlay);
    }
    return overlay;
  }

  #naturalGroups(person: PersonProfile, date: string): MeasureGroup[] {
    const key = `${person.id}/${date}`;
    let groups = this.#groups.get(key);
    if (!groups) {
      groups = naturalGroups(person, date);
      this.#groups.set(key, groups);
    }
    return groups;
  }

  #sessionsOf(person: PersonProfile, date: string): SleepSession[] {
    const key = `${person.id}/${date}`;
    let sessions = this.#sessions.get(key);
    if (!sessions) {
      sessions = sessionsOf(person, date);
      this.#sessions.set(key, sessions);
    }
    return sessions;
  }

  #minuteData(person: PersonProfile, date: string): MinuteData {
    const key = `${person.id}/${date}`;
    const cached = this.#minutes.get(key);
    if (cached) return cached;
    const data = minuteDataOf(person, date);
    this.#minutes.set(key, data);
    for (const oldest of this.#minutes.keys()) {
      if (this.#minutes.size <= MINUTE_CACHE) break;
      this.#minutes.delete(oldest);
    }
    return data;
  }

  /** Every measure group visible now (created by now, not deleted), newest first. */
  measureGroups(person: PersonProfile): MeasureGroup[] {
    const now = this.#nowSec();
    const overlay = this.#overlay(person.id);
    const result: MeasureGroup[] = [];
    for (const date of this.#people.dates(person)) {
      for (const group of this.#naturalGroups(person, date)) {
        if (overlay.groups.has(group.grpid) || overlay.deletedGroups.has(group.grpid)) continue;
        if (group.created <= now) result.push(group);
      }
    }
    for (const group of overlay.groups.values()) if (group.created <= now) result.push(group);
    return result.sort((a, b) => b.date - a.date || b.grpid - a.grpid);
  }

  /** Activity rows visible now, oldest date first (the watch's today is partial). */
  activityRows(person: PersonProfile): ActivityRow[] {
    const nowMs = this.#now().getTime();
    const overlay = this.#overlay(person.id);
    const rows: ActivityRow[] = [];
    for (const date of this.#people.dates(person)) {
      const dayEnd = startOfLocalDay(person.timeZone, addDays(date, 1));
      const natural = naturalActivityRows(person, date, () => this.#minuteData(person, date), dayEnd, nowMs);
      const sources: ActivitySource[] = ['watch', 'phone'];
      for (const source of sources) {
        const row = natural.find((r) => r.is_tracker === (source === 'watch'));
        const edit = overlay.activity.get(`${date}|${source}`);
        if (edit) rows.push(editedActivityRow(person, date, source, row, edit));
        else if (row) rows.push(row);
      }
    }
    return rows;
  }

  /** Sleep summaries visible now with every data field, newest first. */
  sleepSummaries(person: PersonProfile): SleepSeries[] {
    const now = this.#nowSec();
    const overlay = this.#overlay(person.id);
    const result: SleepSeries[] = [];
    for (const session of this.#visibleSessions(person)) {
      if (!overlay.sleep.has(session.id)) result.push(summaryOf(person, session, now));
    }
    for (const series of overlay.sleep.values()) if (series.created <= now) result.push(series);
    return result.sort((a, b) => b.startdate - a.startdate || b.id - a.id);
  }

  /** Natural sessions that arrived by now and were not deleted (the source of sleep `get`). */
  #visibleSessions(person: PersonProfile): SleepSession[] {
    const now = this.#nowSec();
    const deleted = this.#overlay(person.id).deletedSleep;
    return this.#people
      .dates(person)
      .flatMap((date) => this.#sessionsOf(person, date))
      .filter((s) => s.created <= now && !deleted.has(s.id));
  }

  sessionsOverlapping(person: PersonProfile, fromMs: number, toMs: number): SleepSession[] {
    return this.#visibleSessions(person).filter((s) => s.inBed < toMs && s.outOfBed > fromMs);
  }

  /** Watch minutes in [fromMs, toMs) that the watch has synced by now. */
  intraday(
    person: PersonProfile,
    fromMs: number,
    toMs: number,
    fields: Set<string> | undefined,
  ): Record<string, Record<string, unknown>> {
    const series: Record<string, Record<string, unknown>> = {};
    if (!person.withings.watch) return series;
    const synced = lastWatchSync(person, this.#now().getTime());
    const first = localDateOf(person.timeZone, fromMs);
    const last = localDateOf(person.timeZone, Math.max(fromMs, toMs - 1));
    for (const date of this.#people.dates(person)) {
      if (date < first || date > last) continue;
      intradayEntries(person, this.#minuteData(person, date), fromMs, toMs, synced, fields, series);
    }
    return series;
  }

  /** The newest `created` of a device's data visible now (getdevice's last_session_date). */
  lastSessionOf(person: PersonProfile, kind: DeviceKind): number | null {
    if (kind === 'watch') {
      const sync = lastWatchSync(person, this.#now().getTime());
      return sync > startOfLocalDay(person.timeZone, person.firstDate) ? Math.floor(sync / 1000) : null;
    }
    if (kind === 'sleepAnalyzer') {
      const created = this.#visibleSessions(person)
        .filter((s) => s.device === 'sleepAnalyzer')
        .map((s) => s.created);
      return created.length ? Math.max(...created) : null;
    }
    const deviceid = deviceOf(person, kind)?.deviceid;
    const created = this.measureGroups(person)
      .filter((g) => g.deviceid === deviceid)
      .map((g) => g.created);
    return created.length ? Math.max(...created) : null;
  }

  // --- admin mutations; each returns what changed, for the notification that follows ---

  addMeasureGroup(person: PersonProfile, input: MeasureGroupInput): MeasureGroup {
    const group = addedGroup(person, input, this.#nextGroupId++, this.#nowSec());
    this.#overlay(person.id).groups.set(group.grpid, group);
    return group;
  }

  editMeasureGroup(person: PersonProfile, grpid: number, changes: MeasureGroupChanges): MeasureGroup {
    const edited = editedGroup(this.#findGroup(person, grpid), changes, this.#nowSec());
    this.#overlay(person.id).groups.set(grpid, edited);
    return edited;
  }

  deleteMeasureGroup(person: PersonProfile, grpid: number): MeasureGroup {
    const current = this.#findGroup(person, grpid);
    const overlay = this.#overlay(person.id);
    overlay.groups.delete(grpid);
    overlay.deletedGroups.add(grpid);
    return current;
  }

  #findGroup(person: PersonProfile, grpid: number): MeasureGroup {
    const group = this.measureGroups(person).find((g) => g.grpid === grpid);
    if (!group) throw new Error(`No visible measure group ${grpid} for person ${person.id}`);
    return group;
  }

  setActivityDay(
    person: PersonProfile,
    date: string,
    fields: Partial<ActivityFields>,
    source: ActivitySource = person.withings.watch ? 'watch' : 'phone',
  ): ActivityRow {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`Invalid date ${date}`);
    if (source === 'watch' && !person.withings.watch) throw new Error(`Person ${person.id} has no Withings watch`);
    const overlay = this.#overlay(person.id);
    const key = `${date}|${source}`;
    const previous = overlay.activity.get(key)?.fields ?? {};
    overlay.activity.set(key, { fields: { ...previous, ...fields }, modified: this.#nowSec() });
    const row = this.activityRows(person).find((r) => r.date === date && r.is_tracker === (source === 'watch'));
    if (!row) throw new Error(`Date ${date} is outside the person's data`);
    return row;
  }

  setSleepSummary(person: PersonProfile, input: SleepSummaryInput): SleepSeries {
    const now = this.#nowSec();
    const current = input.id === undefined ? undefined : this.sleepSummaries(person).find((s) => s.id === input.id);
    if (input.id !== undefined && !current) throw new Error(`No visible sleep summary ${input.id}`);
    const series = current
      ? editedSleepSeries(current, input, now)
      : newSleepSeries(person, input, this.#nextSleepId++, now);
    this.#overlay(person.id).sleep.set(series.id, series);
    return series;
  }

  deleteSleepSummary(person: PersonProfile, id: number): SleepSeries {
    const current = this.sleepSummaries(person).find((s) => s.id === id);
    if (!current) throw new Error(`No visible sleep summary ${id}`);
    const overlay = this.#overlay(person.id);
    overlay.sleep.delete(id);
    overlay.deletedSleep.add(id);
    return current;
  }
}
