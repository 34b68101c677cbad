// The registry of synthetic people. Days are generated on demand and kept in a small
// LRU cache; per-day ground truth is cheap (no points) and kept for good. A rewritten
// day gets a new revision, which re-rolls its data like a late device sync would.

import type { SimulatedType } from '../catalog.ts';
import { hashSeed } from '../lib/prng.ts';
import { addDays, isValidTimeZone, localDateOf } from '../lib/time.ts';
import { generateDay } from './day.ts';
import type { DayData, DayTruth, PersonProfile, Point, WithingsAccount } from './model.ts';
import { createProfile } from './profile.ts';

export interface CreatePersonInput {
  /** IANA zone, default 'America/New_York'. */
  timeZone?: string;
  /** Complete past days of data before today (default: the sandbox's `days`). */
  days?: number;
  seed?: number;
  /** Choose the Google Health user id (1-63 of [A-Za-z0-9-]); default a 19-digit number. */
  id?: string;
  /** Whether the person also has a Fitbit (default true); false: the Google Health API says ACCOUNT_NOT_LINKED. */
  fitbit?: boolean;
  /** Withings devices and user id; unset fields come from the seed (scale, cuff, analyzer yes; watch ~35%). */
  withings?: Partial<WithingsAccount>;
}

export interface PeopleOptions {
  now: () => Date;
  seed: number;
  defaultDays: number;
  /** How many person-days with points to keep in memory. */
  cacheSize?: number;
}

const ID_PATTERN = /^[A-Za-z0-9-]{1,63}$/;

export class PeopleStore {
  readonly #options: PeopleOptions;
  readonly #people = new Map<string, PersonProfile>();
  readonly #revisions = new Map<string, Map<string, number>>();
  readonly #days = new Map<string, DayData>();
  readonly #truths = new Map<string, DayTruth>();
  #created = 0;

  constructor(options: PeopleOptions) {
    this.#options = options;
  }

  create(input: CreatePersonInput = {}): PersonProfile {
    const timeZone = input.timeZone ?? 'America/New_York';
    if (!isValidTimeZone(timeZone)) throw new Error(`Unknown IANA time zone: ${timeZone}`);
    if (input.id !== undefined && !ID_PATTERN.test(input.id))
      throw new Error(`Invalid person id: ${input.id}`);
    if (input.id !== undefined && this.#people.has(input.id)) throw new Error(`Person ${input.id} exists`);
    const seed = input.seed ?? hashSeed(this.#options.seed, 'person', this.#created);
    this.#created++;
    const today = localDateOf(timeZone, this.#options.now().getTime());
    const firstDate = addDays(today, -(input.days ?? this.#options.defaultDays));
    const profile = createProfile({
      seed,
      timeZone,
      firstDate,
      ...(input.id ? { id: input.id } : {}),
      ...(input.fitbit !== undefined ? { fitbit: input.fitbit } : {}),
      ...(input.withings ? { withings: input.withings } : {}),
    });
    if (this.#people.has(profile.id)) throw new Error(`Person ${profile.id} exists (same seed twice?)`);
    const userid = profile.withings.userid;
    if (!Number.isSafeInteger(userid) || userid <= 0) throw new Error(`Invalid Withings userid: ${userid}`);
    if (this.byWithingsUserId(userid)) {
      if (input.withings?.userid !== undefined) throw new Error(`Withings userid ${userid} exists`);
      while (this.byWithingsUserId(profile.withings.userid)) profile.withings.userid++;
    }
    this.#people.set(profile.id, profile);
    return profile;
  }

  get(id: string): PersonProfile | undefined {
    return this.#people.get(id);
  }

  list(): PersonProfile[] {
    return [...this.#people.values()];
  }

  byWithingsUserId(userid: number): PersonProfile | undefined {
    for (const person of this.#people.values()) if (person.withings.userid === userid) return person;
    return undefined;
  }

  revisionOf(personId: string, date: string): number {
    return this.#revisions.get(personId)?.get(date) ?? 0;
  }

  /** Re-rolls a date (and drops the cached neighbours that share its night). */
  bumpRevision(personId: string, date: string): void {
    let revisions = this.#revisions.get(personId);
    if (!revisions) {
      revisions = new Map();
      this.#revisions.set(personId, revisions);
    }
    revisions.set(date, (revisions.get(date) ?? 0) + 1);
    for (const d of [addDays(date, -1), date, addDays(date, 1)]) {
      this.#days.delete(`${personId}/${d}`);
      this.#truths.delete(`${personId}/${d}`);
    }
  }

  /** Local dates that can hold data now: firstDate through today (today is partial). */
  dates(person: PersonProfile): string[] {
    const today = localDateOf(person.timeZone, this.#options.now().getTime());
    const dates: string[] = [];
    for (let d = person.firstDate; d <= today; d = addDays(d, 1)) dates.push(d);
    return dates;
  }

  day(person: PersonProfile, date: string): DayData {
    const key = `${person.id}/${date}`;
    const cached = this.#days.get(key);
    if (cached) {
      this.#days.delete(key);
      this.#days.set(key, cached);
      return cached;
    }
    const day = generateDay(person, date, (d) => this.revisionOf(person.id, d), true);
    this.#days.set(key, day);
    this.#truths.set(key, day.truth);
    const limit = this.#options.cacheSize ?? 400;
    for (const oldest of this.#days.keys()) {
      if (this.#days.size <= limit) break;
      this.#days.delete(oldest);
    }
    return day;
  }

  truth(person: PersonProfile, date: string): DayTruth {
    const key = `${person.id}/${date}`;
    let truth = this.#truths.get(key);
    if (!truth) {
      truth = generateDay(person, date, (d) => this.revisionOf(person.id, d), false).truth;
      this.#truths.set(key, truth);
    }
    return truth;
  }

  /**
   * Points of one type from the days overlapping [fromMs, toMs), visible now, newest
   * first. Days are padded by one on each side: a night belongs to the date it ends.
   */
  visiblePoints(
    person: PersonProfile,
    type: SimulatedType,
    fromMs = 0,
    toMs = Number.POSITIVE_INFINITY,
  ): Point[] {
    const now = this.#options.now().getTime();
    const dates = this.dates(person);
    const from = fromMs > 0 ? addDays(localDateOf(person.timeZone, fromMs), -1) : '';
    const to = Number.isFinite(toMs) ? addDays(localDateOf(person.timeZone, toMs), 1) : '9999-12-31';
    const result: Point[] = [];
    for (let i = dates.length - 1; i >= 0; i--) {
      const date = dates[i];
      if (date === undefined || date < from || date > to) continue;
      const points = this.day(person, date).points.get(type);
      if (!points) continue;
      for (let j = points.length - 1; j >= 0; j--) {
        const point = points[j];
        if (point && point.visibleAt <= now) result.push(point);
      }
    }
    return result;
  }
}
